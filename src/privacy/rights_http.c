/*
 * rights_http.c: the HTTP handlers of the person's rights: the subject
 * read of the DPO and the access log, rights requests and deadlines,
 * restriction and objection.  SQL is in rights_db.c; the rules are in
 * rights.h.
 *
 * Rules kept here:
 *  - a read of a person by the town declares a purpose (X-Purpose) and is
 *    logged in the transaction of the read; without a purpose, no read
 *    (400, the same for every such read);
 *  - every change is one transaction; a refusal found inside it names its
 *    problem code (tx_refuse()) and rolls everything back;
 *  - every time comes from clock_now() (the injectable clock); a request
 *    recorded by the DPO was received no later than now (give or take
 *    RECEIVED_SKEW) and no earlier than it can still be kept
 *    (R_REQ_OLDEST);
 *  - the person's own rights requests (objection, restriction) are
 *    throttled per client address (PRIV_RIGHTS_BUDGET);
 *  - no answer is 402 and none names a fee (Art. 12(5));
 *  - logs carry ids, request kinds and purpose codes only, never texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "db/db.h"
#include "http/page.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "identity/identity.h"
#include "json/check.h"
#include "privacy/deadline.h"
#include "privacy/privacy.h"
#include "privacy/privacy_int.h"
#include "privacy/rights.h"

/*
 * How far ahead of the server's clock a date of receipt typed by the DPO
 * may be: the clocks of the DPO's computer and of the server differ a
 * little, never by more.
 */
#define RECEIVED_SKEW	(300LL * 1000000)

/* Purposes of direct marketing: objection is absolute (Art. 21(2)-(3)). */
static const char *const direct_marketing[] = { "newsletter", NULL };

/* Input schemas. */

static const char *const request_kinds[] = { "access", "rectification",
    "erasure", "restriction", "objection", NULL };
static const char *const request_statuses[] = { "received", "in_progress",
    "extended", "answered", "refused", NULL };
static const char *const patch_statuses[] = { "in_progress", "answered",
    "refused", NULL };
static const char *const decisions[] = { "upheld", "rejected", NULL };

static const struct json_field request_create_fields[] = {
	{ .name = "account_id", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_UUID },
	{ .name = "kind", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = request_kinds },
	{ .name = "received_at", .kind = JK_STRING, .format = JF_DATETIME },
	{ .name = "purpose", .kind = JK_STRING, .min_len = 2, .max_len = 40 },
	{ .name = "grounds", .kind = JK_STRING, .min_len = 1,
	  .max_len = 4000 },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec privacy_request_create_spec = {
	.name = "rights_request", .fields = request_create_fields };

static const struct json_field request_patch_fields[] = {
	{ .name = "status", .kind = JK_STRING, .one_of = patch_statuses },
	{ .name = "answer", .kind = JK_STRING, .min_len = 1,
	  .max_len = 16000 },
	{ .name = "reason", .kind = JK_STRING, .min_len = 1, .max_len = 4000 },
	{ .name = "extension_months", .kind = JK_INTEGER, .min = 1,
	  .max = 2 },
	{ .name = "extension_reason", .kind = JK_STRING, .min_len = 1,
	  .max_len = 2000 },
	{ .name = "decision", .kind = JK_STRING, .one_of = decisions },
	{ .name = "grounds", .kind = JK_STRING, .min_len = 1,
	  .max_len = 4000 },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec privacy_request_patch_spec = {
	.name = "rights_request_patch", .fields = request_patch_fields };

static const struct json_field objection_fields[] = {
	{ .name = "purpose", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 2, .max_len = 40 },
	{ .name = "grounds", .kind = JK_STRING, .min_len = 1,
	  .max_len = 4000 },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec privacy_objection_spec = { .name = "objection",
    .fields = objection_fields };

/* Texts for the person and the field errors, by language. */
enum rmsg { RM_MARKETING_ANSWER, RM_UPHELD, RM_REQUIRED, RM_ONE_ACTION,
    RM_EMPTY, RM_RECEIVED_FUTURE, RM_RECEIVED_OLD, RM_PURPOSE_FOR_OBJECTION,
    RM_NOT_OBJECTION, RM_NO_ACCOUNT, RM_NO_PURPOSE, RM__COUNT };
static const char *const rmsgs[RM__COUNT][LANG__COUNT] = {
	[RM_MARKETING_ANSWER] = {
	    "Opposition à la prospection : effective immédiatement, votre "
	    "consentement est retiré (art. 21.3 du RGPD).",
	    "Objection to direct marketing: effective at once, your consent "
	    "is withdrawn (Art. 21(3) GDPR).",
	    "Opposizione al marketing diretto: efficace subito, il consenso "
	    "è revocato (art. 21, par. 3, RGPD)." },
	[RM_UPHELD] = {
	    "Votre opposition est acceptée : le traitement de vos données "
	    "pour cette finalité cesse.",
	    "Your objection is upheld: your data is no longer processed for "
	    "this purpose.",
	    "La sua opposizione è accolta: i suoi dati non sono più trattati "
	    "per questa finalità." },
	[RM_REQUIRED] = { "ce champ est obligatoire ici",
	    "this field is required here", "questo campo è obbligatorio qui" },
	[RM_ONE_ACTION] = { "une seule action à la fois : prolonger, "
	    "commencer, répondre, refuser ou décider",
	    "one action at a time: extend, start, answer, refuse or decide",
	    "una sola azione alla volta: prorogare, iniziare, rispondere, "
	    "rifiutare o decidere" },
	[RM_EMPTY] = { "indiquez une action : prolonger, commencer, répondre, "
	    "refuser ou décider",
	    "name one action: extend, start, answer, refuse or decide",
	    "indica un'azione: prorogare, iniziare, rispondere, rifiutare o "
	    "decidere" },
	[RM_RECEIVED_FUTURE] = { "la date de réception est dans le futur",
	    "the date of receipt is in the future",
	    "la data di ricezione è nel futuro" },
	[RM_RECEIVED_OLD] = { "la date de réception est trop ancienne : une "
	    "demande s'enregistre tant qu'elle peut être conservée, et pas "
	    "avant l'entrée en application du RGPD ; au plus tôt",
	    "the date of receipt is too old: a request is recorded while it "
	    "may still be kept, and not before the GDPR applied; at the "
	    "earliest",
	    "la data di ricezione è troppo vecchia: una richiesta si registra "
	    "finché può essere conservata, e non prima dell'applicazione del "
	    "RGPD; al più presto" },
	[RM_PURPOSE_FOR_OBJECTION] = { "une opposition porte sur une finalité",
	    "an objection names a purpose", "un'opposizione indica una finalità" },
	[RM_NOT_OBJECTION] = { "seule une opposition porte sur une finalité",
	    "only an objection names a purpose",
	    "solo un'opposizione indica una finalità" },
	[RM_NO_ACCOUNT] = { "aucune personne n'a cet identifiant",
	    "no person has this id", "nessuna persona ha questo "
	    "identificativo" },
	[RM_NO_PURPOSE] = { "aucune finalité n'a ce code",
	    "no purpose has this code", "nessuna finalità ha questo codice" },
};

static const char *
rmsg(const struct request *req, enum rmsg m)
{
	return (rmsgs[m][req->lang]);
}

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return (1);
	return (0);
}

/*
 * Inside a transaction: refuse for 'why' (a problem code of
 * privacy_int.h); db_tx() rolls back and the handler answers tx_reply().
 */
static int
tx_refuse(enum privacy_err *slot, enum privacy_err why, struct db_error *err)
{
	*slot = why;
	err->code = DB_OK;
	return (-1);
}

/* The answer to a transaction that failed: its refusal, or the database. */
static void
tx_reply(struct request *req, enum privacy_err refused,
    const struct db_error *err)
{
	if (err->code == DB_OK && refused != PE__COUNT)
		reply_error(req, PRIV_ERR(refused));
	else
		reply_db_error(req, err);
}

/* GET /api/v1/admin/privacy/subjects/{id} */

struct subject_tx {
	const char		*id;
	const struct principal	*who;
	const char		*purpose;
	int64_t			 disclose_after;
	struct db_res		*res;
	enum privacy_err	 refused;
};

static int
subject_tx(struct db *db, void *arg, struct db_error *err)
{
	struct subject_tx	*t = arg;
	const char		*p[1] = { t->id };

	db_res_free(t->res);
	t->res = NULL;
	if (db_exec(db, R_STMT(R_SUBJECT_GET), p, &t->res, err) == -1)
		return (-1);
	if (db_res_rows(t->res) != 1)
		return (tx_refuse(&t->refused, PE_SUBJECT_NOT_FOUND, err));
	/* Restricted: stored only; the DPO alone may still read it. */
	if (db_bool(t->res, 0, "restricted") && !(t->who->roles & ROLE_DPO))
		return (tx_refuse(&t->refused, PE_SUBJECT_RESTRICTED, err));
	return (privacy_access_record(db, t->id, t->who, "identity.account",
	    t->id, t->purpose, t->disclose_after, err));
}

int
privacy_subject_get(struct request *req)
{
	struct subject_tx	 t;
	struct db_error		 err;
	const char		*after;
	json_t			*o, *r;
	const struct db_res	*res;

	memset(&t, 0, sizeof(t));
	t.refused = PE__COUNT;
	t.who = req->principal;
	if ((t.id = param_uuid_or_reply(req, "id",
	    PRIV_ERR(PE_SUBJECT_NOT_FOUND))) == NULL ||
	    (t.purpose = priv_purpose_or_reply(req, 0)) == NULL)
		return (0);
	after = request_header(req, "X-Disclose-After");
	if (after != NULL && clock_parse(after, &t.disclose_after) == -1) {
		reply_error(req, PRIV_ERR(PE_DISCLOSE_AFTER));
		return (0);
	}
	if (db_tx(db_thread(), subject_tx, &t, &err) == -1) {
		db_res_free(t.res);
		tx_reply(req, t.refused, &err);
		return (0);
	}
	res = t.res;
	o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
	    "id", db_str(res, 0, "id"),
	    "display_name", db_str(res, 0, "display_name"),
	    "email", db_str(res, 0, "email"),
	    "phone", db_str(res, 0, "phone"),
	    "locale", db_str(res, 0, "locale"),
	    "profile_kind", db_str(res, 0, "profile_kind"),
	    "status", db_str(res, 0, "status"));
	json_set_time(o, "created_at", db_time(res, 0, "created_at"));
	r = json_pack("{s:b}", "restricted", db_bool(res, 0, "restricted"));
	json_set_time(r, "since", db_time(res, 0, "restricted_since"));
	json_object_set_new(o, "restriction", r);
	db_res_free(t.res);
	log_info("%s %s read person %s (access logged)",
	    (req->principal->roles & ROLE_DPO) ? "dpo" : "agent",
	    req->principal->id, t.id);
	reply_json(req, 200, o);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/*
 * A page of a keyset list: run 'st' whose last parameter is the number of
 * rows wanted (one more than 'limit', set here), reply the items made by
 * 'item' and the cursor of the last one, keyed by its column 'key' (a
 * time) and its id.
 */
static void
reply_list(struct request *req, enum rights_stmt st, const char **p,
    int nparams, long limit, json_t *(*item)(const struct db_res *, int),
    const char *key)
{
	struct db_res	*res = NULL;
	char		 lim[24], *next = NULL;
	json_t		*items;
	int		 i, n;

	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[nparams - 1] = lim;
	if (reply_exec(req, R_STMT(st), p, &res) == -1)
		return;
	items = json_array();
	n = db_res_rows(res);
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, item(res, i));
	if (n > limit)
		next = priv_cursor_make(db_time(res, (int)limit - 1, key),
		    db_str(res, (int)limit - 1, "id"));
	db_res_free(res);
	priv_reply_page(req, items, next);
}

/* GET /api/v1/me/access-log */

static json_t *
access_item(const struct db_res *res, int i)
{
	const char	*kind = db_str(res, i, "reader_kind");
	const char	*dep = db_str(res, i, "department");
	json_t		*o, *who;

	if (strcmp(kind, "client") == 0) {
		who = json_pack("{s:s, s:s?}", "kind", kind,
		    "id", db_str(res, i, "client_id"));
		json_set_str(who, "name", db_str(res, i, "client_name"));
	} else
		who = json_pack("{s:s, s:s?, s:o}", "kind", kind,
		    "id", db_str(res, i, "reader_account"), "department",
		    dep == NULL ? json_null() : json_pack("{s:s, s:s?}",
		    "code", dep, "name", db_str(res, i, "department_name")));
	o = json_pack("{s:o, s:s?, s:s?, s:s?}", "reader", who,
	    "dataset", db_str(res, i, "dataset"),
	    "record", db_str(res, i, "record"),
	    "purpose", db_str(res, i, "purpose"));
	json_set_time(o, "at", db_time(res, i, "at"));
	return (o);
}

int
privacy_access_log_get(struct request *req)
{
	const char	*cursor = request_query(req, "cursor");
	const char	*p[6];
	char		 now[40], at[40], id[40];
	long		 limit;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (cursor != NULL && priv_cursor_split(cursor, at, id, 0) == -1) {
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (0);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = req->principal->id;
	p[1] = now;
	p[2] = lang_code(req->lang);
	p[3] = cursor != NULL ? at : NULL;
	p[4] = cursor != NULL ? id : NULL;
	reply_list(req, R_ACCESS_LIST, p, 6, limit, access_item, "at");
	priv_language_headers(req, req->lang);
	return (0);
}

/* Rights requests. */

static json_t *
request_item(const struct db_res *res, int i)
{
	static const char *const texts[] = { "id", "account_id", "kind",
	    "channel", "purpose", "grounds", "status", "answer",
	    "refusal_reason", "decision", "decision_grounds", "decided_by",
	    "recorded_by" };
	static const char *const times[] = { "received_at", "due_at",
	    "extended_until", "extension_notified_at", "decided_at" };
	json_t	*o;
	int64_t	 until;
	size_t	 k;

	o = json_object();
	for (k = 0; k < NELEM(texts); k++)
		json_object_set_new(o, texts[k], json_pack("s?",
		    db_str(res, i, texts[k])));
	for (k = 0; k < NELEM(times); k++)
		json_set_time(o, times[k], db_time(res, i, times[k]));
	until = db_time(res, i, "extended_until");
	json_set_time(o, "deadline", until != 0 ? until :
	    db_time(res, i, "due_at"));
	json_object_set_new(o, "overdue",
	    json_boolean(db_bool(res, i, "overdue")));
	return (o);
}

/* Read a request in the transaction: 0 with *out set (or null), or -1. */
static int
request_reload(struct db *db, const char *id, json_t **out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 now[40];

	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	p[1] = id;
	if (db_exec(db, R_STMT(R_REQ_GET), p, &res, err) == -1)
		return (-1);
	json_decref(*out);
	*out = db_res_rows(res) == 1 ? request_item(res, 0) : json_null();
	db_res_free(res);
	return (0);
}

/* Insert a request received 'received' (microseconds); its id in 'id'. */
struct new_request {
	const char	*account;
	const char	*kind;
	const char	*channel;
	const char	*purpose;
	const char	*grounds;
	int64_t		 received;
	const char	*recorded_by;
	/* closed at once (objection to direct marketing) */
	const char	*status;
	const char	*answer;
	const char	*decision;
	const char	*decision_grounds;
	char		 id[40];
};

static int
request_insert(struct db *db, struct new_request *n, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[14];
	char		 rec[40], due[40], now[40];
	int		 closed = n->status != NULL &&
			    strcmp(n->status, "received") != 0;

	clock_format(n->received, rec, sizeof(rec));
	clock_format(deadline_add_months(n->received, 1), due, sizeof(due));
	clock_format(clock_now(), now, sizeof(now));
	p[0] = n->account;
	p[1] = n->kind;
	p[2] = n->channel;
	p[3] = n->purpose;
	p[4] = n->grounds;
	p[5] = rec;
	p[6] = due;
	p[7] = n->recorded_by;
	p[8] = n->status != NULL ? n->status : "received";
	p[9] = n->answer;
	p[10] = n->decision;
	p[11] = n->decision_grounds;
	p[12] = NULL;
	p[13] = closed ? now : NULL;
	if (db_exec(db, R_STMT(R_REQ_INSERT), p, &res, err) == -1)
		return (-1);
	snprintf(n->id, sizeof(n->id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	return (0);
}

/* POST /api/v1/admin/privacy/requests */

struct create_tx {
	struct new_request	 n;
	json_t			*out;
	/* a field refused inside the transaction */
	const char		*field;
	enum rmsg		 why;
	int64_t			 oldest;
};

static int
create_refuse(struct create_tx *t, const char *field, enum rmsg why,
    struct db_error *err)
{
	t->field = field;
	t->why = why;
	err->code = DB_OK;
	return (-1);
}

static int
create_tx(struct db *db, void *arg, struct db_error *err)
{
	struct create_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[1];
	char			 now[40];
	int			 rows;

	t->field = NULL;
	p[0] = t->n.account;
	if (privacy_person_lock(db, p[0], err) == -1 ||
	    db_exec(db, R_STMT(R_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	db_res_free(res);
	if (rows != 1)
		return (create_refuse(t, "/account_id", RM_NO_ACCOUNT, err));
	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	if (db_exec(db, R_STMT(R_REQ_OLDEST), p, &res, err) == -1)
		return (-1);
	t->oldest = db_time(res, 0, "oldest");
	db_res_free(res);
	if (t->n.received < t->oldest)
		return (create_refuse(t, "/received_at", RM_RECEIVED_OLD, err));
	if (t->n.purpose != NULL) {
		p[0] = t->n.purpose;
		if (db_exec(db, R_STMT(R_PURPOSE_BASIS), p, &res, err) == -1)
			return (-1);
		rows = db_res_rows(res);
		db_res_free(res);
		if (rows != 1)
			return (create_refuse(t, "/purpose", RM_NO_PURPOSE,
			    err));
	}
	if (request_insert(db, &t->n, err) == -1)
		return (-1);
	return (request_reload(db, t->n.id, &t->out, err));
}

/*
 * A value of the body that names nothing (a person, a purpose): a 422
 * with one error on 'field', code "unknown"; the same fault named in a
 * path is a 404: the same fault gets the same status on every route
 * (ARCHITECTURE.md, "API conventions").
 */
static void
reply_unknown(struct request *req, const char *field, enum rmsg why)
{
	json_t	*errors = json_array();

	json_error_add(errors, field, "unknown", rmsg(req, why));
	priv_reply_fields(req, errors);
}

/* The 422 of a field refused inside create_tx(). */
static void
create_refused(struct request *req, const struct create_tx *t)
{
	json_t	*errors;
	char	*msg, oldest[40];

	if (t->why != RM_RECEIVED_OLD) {
		reply_unknown(req, t->field, t->why);
		return;
	}
	/* To the second, rounded up: that second is accepted. */
	clock_format(t->oldest + (1000000 - t->oldest % 1000000) % 1000000,
	    oldest, sizeof(oldest));
	xasprintf(&msg, "%s %s", rmsg(req, t->why), oldest);
	errors = json_array();
	json_error_add(errors, t->field, "range", msg);
	free(msg);
	priv_reply_fields(req, errors);
}

int
privacy_requests_create(struct request *req)
{
	struct create_tx	 t;
	struct db_error		 err;
	const char		*at = json_str(req->json, "received_at");
	json_t			*errors;
	int64_t			 now = clock_now();
	char			 loc[96];

	memset(&t, 0, sizeof(t));
	t.n.account = json_str(req->json, "account_id");
	t.n.kind = json_str(req->json, "kind");
	t.n.channel = "counter";
	t.n.purpose = json_str(req->json, "purpose");
	t.n.grounds = json_str(req->json, "grounds");
	t.n.recorded_by = req->principal->id;
	t.n.received = now;
	errors = json_array();
	if (at != NULL) {
		if (clock_parse(at, &t.n.received) == -1)
			json_error_add(errors, "/received_at", "format",
			    "RFC 3339");
		else if (t.n.received > now + RECEIVED_SKEW)
			json_error_add(errors, "/received_at", "range",
			    rmsg(req, RM_RECEIVED_FUTURE));
	}
	if (strcmp(t.n.kind, "objection") == 0 && t.n.purpose == NULL)
		json_error_add(errors, "/purpose", "required",
		    rmsg(req, RM_PURPOSE_FOR_OBJECTION));
	if (strcmp(t.n.kind, "objection") != 0 && t.n.purpose != NULL)
		json_error_add(errors, "/purpose", "not_allowed",
		    rmsg(req, RM_NOT_OBJECTION));
	if (json_array_size(errors) > 0) {
		priv_reply_fields(req, errors);
		return (0);
	}
	json_decref(errors);
	if (db_tx(db_thread(), create_tx, &t, &err) == -1) {
		json_decref(t.out);
		if (err.code == DB_OK && t.field != NULL)
			create_refused(req, &t);
		else
			reply_db_error(req, &err);
		return (0);
	}
	log_info("dpo %s recorded %s request %s for account %s",
	    req->principal->id, t.n.kind, t.n.id, t.n.account);
	snprintf(loc, sizeof(loc), "/api/v1/admin/privacy/requests/%s", t.n.id);
	reply_json(req, 201, t.out);
	reply_header(req, "Location", loc);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* GET /api/v1/admin/privacy/requests/{id}: a read of the person, logged. */

struct read_tx {
	const char		*id;
	const char		*purpose;
	const struct principal	*who;
	json_t			*out;
	enum privacy_err	 refused;
};

static int
read_tx(struct db *db, void *arg, struct db_error *err)
{
	struct read_tx	*t = arg;
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 now[40];
	int		 rc = 0;

	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	p[1] = t->id;
	if (db_exec(db, R_STMT(R_REQ_GET), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (tx_refuse(&t->refused, PE_REQUEST_NOT_FOUND, err));
	}
	json_decref(t->out);
	t->out = request_item(res, 0);
	/* Cut from an erased person: nobody's data, nothing to record. */
	if (db_str(res, 0, "account_id") != NULL)
		rc = privacy_access_record(db, db_str(res, 0, "account_id"),
		    t->who, "privacy.request", t->id, t->purpose, 0, err);
	db_res_free(res);
	return (rc);
}

int
privacy_requests_get(struct request *req)
{
	struct read_tx	 t;
	struct db_error	 err;

	memset(&t, 0, sizeof(t));
	t.refused = PE__COUNT;
	t.who = req->principal;
	if ((t.id = param_uuid_or_reply(req, "id",
	    PRIV_ERR(PE_REQUEST_NOT_FOUND))) == NULL ||
	    (t.purpose = priv_purpose_or_reply(req, 0)) == NULL)
		return (0);
	if (db_tx(db_thread(), read_tx, &t, &err) == -1) {
		json_decref(t.out);
		tx_reply(req, t.refused, &err);
		return (0);
	}
	log_info("dpo %s read request %s (access logged)", req->principal->id,
	    t.id);
	reply_json(req, 200, t.out);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* GET /api/v1/admin/privacy/requests */

int
privacy_requests_list(struct request *req)
{
	const char	*overdue = request_query(req, "overdue");
	const char	*status = request_query(req, "status");
	const char	*account = request_query(req, "account_id");
	const char	*cursor = request_query(req, "cursor");
	const char	*p[7];
	char		 now[40], at[40], id[40];
	long		 limit;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (overdue != NULL && strcmp(overdue, "true") != 0 &&
	    strcmp(overdue, "false") != 0 && strcmp(overdue, "1") != 0 &&
	    strcmp(overdue, "0") != 0) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "overdue=true|false");
		return (0);
	}
	if (status != NULL && !in_list(status, request_statuses)) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "status=received|"
		    "in_progress|extended|answered|refused");
		return (0);
	}
	if (account != NULL && !json_format_ok(JF_UUID, account)) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "account_id=<uuid>");
		return (0);
	}
	if (cursor != NULL && priv_cursor_split(cursor, at, id, 1) == -1) {
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (0);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	p[1] = overdue == NULL ? NULL : (strcmp(overdue, "true") == 0 ||
	    strcmp(overdue, "1") == 0) ? "true" : "false";
	p[2] = status;
	p[3] = account;
	p[4] = cursor != NULL ? at : NULL;
	p[5] = cursor != NULL ? id : NULL;
	reply_list(req, R_REQ_LIST, p, 7, limit, request_item, "received_at");
	return (0);
}

/* PATCH /api/v1/admin/privacy/requests/{id} */

enum patch_action { PA_START, PA_EXTEND, PA_ANSWER, PA_REFUSE, PA_DECIDE };

struct patch_tx {
	const char		*id;
	const json_t		*in;
	const char		*dpo;
	enum patch_action	 action;
	json_t			*out;
	enum privacy_err	 refused;
};

/* Queue a message to the person; nothing when the account is gone. */
static int
notify_person(struct db *db, const char *account, const char *template,
    json_t *payload, char *outbox_id, struct db_error *err)
{
	int	 rc;

	if (account == NULL) {
		json_decref(payload);
		return (0);
	}
	rc = identity_mail(db, account, template, payload, outbox_id, err);
	json_decref(payload);
	return (rc == -1 ? -1 : 0);
}

/* "<text>\n\n<remedies>" in the person's language (Art. 12(4)). */
static char *
with_remedies(const char *before, const char *reason, enum lang l)
{
	char	*s;

	xasprintf(&s, "%s%s%s\n\n%s", before != NULL ? before : "",
	    before != NULL ? "\n\n" : "", reason, privacy_remedies_text(l));
	return (s);
}

static int
patch_close(struct db *db, struct patch_tx *t, const struct db_res *res,
    struct db_error *err)
{
	enum lang	 l = lang_from_code(db_str(res, 0, "locale"), LANG_FR);
	const char	*p[8];
	char		*answer = NULL, now[40];
	const char	*status, *refusal = NULL, *decision = NULL;
	const char	*grounds = NULL;
	int		 rc;

	switch (t->action) {
	case PA_ANSWER:
		status = "answered";
		answer = xstrdup(json_str(t->in, "answer"));
		break;
	case PA_REFUSE:
		status = "refused";
		refusal = json_str(t->in, "reason");
		answer = with_remedies(json_str(t->in, "answer"), refusal, l);
		break;
	default:	/* PA_DECIDE */
		decision = json_str(t->in, "decision");
		grounds = json_str(t->in, "grounds");
		if (strcmp(decision, "upheld") == 0) {
			status = "answered";
			answer = xstrdup(rmsgs[RM_UPHELD][l]);
		} else {
			/* Compelling legitimate grounds (Art. 21(1)). */
			status = "refused";
			refusal = grounds;
			answer = with_remedies(NULL, grounds, l);
		}
		break;
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = t->id;
	p[1] = status;
	p[2] = answer;
	p[3] = refusal;
	p[4] = decision;
	p[5] = grounds;
	p[6] = t->dpo;
	p[7] = now;
	rc = db_exec(db, R_STMT(R_REQ_CLOSE), p, NULL, err);
	if (rc == 0)
		rc = notify_person(db, db_str(res, 0, "account_id"),
		    "rights_request_answer", json_pack("{s:s, s:s?, s:s, s:s}",
		    "request_id", t->id, "kind", db_str(res, 0, "kind"),
		    "status", status, "answer", answer), NULL, err);
	free(answer);
	return (rc);
}

/* The extension (Art. 12(3)): the person is told now, with the reasons. */
static int
patch_extend(struct db *db, struct patch_tx *t, const struct db_res *res,
    struct db_error *err)
{
	const char	*p[3];
	char		 now[40], until[40];
	int64_t		 ext;
	json_t		*payload;

	ext = deadline_add_months(db_time(res, 0, "due_at"),
	    (int)json_integer_value(json_object_get(t->in,
	    "extension_months")));
	payload = json_pack("{s:s, s:s?, s:s?}", "request_id", t->id,
	    "kind", db_str(res, 0, "kind"),
	    "reason", json_str(t->in, "extension_reason"));
	json_set_time(payload, "extended_until", ext);
	if (notify_person(db, db_str(res, 0, "account_id"),
	    "rights_request_extended", payload, NULL, err) == -1)
		return (-1);
	clock_format(ext, until, sizeof(until));
	clock_format(clock_now(), now, sizeof(now));
	p[0] = t->id;
	p[1] = until;
	p[2] = now;
	return (db_exec(db, R_STMT(R_REQ_EXTEND), p, NULL, err));
}

/* Why the request's state forbids the action, or PE__COUNT. */
static enum privacy_err
patch_conflict(const struct patch_tx *t, const struct db_res *res)
{
	const char	*status = db_str(res, 0, "status");

	if (strcmp(status, "answered") == 0 || strcmp(status, "refused") == 0)
		return (PE_REQUEST_CLOSED);
	if (t->action == PA_DECIDE &&
	    strcmp(db_str(res, 0, "kind"), "objection") != 0)
		return (PE_REQUEST_NOT_OBJECTION);
	if (t->action == PA_START && strcmp(status, "received") != 0)
		return (PE_REQUEST_STARTED);
	if (t->action == PA_EXTEND && !db_isnull(res, 0, "extended_until"))
		return (PE_REQUEST_EXTENDED);
	if (t->action == PA_EXTEND && clock_now() > db_time(res, 0, "due_at"))
		return (PE_EXTENSION_LATE);
	return (PE__COUNT);
}

static int
patch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct patch_tx		*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2];
	char			 now[40];
	enum privacy_err	 why;
	int			 rc;

	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	p[1] = t->id;
	if (db_exec(db, R_STMT(R_REQ_LOCK), p, &res, err) == -1)
		return (-1);
	why = db_res_rows(res) != 1 ? PE_REQUEST_NOT_FOUND :
	    patch_conflict(t, res);
	if (why != PE__COUNT) {
		db_res_free(res);
		return (tx_refuse(&t->refused, why, err));
	}
	switch (t->action) {
	case PA_START:
		p[0] = t->id;
		rc = db_exec(db, R_STMT(R_REQ_START), p, NULL, err);
		break;
	case PA_EXTEND:
		rc = patch_extend(db, t, res, err);
		break;
	default:
		rc = patch_close(db, t, res, err);
		break;
	}
	db_res_free(res);
	if (rc == -1)
		return (-1);
	return (request_reload(db, t->id, &t->out, err));
}

static size_t
present(const json_t *in, const char *k)
{
	return (json_object_get(in, k) != NULL);
}

/*
 * Which action the body asks for: the one member that names it, with the
 * members that go with it and no other.  -1 with the 422 set.
 */
static int
patch_action_or_reply(struct request *req, enum patch_action *a)
{
	const json_t	*in = req->json;
	const char	*status = json_str(in, "status");
	const char	*needs = NULL;
	json_t		*errors;
	size_t		 allowed = 1;

	errors = json_array();
	if (json_object_size(in) == 0) {
		json_error_add(errors, "", "empty", rmsg(req, RM_EMPTY));
		reply_error_fields(req, HTTP_ERR(HE_EMPTY_PATCH), errors);
		return (-1);
	}
	if (present(in, "extension_months") + present(in, "decision") +
	    (status != NULL) != 1) {
		json_error_add(errors, "", "one_action",
		    rmsg(req, RM_ONE_ACTION));
		priv_reply_fields(req, errors);
		return (-1);
	}
	if (present(in, "extension_months")) {
		*a = PA_EXTEND;
		allowed += present(in, "extension_reason");
	} else if (present(in, "decision")) {
		*a = PA_DECIDE;
		needs = "grounds";
	} else if (strcmp(status, "in_progress") == 0)
		*a = PA_START;
	else if (strcmp(status, "answered") == 0) {
		*a = PA_ANSWER;
		needs = "answer";
	} else {
		/* A refusal states its reasons (Art. 12(4)). */
		*a = PA_REFUSE;
		needs = "reason";
		allowed += present(in, "answer");
	}
	if (needs != NULL) {
		allowed += present(in, needs);
		if (!present(in, needs))
			json_error_add(errors, *a == PA_DECIDE ? "/grounds" :
			    *a == PA_ANSWER ? "/answer" : "/reason",
			    "required", rmsg(req, RM_REQUIRED));
	}
	if (json_object_size(in) != allowed)
		json_error_add(errors, "", "one_action",
		    rmsg(req, RM_ONE_ACTION));
	if (json_array_size(errors) == 0) {
		json_decref(errors);
		return (0);
	}
	priv_reply_fields(req, errors);
	return (-1);
}

int
privacy_requests_patch(struct request *req)
{
	static const char *const action_names[] = {
		[PA_START] = "started", [PA_EXTEND] = "extended",
		[PA_ANSWER] = "answered", [PA_REFUSE] = "refused",
		[PA_DECIDE] = "decided" };
	struct patch_tx	 t;
	struct db_error	 err;

	memset(&t, 0, sizeof(t));
	t.refused = PE__COUNT;
	if ((t.id = param_uuid_or_reply(req, "id",
	    PRIV_ERR(PE_REQUEST_NOT_FOUND))) == NULL ||
	    patch_action_or_reply(req, &t.action) == -1)
		return (0);
	t.in = req->json;
	t.dpo = req->principal->id;
	if (db_tx(db_thread(), patch_tx, &t, &err) == -1) {
		json_decref(t.out);
		tx_reply(req, t.refused, &err);
		return (0);
	}
	log_info("dpo %s %s request %s", req->principal->id,
	    action_names[t.action], t.id);
	reply_json(req, 200, t.out);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* Restriction (Art. 18). */

static int
restriction_reply(struct request *req, int status, const char *account)
{
	struct db_res	*res = NULL, *hist = NULL;
	const char	*p[1] = { account };
	json_t		*o, *h, *e;
	int		 i, open;

	if (reply_exec(req, R_STMT(R_RESTRICT_OPEN), p, &res) == -1)
		return (0);
	if (reply_exec(req, R_STMT(R_RESTRICT_HISTORY), p, &hist) == -1) {
		db_res_free(res);
		return (0);
	}
	open = db_res_rows(res) == 1;
	o = json_pack("{s:b}", "restricted", open);
	json_set_time(o, "since", open ? db_time(res, 0, "since") : 0);
	h = json_array();
	for (i = 0; i < db_res_rows(hist); i++) {
		e = json_object();
		json_set_time(e, "since", db_time(hist, i, "since"));
		json_object_set_new(e, "channel",
		    json_pack("s?", db_str(hist, i, "channel")));
		json_set_time(e, "notified_at", db_time(hist, i,
		    "notified_at"));
		json_set_time(e, "lifted_at", db_time(hist, i, "lifted_at"));
		json_array_append_new(h, e);
	}
	json_object_set_new(o, "history", h);
	db_res_free(res);
	db_res_free(hist);
	reply_json(req, status, o);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

int
privacy_restriction_get(struct request *req)
{
	return (restriction_reply(req, 200, req->principal->id));
}

struct restrict_tx {
	const char		*account;
	const char		*dpo;
	enum privacy_err	 refused;
	enum privacy_err	 gone;		/* the code for no account */
	int			 already;	/* POST: already restricted */
	char			 outbox[40];
};

/*
 * The person's lock and their account, then their open restriction:
 * 0 with *open (an id when there is one; res kept in *res), or -1.
 */
static int
restriction_open(struct db *db, struct restrict_tx *t, struct db_res **res,
    struct db_error *err)
{
	const char	*p[1] = { t->account };
	int		 rows;

	if (privacy_person_lock(db, t->account, err) == -1 ||
	    db_exec(db, R_STMT(R_ACCOUNT_LOCK), p, res, err) == -1)
		return (-1);
	rows = db_res_rows(*res);
	db_res_free(*res);
	*res = NULL;
	if (rows != 1)
		return (tx_refuse(&t->refused, t->gone, err));
	return (db_exec(db, R_STMT(R_RESTRICT_OPEN), p, res, err));
}

static int
restrict_tx(struct db *db, void *arg, struct db_error *err)
{
	struct restrict_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[3];
	char			 now[40];

	if (restriction_open(db, t, &res, err) == -1)
		return (-1);
	t->already = db_res_rows(res) == 1;
	db_res_free(res);
	if (t->already)
		return (0);
	clock_format(clock_now(), now, sizeof(now));
	p[0] = t->account;
	p[1] = now;
	p[2] = "api";
	return (db_exec(db, R_STMT(R_RESTRICT_INSERT), p, NULL, err));
}

int
privacy_restriction_post(struct request *req)
{
	struct restrict_tx	 t;
	struct db_error		 err;

	if (ratelimit_peer_or_reply(req, "privacy_rights",
	    PRIV_RIGHTS_BUDGET, PRIV_BUDGET_WINDOW) == -1)
		return (0);
	memset(&t, 0, sizeof(t));
	t.refused = PE__COUNT;
	t.gone = PE_ACCOUNT_NOT_ACTIVE;
	t.account = req->principal->id;
	if (db_tx(db_thread(), restrict_tx, &t, &err) == -1) {
		tx_reply(req, t.refused, &err);
		return (0);
	}
	if (!t.already)
		log_info("account %s restricted the processing of its data",
		    t.account);
	return (restriction_reply(req, t.already ? 200 : 201, t.account));
}

/*
 * The lift: the notice to the person is queued first (Art. 18(3)), then
 * the restriction names it and is lifted, in one transaction; the
 * database refuses a lift that names no earlier notice.
 */
static int
lift_tx(struct db *db, void *arg, struct db_error *err)
{
	struct restrict_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[5];
	char			 rid[32], notified[40], lifted[40];
	json_t			*payload;

	if (restriction_open(db, t, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (tx_refuse(&t->refused, PE_SUBJECT_NOT_RESTRICTED, err));
	}
	snprintf(rid, sizeof(rid), "%s", db_str(res, 0, "id"));
	payload = json_object();
	json_set_time(payload, "restricted_since", db_time(res, 0, "since"));
	db_res_free(res);
	t->outbox[0] = '\0';
	if (notify_person(db, t->account, "restriction_lift", payload,
	    t->outbox, err) == -1)
		return (-1);
	/* Nobody to tell (no active account): no lift. */
	if (t->outbox[0] == '\0')
		return (tx_refuse(&t->refused, PE_SUBJECT_NOT_FOUND, err));
	/* The notice's created_at is no later than these. */
	clock_format(clock_now(), notified, sizeof(notified));
	clock_format(clock_now(), lifted, sizeof(lifted));
	p[0] = rid;
	p[1] = notified;
	p[2] = t->outbox;
	p[3] = lifted;
	p[4] = t->dpo;
	return (db_exec(db, R_STMT(R_RESTRICT_LIFT), p, NULL, err));
}

int
privacy_restriction_lift(struct request *req)
{
	struct restrict_tx	 t;
	struct db_error		 err;

	memset(&t, 0, sizeof(t));
	t.refused = PE__COUNT;
	t.gone = PE_SUBJECT_NOT_FOUND;
	if ((t.account = param_uuid_or_reply(req, "id",
	    PRIV_ERR(PE_SUBJECT_NOT_FOUND))) == NULL)
		return (0);
	t.dpo = req->principal->id;
	if (db_tx(db_thread(), lift_tx, &t, &err) == -1) {
		tx_reply(req, t.refused, &err);
		return (0);
	}
	log_info("dpo %s lifted the restriction of account %s after notice "
	    "%s", t.dpo, t.account, t.outbox);
	return (restriction_reply(req, 200, t.account));
}

/* Objection (Art. 21): POST /api/v1/me/objections */

struct objection_tx {
	struct new_request	 n;
	enum lang		 lang;		/* of the answer */
	json_t			*out;
	enum privacy_err	 refused;
	char			 basis[32];
};

/* A consent-based purpose: direct marketing ends at once (Art. 21(3)). */
static int
objection_marketing(struct db *db, struct objection_tx *t,
    struct db_error *err)
{
	enum consent_outcome	 out;

	if (!in_list(t->n.purpose, direct_marketing))
		return (tx_refuse(&t->refused, PE_OBJECTION_WITHDRAW, err));
	if (priv_consent_apply(db, t->n.account, t->n.purpose, 0, "api",
	    &out, err) == -1) {
		if (err->code != DB_OK)
			return (-1);
		return (tx_refuse(&t->refused, out == CONSENT_NO_ACCOUNT ?
		    PE_ACCOUNT_NOT_ACTIVE : PE_PURPOSE_CHANGED, err));
	}
	t->n.status = "answered";
	t->n.answer = rmsgs[RM_MARKETING_ANSWER][t->lang];
	t->n.decision = "upheld";
	t->n.decision_grounds = "Art. 21(3) GDPR: an objection to "
	    "direct marketing is always upheld.";
	return (0);
}

static int
objection_tx(struct db *db, void *arg, struct db_error *err)
{
	struct objection_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2];
	int			 rows;

	t->n.status = NULL;
	p[0] = t->n.account;
	p[1] = t->n.purpose;
	if (privacy_person_lock(db, p[0], err) == -1 ||
	    db_exec(db, R_STMT(R_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	db_res_free(res);
	if (rows != 1)
		return (tx_refuse(&t->refused, PE_ACCOUNT_NOT_ACTIVE, err));
	if (db_exec(db, R_STMT(R_PURPOSE_BASIS), p + 1, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	snprintf(t->basis, sizeof(t->basis), "%s", rows == 1 ?
	    db_str(res, 0, "legal_basis") : "");
	db_res_free(res);
	if (rows != 1)
		return (tx_refuse(&t->refused, PE_PURPOSE_NOT_FOUND, err));
	if (strcmp(t->basis, "consent") == 0) {
		if (objection_marketing(db, t, err) == -1)
			return (-1);
	} else if (strcmp(t->basis, "public_task") != 0 &&
	    strcmp(t->basis, "legitimate_interest") != 0)
		return (tx_refuse(&t->refused, PE_OBJECTION_BASIS, err));
	else {
		if (db_exec(db, R_STMT(R_REQ_OPEN_OBJECTION), p, &res,
		    err) == -1)
			return (-1);
		rows = db_res_rows(res);
		db_res_free(res);
		if (rows > 0)
			return (tx_refuse(&t->refused, PE_OBJECTION_PENDING,
			    err));
	}
	if (request_insert(db, &t->n, err) == -1)
		return (-1);
	return (request_reload(db, t->n.id, &t->out, err));
}

int
privacy_objection_post(struct request *req)
{
	struct objection_tx	 t;
	struct db_error		 err;
	char			 path[96], link[160];

	if (ratelimit_peer_or_reply(req, "privacy_rights",
	    PRIV_RIGHTS_BUDGET, PRIV_BUDGET_WINDOW) == -1)
		return (0);
	memset(&t, 0, sizeof(t));
	t.refused = PE__COUNT;
	t.lang = req->lang;
	t.n.account = req->principal->id;
	t.n.kind = "objection";
	t.n.channel = "api";
	t.n.purpose = json_str(req->json, "purpose");
	t.n.grounds = json_str(req->json, "grounds");
	t.n.received = clock_now();
	if (db_tx(db_thread(), objection_tx, &t, &err) == -1) {
		json_decref(t.out);
		if (err.code == DB_OK && t.refused == PE_OBJECTION_WITHDRAW) {
			snprintf(path, sizeof(path), "/api/v1/me/consents/%s",
			    t.n.purpose);
			snprintf(link, sizeof(link), "<%s>; rel=\"alternate\"",
			    path);
			reply_error(req, PRIV_ERR(t.refused), path);
			reply_header(req, "Link", link);
		} else if (err.code == DB_OK && t.refused == PE_OBJECTION_BASIS)
			reply_error(req, PRIV_ERR(t.refused), t.basis);
		else if (err.code == DB_OK && t.refused == PE_PURPOSE_NOT_FOUND)
			reply_unknown(req, "/purpose", RM_NO_PURPOSE);
		else
			tx_reply(req, t.refused, &err);
		return (0);
	}
	log_info("account %s objected to %s (request %s)", t.n.account,
	    t.n.purpose, t.n.id);
	reply_json(req, 201, t.out);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}
