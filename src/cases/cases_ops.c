/*
 * cases_ops.c: the business operations on cases (cases_int.h), each one
 * transaction (db_tx()), the same for the HTTP handlers, the job and
 * guichetctl: create, edit and submit a draft, move a case along the
 * transition table, assign it, write in its thread, read it.
 *
 * Rules kept here:
 *  - the order of the answers to a refusal: what the caller may not read
 *    is 404 (policy_case(), CASE_ACT_READ); what it may read but not do
 *    is 403; what the case's state forbids is 409, naming the state;
 *  - a change, its history row, its mail and its entitlement commit
 *    together or not at all;
 *  - submission: the current version of the procedure, the filer's
 *    profile, complete answers (procedures_check_form()), a file for
 *    every required document and files of this case in the form's file
 *    fields (case_attach_check()), then the reference, the
 *    acknowledgement kept and sent, the department told; were a required
 *    document missing all the same, the request would wait for it, its
 *    deadline paused from the receipt (L114-5);
 *  - every read by staff is logged with the read (access_record()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/log.h"
#include "cases/cases_int.h"
#include "core/access.h"
#include "identity/identity.h"
#include "json/check.h"
#include "procedures/procedures.h"

struct cases_config	cases_config = { .draft_days = 30 };

/* Field messages, by language. */
enum omsg { OM_UNKNOWN_PROCEDURE, OM_INACTIVE, OM_NOTE_REQUIRED,
    OM_NOT_AGENT, OM__COUNT };
static const char *const omsgs[OM__COUNT][LANG__COUNT] = {
	[OM_UNKNOWN_PROCEDURE] = { "aucune démarche n'a ce code",
	    "no procedure has this code", "nessuna pratica ha questo codice" },
	[OM_INACTIVE] = { "cette démarche ne peut plus être déposée",
	    "this procedure can no longer be filed",
	    "questa pratica non può più essere presentata" },
	[OM_NOTE_REQUIRED] = { "une note est requise pour ce changement : "
	    "les motifs d'un rejet, ce que demande une demande d'informations",
	    "a note is required for this change: the reasons of a rejection, "
	    "what a request for information asks for",
	    "per questo cambiamento è richiesta una nota: i motivi di un "
	    "rigetto, ciò che chiede una richiesta di informazioni" },
	[OM_NOT_AGENT] = { "ce n'est pas un agent actif du service chargé de "
	    "cette démarche", "not an active agent of the department in charge "
	    "of this case", "non è un agente attivo del servizio competente" },
};

static void
now_text(char *out)
{
	clock_format(clock_now(), out, 40);
}

void
case_outcome_reset(struct case_outcome *o)
{
	json_decref(o->errors);
	json_decref(o->made);
	o->errors = NULL;
	o->made = NULL;
	o->result = CR_OK;
	memset(o->args, 0, sizeof(o->args));
	memset(&o->err, 0, sizeof(o->err));
}

int
case_refuse(struct case_outcome *o, enum cases_err code, const char *a0,
    const char *a1)
{
	o->result = CR_REFUSED;
	o->code = code;
	snprintf(o->args[0], sizeof(o->args[0]), "%s", a0 != NULL ? a0 : "");
	snprintf(o->args[1], sizeof(o->args[1]), "%s", a1 != NULL ? a1 : "");
	o->err.code = DB_OK;
	return (-1);
}

/* A 422 on one field of the request. */
static int
invalid(struct case_outcome *o, const char *field, const char *code,
    enum omsg m, enum lang l)
{
	json_decref(o->errors);
	o->errors = json_array();
	json_error_add(o->errors, field, code, omsgs[m][l]);
	o->result = CR_INVALID;
	o->err.code = DB_OK;
	return (-1);
}

/* The facts policy.h decides on, from case row 0 of 'res'. */
static void
facts_of(const struct db_res *res, struct policy_case *c)
{
	c->owner = db_str(res, 0, "owner_id");
	c->department = db_str(res, 0, "department");
	c->draft = strcmp(db_str(res, 0, "status"), "draft") == 0;
}

int
case_lock_for(struct db *db, const struct principal *who, const char *id,
    enum case_act act, struct db_res **res, enum case_status *st,
    struct case_outcome *o)
{
	struct policy_case	 c;
	const char		*p[1] = { id };

	*res = NULL;
	if (db_exec(db, CQ(CQ_LOCK), p, res, &o->err) == -1) {
		o->result = CR_DB;
		return (-1);
	}
	if (db_res_rows(*res) != 1)
		goto notfound;
	facts_of(*res, &c);
	if (who != NULL && policy_case(who, CASE_ACT_READ, &c) !=
	    POLICY_ALLOW)
		goto notfound;
	*st = case_status_from(db_str(*res, 0, "status"));
	snprintf(o->state, sizeof(o->state), "%s", case_status_name(*st));
	snprintf(o->id, sizeof(o->id), "%s", id);
	if (who != NULL && policy_case(who, act, &c) != POLICY_ALLOW) {
		db_res_free(*res);
		*res = NULL;
		return (case_refuse(o, act == CASE_ACT_SUPERVISE ?
		    CE_ASSIGN_FORBIDDEN : act == CASE_ACT_NOTES ?
		    CE_NOTES_FORBIDDEN : CE_OWNER_ONLY, NULL, NULL));
	}
	return (0);
notfound:
	db_res_free(*res);
	*res = NULL;
	return (case_refuse(o, CE_NOT_FOUND, NULL, NULL));
}

int
case_access_record(struct db *db, const struct principal *who,
    const struct db_res *res, int i, const char *dataset,
    struct db_error *err)
{
	/* The case is the purpose: its reference (drafts are never read). */
	return (access_record(db, db_str(res, i, "owner_id"), who, dataset,
	    db_str(res, i, "id"), db_str(res, i, "reference"), 0, err));
}

/* Is 'kind' among the procedure's profile kinds? */
static int
profile_allowed(const struct procedure *p, const char *kind)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(p->profile_kinds, i, v)
		if (kind != NULL && json_is_string(v) &&
		    strcmp(json_string_value(v), kind) == 0)
			return (1);
	return (0);
}

/*
 * The procedure a case is filed under now (its current version), and the
 * filer's profile kind (into 'kind', >= 48), checked: 0 with *p, or -1
 * with 'o' set.
 */
static int
procedure_for(struct db *db, const char *owner, const char *code,
    enum lang l, struct procedure **p, char *kind, struct case_outcome *o)
{
	struct db_res	*res = NULL;
	const char	*params[1] = { owner };
	int		 rc;

	*p = NULL;
	if ((rc = procedures_get(db, code, 0, p, &o->err)) == -1) {
		o->result = CR_DB;
		return (-1);
	}
	if (rc == 1)
		return (invalid(o, "/procedure", "unknown",
		    OM_UNKNOWN_PROCEDURE, l));
	if (!(*p)->active) {
		procedure_free(*p);
		*p = NULL;
		return (invalid(o, "/procedure", "inactive", OM_INACTIVE, l));
	}
	if (db_exec(db, CQ(CQ_PERSON), params, &res, &o->err) == -1) {
		procedure_free(*p);
		*p = NULL;
		o->result = CR_DB;
		return (-1);
	}
	snprintf(kind, 48, "%s", db_res_rows(res) == 1 &&
	    db_str(res, 0, "profile_kind") != NULL ?
	    db_str(res, 0, "profile_kind") : "");
	db_res_free(res);
	if (!profile_allowed(*p, kind)) {
		procedure_free(*p);
		*p = NULL;
		return (case_refuse(o, CE_PROFILE, kind, NULL));
	}
	return (0);
}

/* The answers against the form: 0, or -1 with the 422 in 'o'. */
static int
check_answers(const struct procedure *p, const json_t *answers, int submit,
    enum lang l, struct case_outcome *o)
{
	json_t	*errors = json_array();

	if (procedures_check_form(p, answers, submit, l, errors) > 0) {
		json_decref(o->errors);
		o->errors = errors;
		o->result = CR_INVALID;
		o->err.code = DB_OK;
		return (-1);
	}
	json_decref(errors);
	return (0);
}

static int
history_add(struct db *db, const char *id, const char *now,
    enum case_actor actor, const char *actor_id, const char *from,
    const char *to, const char *note, struct db_error *err)
{
	const char	*p[7] = { id, now, case_actor_name(actor),
			    actor == CA_SYSTEM ? NULL : actor_id, from, to,
			    note };

	return (db_exec(db, CQ(CQ_HISTORY_INSERT), p, NULL, err));
}

/* Read case 'id' again in the transaction (the row the mail tells). */
static int
reload(struct db *db, const char *id, struct db_res **res,
    struct db_error *err)
{
	const char	*p[1] = { id };

	db_res_free(*res);
	*res = NULL;
	return (db_exec(db, CQ(CQ_GET), p, res, err));
}

/* An accepted case grants what its procedure says, once per season. */
static int
grant(struct db *db, const struct db_res *c, const char *now,
    struct db_error *err)
{
	const char	*g = db_str(c, 0, "grants"), *p[5];
	json_t		*o;
	int		 rc = 0;

	if (g == NULL || (o = json_loads(g, 0, NULL)) == NULL)
		return (0);
	p[0] = db_str(c, 0, "owner_id");
	p[1] = json_str(o, "kind");
	p[2] = json_str(o, "season");
	p[3] = db_str(c, 0, "id");
	p[4] = now;
	if (p[1] != NULL && p[2] != NULL)
		rc = db_exec(db, CQ(CQ_ENTITLE), p, NULL, err);
	json_decref(o);
	return (rc);
}

/* The mail a move causes (the submission's is submit_in()'s). */
static int
move_mail(struct db *db, const struct db_res *c, enum case_status from,
    enum case_status to, enum case_actor actor, const char *note,
    struct db_error *err)
{
	enum lang	 l;
	json_t		*pl;
	char		 date[48];
	int		 rc, implicit = actor == CA_SYSTEM;

	l = case_owner_lang(db, c, err, &rc);
	if (rc == -1)
		return (-1);
	pl = json_pack("{s:s}", "note", note != NULL ? note : "");
	switch (to) {
	case CS_AWAITING:
		/* At receipt, the acknowledgement says what is missing. */
		rc = implicit ? 0 : case_mail_owner(db, c,
		    "case_information_requested", pl, NULL, err);
		break;
	case CS_IN_REVIEW:
		rc = case_mail_owner(db, c, "case_status", pl, NULL, err);
		if (rc == 0 && from == CS_AWAITING && actor == CA_OWNER)
			rc = case_mail_department(db, c, "information", err);
		break;
	case CS_ACCEPTED:
	case CS_REJECTED:
		json_set_str(pl, "decision", case_status_label(to, l));
		json_set_str(pl, "appeal", to == CS_REJECTED ?
		    case_text_appeal(l) : "");
		if (!implicit) {
			rc = case_mail_owner(db, c, "case_decision", pl, NULL,
			    err);
			break;
		}
		case_human_date(db_str(c, 0, "due_date"), l, date,
		    sizeof(date));
		json_set_str(pl, "date", date);
		json_set_str(pl, "attestation", to == CS_ACCEPTED ?
		    case_text_attestation(l) : "");
		rc = case_mail_owner(db, c, "case_implicit_decision", pl, NULL,
		    err);
		if (rc == 0)
			rc = case_mail_department(db, c, to == CS_ACCEPTED ?
			    "implicit_acceptance" : "implicit_rejection", err);
		break;
	case CS_WITHDRAWN:
		rc = case_mail_owner(db, c, "case_status", pl, NULL, err);
		if (rc == 0)
			rc = case_mail_department(db, c, "withdrawn", err);
		break;
	default:
		rc = case_mail_owner(db, c, "case_status", pl, NULL, err);
		break;
	}
	json_decref(pl);
	return (rc);
}

int
case_apply(struct db *db, const struct db_res *row, int i,
    enum case_status to, enum case_actor actor, const char *actor_id,
    const char *note, const char *now, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[6];
	enum case_status from = case_status_from(db_str(row, i, "status"));
	char		 id[40];
	int		 silence, rc;

	snprintf(id, sizeof(id), "%s", db_str(row, i, "id"));
	/* Silence decides at the deadline: that is the decision's date. */
	silence = actor == CA_SYSTEM && (to == CS_ACCEPTED || to == CS_REJECTED);
	p[0] = id;
	p[1] = case_status_name(to);
	p[2] = now;
	p[3] = case_status_name(from);
	p[4] = silence ? db_str(row, i, "due_at") : now;
	p[5] = silence ? "true" : "false";
	if (db_exec(db, CQ(CQ_MOVE), p, &res, err) == -1)
		return (-1);
	rc = db_res_affected(res) == 1 ? 0 : -1;
	db_res_free(res);
	res = NULL;
	if (rc == -1) {
		/* The row is locked: it cannot have moved; try again. */
		memset(err, 0, sizeof(*err));
		err->code = DB_E_SERIALIZATION;
		return (-1);
	}
	if (history_add(db, id, now, actor, actor_id, case_status_name(from),
	    case_status_name(to), note, err) == -1 ||
	    reload(db, id, &res, err) == -1)
		goto fail;
	if (to == CS_ACCEPTED && grant(db, res, now, err) == -1)
		goto fail;
	if (move_mail(db, res, from, to, actor, note, err) == -1)
		goto fail;
	db_res_free(res);
	log_info("cases: case %s %s -> %s by %s", id, case_status_name(from),
	    case_status_name(to), case_actor_name(actor));
	return (0);
fail:
	db_res_free(res);
	return (-1);
}

/*
 * Submission of the draft 'res' (locked, row 0) by its owner, inside the
 * transaction: the current version, the answers complete, the reference,
 * the acknowledgement kept and sent, the department told; incomplete at
 * receipt, the deadline waits for what lacks.
 */
static int
submit_in(struct db *db, struct db_res *res, enum lang l,
    struct case_outcome *o)
{
	struct procedure	*p = NULL;
	struct db_res		*r = NULL, *contact = NULL, *cur = NULL;
	struct case_receipt	 rc;
	const char		*q[12];
	char			 now[40], kind[48], id[40], ref[40], days[16];
	char			 rdays[16], version[16], missing_days[16];
	char			 outbox[40], *grants = NULL, *ack = NULL;
	json_t			*answers, *missing = NULL, *mentions = NULL;
	json_t			*provided = NULL;
	enum lang		 ol;
	int			 ok = -1, x;

	snprintf(id, sizeof(id), "%s", db_str(res, 0, "id"));
	if (procedure_for(db, db_str(res, 0, "owner_id"),
	    db_str(res, 0, "procedure"), l, &p, kind, o) == -1)
		return (-1);
	answers = json_loads(db_str(res, 0, "answers"), 0, NULL);
	x = check_answers(p, answers, 1, l, o);
	/* The documents and the files the form names: this case's. */
	if (x == 0)
		x = case_attach_check(db, id, p, answers, l, o);
	json_decref(answers);
	if (x == -1)
		goto out;
	now_text(now);
	q[0] = now;
	if (db_exec(db, CQ(CQ_NEXT_REFERENCE), q, &r, &o->err) == -1)
		goto db;
	snprintf(ref, sizeof(ref), "%s", db_str(r, 0, "reference"));
	db_res_free(r);
	r = NULL;
	snprintf(version, sizeof(version), "%d", p->version);
	snprintf(days, sizeof(days), "%d", p->deadline_days);
	snprintf(rdays, sizeof(rdays), "%d", p->retention_years);
	snprintf(missing_days, sizeof(missing_days), "%d", CASE_MISSING_DAYS);
	if (p->grants != NULL && !json_is_null(p->grants))
		grants = json_dumps(p->grants, JSON_COMPACT);
	q[0] = id;
	q[1] = ref;
	q[2] = version;
	q[3] = p->department;
	q[4] = kind[0] != '\0' ? kind : NULL;
	q[5] = grants;
	q[6] = now;
	q[7] = days;
	q[8] = p->implicit == IMPLICIT_ACCEPTANCE ? "acceptance" :
	    p->implicit == IMPLICIT_REJECTION ? "rejection" : "none";
	q[9] = rdays;
	q[10] = p->legal_basis;
	q[11] = missing_days;
	if (db_exec(db, CQ(CQ_SUBMIT), q, &r, &o->err) == -1)
		goto db;
	if (db_res_rows(r) != 1) {
		/* Locked as a draft: cannot be anything else; try again. */
		o->err.code = DB_E_SERIALIZATION;
		goto db;
	}
	if (history_add(db, id, now, CA_OWNER, db_str(res, 0, "owner_id"),
	    "draft", "submitted", NULL, &o->err) == -1)
		goto db;
	/* The acknowledgement, in the owner's language. */
	ol = case_owner_lang(db, res, &o->err, &x);
	q[0] = p->department;
	if (x == -1 || db_exec(db, CQ(CQ_CONTACT), q, &contact, &o->err) == -1)
		goto db;
	if ((provided = case_attach_documents(db, id, &o->err)) == NULL)
		goto db;
	missing = case_missing_documents(p, provided, ol);
	memset(&rc, 0, sizeof(rc));
	rc.reference = ref;
	rc.procedure = p->title[ol] != NULL ? p->title[ol] : p->code;
	rc.received_date = db_str(r, 0, "received_date");
	rc.received_time = db_str(r, 0, "received_time");
	rc.due_date = json_array_size(missing) > 0 ? NULL :
	    db_str(r, 0, "due_date");
	rc.deadline_days = p->deadline_days;
	rc.implicit = q[8];
	rc.missing = missing;
	rc.missing_by = db_str(r, 0, "missing_by");
	rc.contact = contact;
	mentions = case_receipt_mentions(&rc, ol);
	/* The case as filed (the caller's row is the draft's). */
	if (reload(db, id, &cur, &o->err) == -1)
		goto db;
	outbox[0] = '\0';
	if (case_mail_owner(db, cur, "case_acknowledgement", mentions, outbox,
	    &o->err) == -1)
		goto db;
	ack = json_dumps(mentions, JSON_COMPACT);
	q[0] = id;
	q[1] = now;
	q[2] = lang_code(ol);
	q[3] = ack;
	q[4] = outbox[0] != '\0' ? outbox : NULL;
	if (db_exec(db, CQ(CQ_ACK_INSERT), q, NULL, &o->err) == -1 ||
	    case_mail_department(db, cur, "new", &o->err) == -1)
		goto db;
	if (json_array_size(missing) > 0 && case_apply(db, cur, 0,
	    CS_AWAITING, CA_SYSTEM, NULL, json_str(mentions, "incomplete"),
	    now, &o->err) == -1)
		goto db;
	log_info("cases: case %s submitted as %s", id, ref);
	ok = 0;
	goto out;
db:
	if (o->err.code != DB_OK)
		o->result = CR_DB;
out:
	free(grants);
	free(ack);
	json_decref(missing);
	json_decref(provided);
	json_decref(mentions);
	db_res_free(r);
	db_res_free(contact);
	db_res_free(cur);
	procedure_free(p);
	return (ok);
}

/* POST /api/v1/cases */

struct create_tx {
	const struct principal	*who;
	const struct case_input	*in;
	enum lang		 lang;
	struct case_outcome	*o;
	char			 kind[48];
};

static int
create_tx(struct db *db, void *arg, struct db_error *err)
{
	struct create_tx	*t = arg;
	struct case_outcome	*o = t->o;
	struct procedure	*p = NULL;
	struct db_res		*res = NULL;
	const char		*q[8];
	char			 now[40], version[16], life[16], *form;
	int			 rc;

	case_outcome_reset(o);
	if (procedure_for(db, t->who->id, t->in->procedure, t->lang, &p,
	    t->kind, o) == -1)
		goto fail;
	if (check_answers(p, t->in->form, 0, t->lang, o) == -1) {
		procedure_free(p);
		goto fail;
	}
	now_text(now);
	snprintf(version, sizeof(version), "%d", p->version);
	snprintf(life, sizeof(life), "%d", cases_config.draft_days);
	form = json_dumps(t->in->form, JSON_COMPACT);
	q[0] = t->who->id;
	q[1] = p->code;
	q[2] = version;
	q[3] = p->department;
	q[4] = t->kind[0] != '\0' ? t->kind : NULL;
	q[5] = form;
	q[6] = now;
	q[7] = life;
	rc = db_exec(db, CQ(CQ_INSERT), q, &res, &o->err);
	free(form);
	procedure_free(p);
	if (rc == -1) {
		o->result = CR_DB;
		goto fail;
	}
	snprintf(o->id, sizeof(o->id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	res = NULL;
	if (t->in->submit) {
		q[0] = o->id;
		if (db_exec(db, CQ(CQ_LOCK), q, &res, &o->err) == -1) {
			o->result = CR_DB;
			goto fail;
		}
		rc = submit_in(db, res, t->lang, o);
		db_res_free(res);
		if (rc == -1)
			goto fail;
	}
	log_info("cases: account %s made case %s", t->who->id, o->id);
	return (0);
fail:
	*err = o->err;
	return (-1);
}

void
case_run_tx(struct db *db, db_tx_fn fn, void *arg, struct case_outcome *o)
{
	struct db_error	 err;

	if (db_tx(db, fn, arg, &err) == -1) {
		if (o->result == CR_OK || err.code != DB_OK) {
			o->result = CR_DB;
			o->err = err;
		}
		return;
	}
	o->result = CR_OK;
}

void
case_create(struct db *db, const struct principal *who,
    const struct case_input *in, enum lang l, struct case_outcome *o)
{
	struct create_tx	 t = { .who = who, .in = in, .lang = l, .o = o };

	case_run_tx(db, create_tx, &t, o);
}

/* PATCH /api/v1/cases/{id}: a merge patch of a draft's answers. */

struct patch_tx {
	const struct principal	*who;
	const char		*id;
	const json_t		*patch;
	enum lang		 lang;
	struct case_outcome	*o;
	char			 kind[48];
};

static int
patch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct patch_tx		*t = arg;
	struct case_outcome	*o = t->o;
	struct procedure	*p = NULL;
	struct db_res		*res = NULL;
	enum case_status	 st;
	const char		*q[6], *k;
	char			 now[40], life[16], version[16], *form = NULL;
	json_t			*answers = NULL, *v;
	int			 rc = -1;

	case_outcome_reset(o);
	if (case_lock_for(db, t->who, t->id, CASE_ACT_OWN, &res, &st, o) == -1)
		goto out;
	if (st != CS_DRAFT) {
		case_refuse(o, CE_NOT_DRAFT, case_status_name(st), NULL);
		goto out;
	}
	if (procedure_for(db, t->who->id, db_str(res, 0, "procedure"),
	    t->lang, &p, t->kind, o) == -1)
		goto out;
	answers = json_loads(db_str(res, 0, "answers"), 0, NULL);
	if (answers == NULL)
		answers = json_object();
	json_object_foreach((json_t *)t->patch, k, v) {
		if (json_is_null(v))
			json_object_del(answers, k);
		else
			json_object_set(answers, k, v);
	}
	if (check_answers(p, answers, 0, t->lang, o) == -1)
		goto out;
	now_text(now);
	snprintf(life, sizeof(life), "%d", cases_config.draft_days);
	snprintf(version, sizeof(version), "%d", p->version);
	form = json_dumps(answers, JSON_COMPACT);
	q[0] = t->id;
	q[1] = form;
	q[2] = now;
	q[3] = life;
	q[4] = version;
	q[5] = p->department;
	if (db_exec(db, CQ(CQ_PATCH), q, NULL, &o->err) == -1) {
		o->result = CR_DB;
		goto out;
	}
	rc = 0;
out:
	free(form);
	json_decref(answers);
	procedure_free(p);
	db_res_free(res);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

void
case_patch(struct db *db, const struct principal *who, const char *id,
    const json_t *patch, enum lang l, struct case_outcome *o)
{
	struct patch_tx	 t = { .who = who, .id = id, .patch = patch,
			    .lang = l, .o = o };

	case_run_tx(db, patch_tx, &t, o);
}

/* POST /api/v1/cases/{id}/transitions and /submit */

struct move_tx {
	const struct principal	*who;
	const char		*id;
	enum case_status	 to;
	const char		*note;
	enum lang		 lang;
	struct case_outcome	*o;
};

static int
move_tx(struct db *db, void *arg, struct db_error *err)
{
	struct move_tx			*t = arg;
	struct case_outcome		*o = t->o;
	const struct case_transition	*rule;
	struct policy_case		 c;
	struct db_res			*res = NULL;
	enum case_status		 st;
	char				 now[40];
	int				 exists, rc = -1;

	case_outcome_reset(o);
	if (case_lock_for(db, t->who, t->id, CASE_ACT_READ, &res, &st, o) ==
	    -1)
		goto out;
	facts_of(res, &c);
	rule = case_transition_for(t->who, &c, st, t->to, &exists);
	if (rule == NULL) {
		if (exists)
			case_refuse(o, CE_TRANSITION_ACTOR,
			    case_status_name(t->to), NULL);
		else
			case_refuse(o, CE_TRANSITION, case_status_name(st),
			    case_status_name(t->to));
		goto out;
	}
	if (rule->note_required && (t->note == NULL ||
	    t->note[strspn(t->note, " \t\r\n")] == '\0')) {
		invalid(o, "/note", "required", OM_NOTE_REQUIRED, t->lang);
		goto out;
	}
	if (t->to == CS_SUBMITTED)
		rc = submit_in(db, res, t->lang, o);
	else {
		now_text(now);
		rc = case_apply(db, res, 0, t->to, rule->who, t->who->id,
		    t->note, now, &o->err);
		if (rc == -1)
			o->result = CR_DB;
	}
out:
	db_res_free(res);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

void
case_move(struct db *db, const struct principal *who, const char *id,
    enum case_status to, const char *note, enum lang l,
    struct case_outcome *o)
{
	struct move_tx	 t = { .who = who, .id = id, .to = to, .note = note,
			    .lang = l, .o = o };

	case_run_tx(db, move_tx, &t, o);
}

/* POST /api/v1/cases/{id}/assignment */

struct assign_tx {
	const struct principal	*who;
	const char		*id;
	const char		*assignee;	/* NULL: unassign */
	enum lang		 lang;
	struct case_outcome	*o;
};

static int
assign_tx(struct db *db, void *arg, struct db_error *err)
{
	struct assign_tx	*t = arg;
	struct case_outcome	*o = t->o;
	struct db_res		*res = NULL, *ag = NULL;
	enum case_status	 st;
	const char		*q[3];
	char			 now[40];
	enum lang		 al = LANG_FR;
	int			 rc = -1;

	case_outcome_reset(o);
	if (case_lock_for(db, t->who, t->id, CASE_ACT_SUPERVISE, &res, &st,
	    o) == -1)
		goto out;
	if (!case_status_open(st)) {
		case_refuse(o, CE_ASSIGN_STATE, case_status_name(st), NULL);
		goto out;
	}
	if (t->assignee != NULL) {
		q[0] = t->assignee;
		q[1] = db_str(res, 0, "department");
		if (db_exec(db, CQ(CQ_AGENT_OF), q, &ag, &o->err) == -1) {
			o->result = CR_DB;
			goto out;
		}
		if (db_res_rows(ag) != 1) {
			invalid(o, "/assignee", "not_department_agent",
			    OM_NOT_AGENT, t->lang);
			goto out;
		}
		al = lang_from_code(db_str(ag, 0, "locale"), LANG_FR);
	}
	now_text(now);
	q[0] = t->id;
	q[1] = t->assignee;
	q[2] = now;
	if (db_exec(db, CQ(CQ_ASSIGN), q, NULL, &o->err) == -1 ||
	    (t->assignee != NULL && strcmp(t->assignee, t->who->id) != 0 &&
	    case_mail_agent(db, res, t->assignee, al, "case_assigned",
	    &o->err) == -1)) {
		o->result = CR_DB;
		goto out;
	}
	log_info("cases: case %s assigned to %s by %s", t->id,
	    t->assignee != NULL ? t->assignee : "nobody", t->who->id);
	rc = 0;
out:
	db_res_free(res);
	db_res_free(ag);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

void
case_assign(struct db *db, const struct principal *who, const char *id,
    const char *assignee, enum lang l, struct case_outcome *o)
{
	struct assign_tx	 t = { .who = who, .id = id,
				    .assignee = assignee, .lang = l, .o = o };

	case_run_tx(db, assign_tx, &t, o);
}

/* The thread: a message, or an internal note. */

struct post_tx {
	const struct principal	*who;
	const char		*id;
	int			 internal;
	const char		*body;
	const json_t		*attachments;
	enum lang		 lang;
	struct case_outcome	*o;
};

json_t *
case_post_item(const struct db_res *res, int i, int staff)
{
	json_t	*o;

	o = json_pack("{s:I, s:s?, s:s?}", "id",
	    (json_int_t)db_int64(res, i, "id"), "author",
	    db_str(res, i, "author"), "body", db_str(res, i, "body"));
	json_set_time(o, "at", db_time(res, i, "at"));
	/* Staff see who wrote; the person sees "department". */
	if (staff)
		json_set_str(o, "author_id", db_str(res, i, "author_id"));
	return (o);
}

static int
post_tx(struct db *db, void *arg, struct db_error *err)
{
	struct post_tx		*t = arg;
	struct case_outcome	*o = t->o;
	struct policy_case	 c;
	struct db_res		*res = NULL, *m = NULL;
	enum case_status	 st;
	const char		*q[5];
	char			 now[40];
	json_t			*pl, *one;
	int			 owner, rc = -1;

	case_outcome_reset(o);
	if (case_lock_for(db, t->who, t->id, t->internal ? CASE_ACT_NOTES :
	    CASE_ACT_MESSAGE, &res, &st, o) == -1)
		goto out;
	if (st == CS_DRAFT || st == CS_CLOSED || st == CS_WITHDRAWN) {
		case_refuse(o, CE_THREAD_CLOSED, case_status_name(st), NULL);
		goto out;
	}
	facts_of(res, &c);
	owner = policy_case(t->who, CASE_ACT_OWN, &c) == POLICY_ALLOW;
	/* The files first: a 422 writes nothing. */
	if (case_attach_link(db, t->id, owner ? "owner" : "department",
	    t->internal, t->attachments, NULL, t->lang, o) == -1)
		goto out;
	now_text(now);
	q[0] = t->id;
	q[1] = now;
	if (t->internal) {
		q[2] = t->who->id;
		q[3] = t->body;
		rc = db_exec(db, CQ(CQ_NOTE_INSERT), q, &m, &o->err);
	} else {
		q[2] = owner ? "owner" : "department";
		q[3] = t->who->id;
		q[4] = t->body;
		rc = db_exec(db, CQ(CQ_MSG_INSERT), q, &m, &o->err);
		/* The other side hears of it; the mail never holds the text. */
		if (rc == 0 && owner)
			rc = case_mail_department(db, res, "message", &o->err);
		else if (rc == 0) {
			pl = json_object();
			rc = case_mail_owner(db, res, "case_message", pl, NULL,
			    &o->err);
			json_decref(pl);
		}
	}
	if (rc == -1) {
		o->result = CR_DB;
		goto out;
	}
	if ((rc = case_attach_link(db, t->id, owner ? "owner" : "department",
	    t->internal, t->attachments, db_str(m, 0, "id"), t->lang, o)) ==
	    -1)
		goto out;
	o->made = case_post_item(m, 0, !owner);
	one = json_pack("[O]", o->made);
	rc = case_attach_carried(db, t->id, t->internal, !owner, one,
	    &o->err);
	json_decref(one);
	if (rc == -1) {
		o->result = CR_DB;
		goto out;
	}
	log_info("cases: %s %s on case %s", t->internal ? "note" : "message",
	    db_str(m, 0, "id"), t->id);
out:
	db_res_free(res);
	db_res_free(m);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

void
case_post(struct db *db, const struct principal *who, const char *id,
    int internal, const char *body, const json_t *attachments, enum lang l,
    struct case_outcome *o)
{
	struct post_tx	 t = { .who = who, .id = id, .internal = internal,
			    .body = body, .attachments = attachments,
			    .lang = l, .o = o };

	case_run_tx(db, post_tx, &t, o);
}
