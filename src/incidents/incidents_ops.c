/*
 * incidents_ops.c: the operations of a report, one transaction each
 * (db_tx()), the same whoever calls them: file, read, map, support, move,
 * and the staff's details, assignment, flag and notes.
 *
 * Mail (ops/outbox.h) goes in the transaction of the move it tells: to
 * the reporter and the supporters through identity_mail() (their stored,
 * verified address), and to the follow-up address of an anonymous report
 * only once its holder confirmed it (contact_verified_at): that address
 * came from a request, so it gets nothing but the confirmation link
 * (incident_contact_confirm, the one template allowed to an unproven
 * address) until the person who reads that mailbox follows the link.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "core/access.h"
#include "http/fragment.h"
#include "identity/identity.h"
#include "incidents/incidents_int.h"
#include "json/check.h"
#include "ops/outbox.h"

#define L3(fr, en, it)	{ [LANG_FR] = fr, [LANG_EN] = en, [LANG_IT] = it }

static const struct {
	const char	*code;
	const char	*label[3];
} status_labels[] = {
	{ "open", L3("ouvert", "open", "aperta") },
	{ "acknowledged", L3("pris en compte", "acknowledged", "presa in carico") },
	{ "in_progress", L3("en cours de traitement", "in progress",
	    "in lavorazione") },
	{ "resolved", L3("résolu", "resolved", "risolta") },
	{ "closed", L3("clos", "closed", "chiusa") },
};

static const char *
status_label(const char *code, enum lang l)
{
	size_t	 i;

	for (i = 0; i < sizeof(status_labels) / sizeof(status_labels[0]); i++)
		if (strcmp(status_labels[i].code, code) == 0)
			return (status_labels[i].label[l]);
	return (code);
}

void
incident_outcome_reset(struct incident_outcome *o)
{
	json_decref(o->errors);
	json_decref(o->made);
	o->errors = NULL;
	o->made = NULL;
	o->result = IR_OK;
	o->id[0] = '\0';
}

static int
refuse(struct incident_outcome *o, enum incidents_err code, const char *a,
    const char *b)
{
	o->result = IR_REFUSED;
	o->code = code;
	snprintf(o->args[0], sizeof(o->args[0]), "%s", a != NULL ? a : "");
	snprintf(o->args[1], sizeof(o->args[1]), "%s", b != NULL ? b : "");
	return (-1);
}

static int
not_found(struct incident_outcome *o)
{
	o->result = IR_NOT_FOUND;
	return (-1);
}

static int
invalid(struct incident_outcome *o, json_t *errors)
{
	o->result = IR_INVALID;
	o->errors = errors;
	return (-1);
}

void
incidents_run_tx(struct db *db, db_tx_fn fn, void *arg,
    struct incident_outcome *o)
{
	memset(o, 0, sizeof(*o));
	if (db_tx(db, fn, arg, &o->err) == -1 && o->err.code != DB_OK)
		o->result = IR_DB;
}

/* --- filing -------------------------------------------------------- */

struct create_tx {
	const struct principal		*who;
	const struct incident_input	*in;
	enum lang			 l;
	struct incident_outcome		*o;
};

static int
create_tx(struct db *db, void *arg, struct db_error *err)
{
	struct create_tx	*t = arg;
	const struct incident_input *in = t->in;
	struct incident_outcome	*o = t->o;
	struct db_res		*cat = NULL, *res = NULL, *dup = NULL;
	const char		*p[15], *q[6];
	char			 lon[40], lat[40], now[40], metres[16], lim[16];
	char			 token[64], hash[SHA256_HEX_LEN];
	char			 ptoken[64], phash[SHA256_HEX_LEN];
	char			 person[40];
	char			*attrs = NULL;
	json_t			*errors, *dups, *made;
	int			 i, rc = -1;

	incident_outcome_reset(o);
	errors = json_array();
	p[0] = in->category;
	if (db_exec(db, IQ(IQ_CATEGORY), p, &cat, err) == -1)
		goto db;
	if (db_res_rows(cat) != 1) {
		json_error_add(errors, "/category", "one_of",
		    t->l == LANG_FR ? "cette catégorie n'existe pas" :
		    t->l == LANG_IT ? "questa categoria non esiste" :
		    "no such category");
		rc = invalid(o, errors);
		goto out;
	}
	if (t->who == NULL && !db_bool(cat, 0, "anonymous_allowed")) {
		json_decref(errors);
		rc = refuse(o, IE_ANONYMOUS, in->category, NULL);
		goto out;
	}
	if (in->has_position) {
		snprintf(lon, sizeof(lon), "%.8f", in->lon);
		snprintf(lat, sizeof(lat), "%.8f", in->lat);
		q[0] = lon;
		q[1] = lat;
		if (db_exec(db, IQ(IQ_IN_AREA), q, &res, err) == -1)
			goto db;
		if (!db_bool(res, 0, "inside")) {
			json_error_add(errors, "/lat", "outside_area",
			    t->l == LANG_FR ? "cette position est hors de la "
			    "commune" : t->l == LANG_IT ? "questa posizione è "
			    "fuori dal comune" : "this position is outside the "
			    "commune");
			json_error_add(errors, "/lon", "outside_area",
			    t->l == LANG_FR ? "cette position est hors de la "
			    "commune" : t->l == LANG_IT ? "questa posizione è "
			    "fuori dal comune" : "this position is outside the "
			    "commune");
		}
		db_res_free(res);
		res = NULL;
	}
	{
		json_t	*defs = json_loads(db_str(cat, 0, "attributes"), 0,
		    NULL);

		incidents_check_attributes(defs, in->attributes, t->l, errors);
		json_decref(defs);
	}
	if (json_array_size(errors) > 0) {
		rc = invalid(o, errors);
		goto out;
	}
	json_decref(errors);
	errors = NULL;
	clock_format(clock_now(), now, sizeof(now));
	attrs = in->attributes != NULL ? json_dumps(in->attributes,
	    JSON_COMPACT) : NULL;
	p[0] = in->category;
	p[1] = db_str(cat, 0, "department");
	p[2] = in->description;
	p[3] = in->has_position ? lon : NULL;
	p[4] = in->has_position ? lat : NULL;
	p[5] = in->address;
	p[6] = attrs != NULL ? attrs : "{}";
	p[7] = t->who != NULL ? t->who->id : NULL;
	p[8] = t->who == NULL ? in->email : NULL;
	p[9] = NULL;
	p[10] = now;
	p[11] = db_str(cat, 0, "resolution_days");
	p[12] = p[8] != NULL ? lang_code(t->l) : NULL;
	/* An account's address: the report is in its export and erasure. */
	p[14] = NULL;
	if (p[8] != NULL) {
		if ((i = identity_find_by_email(db, p[8], person,
		    sizeof(person), err)) == -1)
			goto db;
		if (i == 0)
			p[14] = person;
	}
	token[0] = '\0';
	if (p[8] != NULL) {
		if (random_token(token, sizeof(token)) == -1) {
			err->code = DB_E_INTERNAL;
			goto db;
		}
		sha256_hex(token, strlen(token), hash);
		p[9] = hash;
	}
	/* An anonymous filer's photos: a secret only the answer holds. */
	ptoken[0] = '\0';
	p[13] = NULL;
	if (t->who == NULL && in->photo_secret) {
		if (random_token(ptoken, sizeof(ptoken)) == -1) {
			err->code = DB_E_INTERNAL;
			goto db;
		}
		sha256_hex(ptoken, strlen(ptoken), phash);
		p[13] = phash;
	}
	if (db_exec(db, IQ(IQ_INSERT), p, &res, err) == -1)
		goto db;
	snprintf(o->id, sizeof(o->id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	res = NULL;
	q[0] = o->id;
	q[1] = now;
	q[2] = t->who != NULL ? t->who->id : NULL;
	q[3] = NULL;
	q[4] = "open";
	q[5] = NULL;
	if (db_exec(db, IQ(IQ_HISTORY_INSERT), q, NULL, err) == -1)
		goto db;
	/* The confirmation link: the only mail an unproven address gets. */
	if (token[0] != '\0') {
		json_t	*pl;
		char	 url[512];

		snprintf(url, sizeof(url), "%s/incidents/confirm#%s",
		    incidents_config.public_url, token);
		pl = json_pack("{s:s, s:s}", "url", url, "token", token);
		i = outbox_queue(db, p[14], in->email, "incident_contact_confirm",
		    lang_code(t->l), pl, NULL, err);
		json_decref(pl);
		if (i == -1)
			goto db;
	}
	/* Possible duplicates: open reports of the category within 50 m. */
	dups = json_array();
	if (in->has_position) {
		snprintf(metres, sizeof(metres), "%d",
		    INCIDENT_DUPLICATE_METRES);
		snprintf(lim, sizeof(lim), "%d", INCIDENT_DUPLICATES_MAX);
		q[0] = in->category;
		q[1] = lon;
		q[2] = lat;
		q[3] = o->id;
		q[4] = metres;
		q[5] = lim;
		if (db_exec(db, IQ(IQ_DUPLICATES), q, &dup, err) == -1) {
			json_decref(dups);
			goto db;
		}
		for (i = 0; i < db_res_rows(dup); i++)
			json_array_append_new(dups, json_pack("{s:s?, s:s?, "
			    "s:I, s:f}", "id", db_str(dup, i, "id"), "status",
			    db_str(dup, i, "status"), "supporters",
			    (json_int_t)db_int64(dup, i, "supporters"),
			    "distance_m", strtod(db_str(dup, i, "distance"),
			    NULL)));
	}
	q[0] = o->id;
	if (db_exec(db, IQ(IQ_GET), q, &res, err) == -1) {
		json_decref(dups);
		goto db;
	}
	made = json_pack("{s:o, s:o}", "report", incidents_feature(res, 0,
	    t->l), "possible_duplicates", dups);
	if (token[0] != '\0')
		json_object_set_new(made, "contact_token", json_string(token));
	if (ptoken[0] != '\0')
		json_object_set_new(made, "photo_token", json_string(ptoken));
	o->made = made;
	rc = 0;
	goto out;
db:
	json_decref(errors);
	o->result = IR_DB;
out:
	free(attrs);
	db_res_free(cat);
	db_res_free(res);
	db_res_free(dup);
	return (rc);
}

void
incidents_create(struct db *db, const struct principal *who,
    const struct incident_input *in, enum lang l, struct incident_outcome *o)
{
	struct create_tx	 t = { who, in, l, o };

	incidents_run_tx(db, create_tx, &t, o);
}

/* --- public reads -------------------------------------------------- */

void
incidents_get(struct db *db, const char *id, enum lang l,
    struct incident_outcome *o)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { id };

	memset(o, 0, sizeof(*o));
	if (db_exec(db, IQ(IQ_GET), p, &res, &o->err) == -1) {
		o->result = IR_DB;
		return;
	}
	if (db_res_rows(res) != 1)
		o->result = IR_NOT_FOUND;
	else
		o->made = incidents_feature(res, 0, l);
	db_res_free(res);
}

/*
 * The map: the ids and versions of the reports in one statement, their
 * Features kept written (http/fragment.h) straight into the answer, the
 * others read with a second statement, written and kept.  A report gone
 * between the two is left out; one changed between them is written as
 * it is now (and kept under its new versions).
 */
void
incidents_list(struct db *db, const struct incident_query *q, enum lang l,
    struct buf *out, struct incident_outcome *o)
{
	struct incidents_cols	 c;
	struct incident_view	 v;
	struct fragment_key	 k;
	struct fragment_list	 fl;
	struct db_res		*res = NULL, *rows = NULL;
	const char		*p[8], *pr[2];
	char			 b[4][40], lim[24], form[16];
	size_t			 from;
	int			 i, j, n;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < 4; i++) {
		snprintf(b[i], sizeof(b[i]), "%.8f", q->bbox[i]);
		p[i] = b[i];
	}
	snprintf(lim, sizeof(lim), "%ld", q->limit);
	p[4] = q->status;
	p[5] = q->category;
	p[6] = q->since;
	p[7] = lim;
	if (db_exec(db, IQ(IQ_MAP), p, &res, &o->err) == -1) {
		o->result = IR_DB;
		return;
	}
	n = db_res_rows(res);
	snprintf(form, sizeof(form), "map:%s", lang_code(l));
	/* About 540 bytes a Feature: one allocation for most answers. */
	buf_reserve(out, out->len + 560 * (size_t)n + 64);
	buf_adds(out, "{\"type\":\"FeatureCollection\",\"features\":[");
	fragment_list_begin(&fl, out, n, ",");
	for (i = 0; i < n; i++) {
		fragment_key(&k, form, db_str(res, i, "id"),
		    db_str(res, i, "version"));
		fragment_list_row(&fl, i, &k, db_str(res, i, "id"));
	}
	if ((pr[0] = fragment_list_missing(&fl)) != NULL) {
		pr[1] = lang_code(l);
		if (db_exec(db, IQ(IQ_MAP_ROWS), pr, &rows, &o->err) == -1) {
			o->result = IR_DB;
			goto out;
		}
		incidents_cols_one(rows, &c);
		for (j = 0; j < db_res_rows(rows); j++) {
			if (!fragment_list_match(&fl, db_str(rows, j, "id"),
			    &i))
				continue;
			incidents_view(rows, j, &c, &v);
			from = fl.made.len;
			incidents_feature_write(&fl.made, &v);
			fragment_key(&k, form, v.id, db_str(rows, j,
			    "version"));
			fragment_list_made(&fl, i, from, &k);
		}
		fragment_list_end(&fl);
	}
	buf_adds(out, "]}");
out:
	fragment_list_free(&fl);
	db_res_free(rows);
	db_res_free(res);
}

/* --- mail ---------------------------------------------------------- */

/* The status mail of locked report row 0 of 'r' to everyone following. */
static int
mail_followers(struct db *db, const struct db_res *r, struct db_error *err)
{
	struct db_res	*f = NULL;
	const char	*p[1] = { db_str(r, 0, "id") };
	const char	*st = db_str(r, 0, "status");
	json_t		*pl;
	char		 url[400], expected[40];
	int		 i, rc = 0;

	snprintf(url, sizeof(url), "%s/incidents/%s",
	    incidents_config.public_url, p[0]);
	clock_format(db_time(r, 0, "expected_at"), expected, sizeof(expected));
	expected[10] = '\0';
	pl = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, "
	    "s:s}",
	    "category_fr", db_str(r, 0, "name_fr"),
	    "category_en", db_str(r, 0, "name_en"),
	    "category_it", db_str(r, 0, "name_it"),
	    "status", st,
	    "status_fr", status_label(st, LANG_FR),
	    "status_en", status_label(st, LANG_EN),
	    "status_it", status_label(st, LANG_IT),
	    "note", db_str(r, 0, "status_note") != NULL ?
	    db_str(r, 0, "status_note") : "",
	    "url", url, "expected", expected);
	if (db_exec(db, IQ(IQ_FOLLOWERS), p, &f, err) == -1) {
		json_decref(pl);
		return (-1);
	}
	for (i = 0; i < db_res_rows(f) && rc == 0; i++)
		if (identity_mail(db, db_str(f, i, "account"),
		    "incident_status", pl, NULL, err) == -1)
			rc = -1;
	/*
	 * An anonymous follow-up address: only once its holder proved it;
	 * filed under the account whose address it was (sql/039), if any.
	 */
	if (rc == 0 && db_str(r, 0, "contact_email") != NULL &&
	    !db_isnull(r, 0, "contact_verified_at"))
		rc = outbox_queue(db, db_str(r, 0, "contact_person_id"),
		    db_str(r, 0, "contact_email"),
		    "incident_status", db_str(r, 0, "contact_locale") != NULL ?
		    db_str(r, 0, "contact_locale") : "fr", pl, NULL, err);
	db_res_free(f);
	json_decref(pl);
	return (rc);
}

/* --- staff --------------------------------------------------------- */

/*
 * Lock report 'id' for staff 'who' of its department: 0 with the row in
 * *res; -1 with o set (404 for anyone else, as if it did not exist).
 */
static int
lock_for_staff(struct db *db, const struct principal *who, const char *id,
    struct db_res **res, struct incident_outcome *o, struct db_error *err)
{
	const char	*p[1] = { id };

	*res = NULL;
	if (db_exec(db, IQ(IQ_LOCK), p, res, err) == -1) {
		o->result = IR_DB;
		return (-1);
	}
	if (db_res_rows(*res) != 1 || policy_incident(who, db_str(*res, 0,
	    "department"), db_str(*res, 0, "reporter_id")) != POLICY_ALLOW) {
		db_res_free(*res);
		*res = NULL;
		return (not_found(o));
	}
	return (0);
}

/*
 * The one place a report changes state (agents: incidents_update();
 * partners: incidents_o311_move()): report 'id', locked by the caller
 * and in state 'from', moves to u->to with its note, reason and original
 * at the clock's now, by 'actor' (an agent; NULL: a partner application);
 * its history row (its id into 'hist' when not NULL), the status mail to
 * its reporter, supporters and confirmed follow-up address, and for a
 * duplicate its people moved to the original.  0, or -1 with 'err'.
 */
int
incidents_move_apply(struct db *db, const char *id, const char *actor,
    const char *from, const struct incident_update *u, char *hist,
    size_t histlen, struct db_error *err)
{
	struct db_res	*r = NULL, *h = NULL, *x = NULL;
	const char	*p[6];
	char		 now[40];
	int		 rc = -1;

	clock_format(clock_now(), now, sizeof(now));
	p[0] = id;
	p[1] = u->to;
	p[2] = u->note;
	p[3] = u->reason;
	p[4] = u->duplicate_of;
	p[5] = now;
	if (db_exec(db, IQ(IQ_MOVE), p, NULL, err) == -1)
		goto out;
	p[0] = id;
	p[1] = now;
	p[2] = actor;
	p[3] = from;
	p[4] = u->to;
	p[5] = u->note;
	if (db_exec(db, IQ(IQ_HISTORY_INSERT), p, &h, err) == -1)
		goto out;
	if (hist != NULL)
		snprintf(hist, histlen, "%s", db_str(h, 0, "id"));
	/* The state after the move, as the mail tells it. */
	p[0] = id;
	if (db_exec(db, IQ(IQ_LOCK), p, &r, err) == -1 ||
	    mail_followers(db, r, err) == -1)
		goto out;
	if (u->duplicate_of != NULL) {
		/* Its people support the original from now on. */
		p[0] = id;
		p[1] = u->duplicate_of;
		p[2] = now;
		if (db_exec(db, IQ(IQ_SUPPORTERS_MOVE), p, NULL, err) == -1 ||
		    db_exec(db, IQ(IQ_SUPPORTERS_CLEAR), p, &x, err) == -1)
			goto out;
	}
	rc = 0;
out:
	db_res_free(r);
	db_res_free(h);
	db_res_free(x);
	return (rc);
}

struct move_tx {
	const struct principal		*who;
	const char			*id;
	const struct incident_update	*u;
	enum lang			 l;
	struct incident_outcome		*o;
};

static int
move_tx(struct db *db, void *arg, struct db_error *err)
{
	struct move_tx		*t = arg;
	const struct incident_update *u = t->u;
	struct incident_outcome	*o = t->o;
	struct db_res		*r = NULL, *orig = NULL;
	const char		*p[1], *from;
	json_t			*errors;
	int			 rc = -1;

	incident_outcome_reset(o);
	if (lock_for_staff(db, t->who, t->id, &r, o, err) == -1)
		return (-1);
	from = db_str(r, 0, "status");
	if (!incidents_move_allowed(from, u->to)) {
		rc = refuse(o, IE_TRANSITION, from, u->to);
		goto out;
	}
	errors = json_array();
	if (strcmp(u->to, "closed") == 0 && u->reason == NULL)
		json_error_add(errors, "/reason", "required", t->l == LANG_FR ?
		    "la raison de la clôture est obligatoire" : t->l ==
		    LANG_IT ? "il motivo della chiusura è obbligatorio" :
		    "closing needs a reason");
	if (u->reason != NULL && strcmp(u->to, "closed") != 0)
		json_error_add(errors, "/reason", "not_allowed",
		    "only when closing");
	if ((u->reason != NULL && strcmp(u->reason, "duplicate") == 0) !=
	    (u->duplicate_of != NULL))
		json_error_add(errors, "/duplicate_of", u->duplicate_of ==
		    NULL ? "required" : "not_allowed",
		    "a duplicate names its original, and only a duplicate");
	if (u->duplicate_of != NULL && strcmp(u->duplicate_of, t->id) == 0)
		json_error_add(errors, "/duplicate_of", "invalid",
		    "a report is not its own duplicate");
	if (json_array_size(errors) == 0 && u->duplicate_of != NULL) {
		/* The original: a report of the same department. */
		p[0] = u->duplicate_of;
		if (db_exec(db, IQ(IQ_LOCK), p, &orig, err) == -1) {
			json_decref(errors);
			o->result = IR_DB;
			goto out;
		}
		if (db_res_rows(orig) != 1 || strcmp(db_str(orig, 0,
		    "department"), db_str(r, 0, "department")) != 0 ||
		    db_str(orig, 0, "duplicate_of") != NULL)
			json_error_add(errors, "/duplicate_of", "invalid",
			    "no report of this department to point to");
	}
	if (json_array_size(errors) > 0) {
		rc = invalid(o, errors);
		goto out;
	}
	json_decref(errors);
	if (incidents_move_apply(db, t->id, t->who->id, from, u, NULL, 0,
	    err) == -1)
		goto out;
	snprintf(o->id, sizeof(o->id), "%s", t->id);
	rc = 0;
	goto out;
out:
	db_res_free(r);
	db_res_free(orig);
	return (rc);
}

void
incidents_update(struct db *db, const struct principal *who, const char *id,
    const struct incident_update *u, enum lang l, struct incident_outcome *o)
{
	struct move_tx	 t = { who, id, u, l, o };

	incidents_run_tx(db, move_tx, &t, o);
}

struct support_tx {
	const struct principal	*who;
	const char		*id;
	struct incident_outcome	*o;
};

static int
support_tx(struct db *db, void *arg, struct db_error *err)
{
	struct support_tx	*t = arg;
	struct db_res		*r = NULL, *s = NULL;
	const char		*p[3];
	char			 now[40];
	int			 rc = -1;

	incident_outcome_reset(t->o);
	p[0] = t->id;
	if (db_exec(db, IQ(IQ_LOCK), p, &r, err) == -1)
		goto out;
	if (db_res_rows(r) != 1) {
		rc = not_found(t->o);
		goto out;
	}
	if (strcmp(db_str(r, 0, "status"), "resolved") == 0 ||
	    strcmp(db_str(r, 0, "status"), "closed") == 0) {
		rc = refuse(t->o, IE_TRANSITION, db_str(r, 0, "status"),
		    "supported");
		goto out;
	}
	clock_format(clock_now(), now, sizeof(now));
	p[1] = t->who->id;
	p[2] = now;
	/* Its own reporter follows it already. */
	if (db_str(r, 0, "reporter_id") == NULL ||
	    strcmp(db_str(r, 0, "reporter_id"), t->who->id) != 0) {
		if (db_exec(db, IQ(IQ_SUPPORT), p, &s, err) == -1)
			goto out;
		t->o->made = json_pack("{s:b}", "added", db_int64(s, 0,
		    "added") > 0);
	} else
		t->o->made = json_pack("{s:b}", "added", 0);
	snprintf(t->o->id, sizeof(t->o->id), "%s", t->id);
	rc = 0;
	goto out;
out:
	db_res_free(r);
	db_res_free(s);
	return (rc);
}

void
incidents_support(struct db *db, const struct principal *who, const char *id,
    struct incident_outcome *o)
{
	struct support_tx	 t = { who, id, o };

	incidents_run_tx(db, support_tx, &t, o);
}

/* The report with what only its department sees; the read is logged. */
struct details_tx {
	const struct principal	*who;
	const char		*id;
	enum lang		 l;
	struct incident_outcome	*o;
};

static json_t *
rows_json(const struct db_res *res, const char *const *cols,
    const char *timecol)
{
	json_t	*a = json_array(), *e;
	int	 i;
	size_t	 c;

	for (i = 0; i < db_res_rows(res); i++) {
		e = json_object();
		for (c = 0; cols[c] != NULL; c++)
			json_object_set_new(e, cols[c], json_pack("s?",
			    db_str(res, i, cols[c])));
		json_set_time(e, timecol, db_time(res, i, timecol));
		json_array_append_new(a, e);
	}
	return (a);
}

static int
details_tx(struct db *db, void *arg, struct db_error *err)
{
	static const char *const hcols[] = { "actor_id", "from_status",
	    "to_status", "note", NULL };
	static const char *const ncols[] = { "author_id", "body", NULL };
	struct details_tx	*t = arg;
	struct db_res		*r = NULL, *h = NULL, *n = NULL;
	const char		*p[1] = { t->id };
	json_t			*f, *staff;
	int			 rc = -1, restricted;

	incident_outcome_reset(t->o);
	if (lock_for_staff(db, t->who, t->id, &r, t->o, err) == -1)
		return (-1);
	/*
	 * The reporter's data read for the report: the access log.  A
	 * reporter who restricted the processing of their data (Art. 18
	 * RGPD) is not read: the report is handled, its reporter held back.
	 */
	restricted = db_bool(r, 0, "reporter_restricted");
	if (!restricted && db_str(r, 0, "person_id") != NULL &&
	    access_record(db, db_str(r, 0, "person_id"), t->who,
	    "incidents.report", t->id, "incident report", 0, err) == -1)
		goto out;
	if (db_exec(db, IQ(IQ_HISTORY), p, &h, err) == -1 ||
	    db_exec(db, IQ(IQ_NOTES), p, &n, err) == -1)
		goto out;
	f = incidents_feature(r, 0, t->l);
	staff = json_pack("{s:s?, s:b, s:s?, s:b, s:s?, s:b, s:o, s:o}",
	    "reporter_id", restricted ? NULL : db_str(r, 0, "reporter_id"),
	    "reporter_restricted", restricted,
	    "contact_email", db_str(r, 0, "contact_email"),
	    "contact_verified", !db_isnull(r, 0, "contact_verified_at"),
	    "assignee_id", db_str(r, 0, "assignee_id"),
	    "personal_data_flagged", db_bool(r, 0, "personal_data_flagged"),
	    "history", rows_json(h, hcols, "at"),
	    "notes", rows_json(n, ncols, "at"));
	json_object_set_new(f, "staff", staff);
	t->o->made = f;
	rc = 0;
	goto out;
out:
	db_res_free(r);
	db_res_free(h);
	db_res_free(n);
	return (rc);
}

void
incidents_details(struct db *db, const struct principal *who, const char *id,
    enum lang l, struct incident_outcome *o)
{
	struct details_tx	 t = { who, id, l, o };

	incidents_run_tx(db, details_tx, &t, o);
}

struct patch_tx {
	const struct principal	*who;
	const char		*id;
	const json_t		*body;
	enum lang		 l;
	struct incident_outcome	*o;
};

static int
patch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct patch_tx		*t = arg;
	struct db_res		*r = NULL, *a = NULL;
	const json_t		*as = json_object_get(t->body, "assignee");
	const json_t		*fl = json_object_get(t->body,
				    "personal_data_flagged");
	const char		*p[5];
	char			 now[40];
	int			 rc = -1;

	incident_outcome_reset(t->o);
	if (lock_for_staff(db, t->who, t->id, &r, t->o, err) == -1)
		return (-1);
	if (json_is_string(as)) {
		p[0] = json_string_value(as);
		p[1] = db_str(r, 0, "department");
		if (db_exec(db, IQ(IQ_AGENT_OF), p, &a, err) == -1)
			goto out;
		if (db_res_rows(a) != 1) {
			json_t	*e = json_array();

			json_error_add(e, "/assignee", "invalid",
			    t->l == LANG_FR ? "pas un agent de ce service" :
			    t->l == LANG_IT ? "non è un agente di questo "
			    "servizio" : "not an agent of this department");
			rc = invalid(t->o, e);
			goto out;
		}
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = t->id;
	p[1] = as != NULL ? "1" : "0";
	p[2] = json_is_string(as) ? json_string_value(as) : NULL;
	p[3] = fl == NULL ? NULL : json_is_true(fl) ? "true" : "false";
	p[4] = now;
	if (db_exec(db, IQ(IQ_PATCH), p, NULL, err) == -1)
		goto out;
	snprintf(t->o->id, sizeof(t->o->id), "%s", t->id);
	rc = 0;
	goto out;
out:
	db_res_free(r);
	db_res_free(a);
	return (rc);
}

void
incidents_patch(struct db *db, const struct principal *who, const char *id,
    const json_t *body, enum lang l, struct incident_outcome *o)
{
	struct patch_tx	 t = { who, id, body, l, o };

	incidents_run_tx(db, patch_tx, &t, o);
}

struct note_tx {
	const struct principal	*who;
	const char		*id;
	const char		*body;
	struct incident_outcome	*o;
};

static int
note_tx(struct db *db, void *arg, struct db_error *err)
{
	struct note_tx	*t = arg;
	struct db_res	*r = NULL;
	const char	*p[4];
	char		 now[40];
	int		 rc;

	incident_outcome_reset(t->o);
	if (lock_for_staff(db, t->who, t->id, &r, t->o, err) == -1)
		return (-1);
	db_res_free(r);
	clock_format(clock_now(), now, sizeof(now));
	p[0] = t->id;
	p[1] = now;
	p[2] = t->who->id;
	p[3] = t->body;
	if ((rc = db_exec(db, IQ(IQ_NOTE_INSERT), p, NULL, err)) == -1)
		t->o->result = IR_DB;
	else
		snprintf(t->o->id, sizeof(t->o->id), "%s", t->id);
	return (rc);
}

void
incidents_note(struct db *db, const struct principal *who, const char *id,
    const char *body, struct incident_outcome *o)
{
	struct note_tx	 t = { who, id, body, o };

	incidents_run_tx(db, note_tx, &t, o);
}

void
incidents_confirm(struct db *db, const char *token,
    struct incident_outcome *o)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 hash[SHA256_HEX_LEN], now[40];

	memset(o, 0, sizeof(*o));
	sha256_hex(token, strlen(token), hash);
	clock_format(clock_now(), now, sizeof(now));
	p[0] = hash;
	p[1] = now;
	if (db_exec(db, IQ(IQ_CONFIRM), p, &res, &o->err) == -1) {
		o->result = IR_DB;
		return;
	}
	if (db_res_rows(res) != 1)
		o->result = IR_NOT_FOUND;
	else
		snprintf(o->id, sizeof(o->id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
}
