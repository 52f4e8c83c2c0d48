/*
 * rights_http.c: the HTTP handlers of the person's rights: the subject
 * read of the DPO and the access log, rights requests and deadlines,
 * restriction and objection.  SQL is in rights_db.c; the rules are in
 * rights.h.
 *
 * Rules kept here:
 *  - a read of a person by the town declares a purpose (X-Purpose) and is
 *    logged in the transaction of the read; without a purpose, no read;
 *  - every time comes from clock_now() (the injectable clock);
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
#include "db/db.h"
#include "http/page.h"
#include "http/reply.h"
#include "identity/identity.h"
#include "json/check.h"
#include "privacy/deadline.h"
#include "privacy/privacy.h"
#include "privacy/privacy_int.h"
#include "privacy/rights.h"

#define PURPOSE_MAX	500	/* X-Purpose, characters */

static const char *const lang_codes[] = { "fr", "en", "it" };

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
	{ "account_id", JK_STRING, JF_REQUIRED, JF_UUID, 0, 0, 0, 0, NULL, NULL, 0 },
	{ "kind", JK_STRING, JF_REQUIRED, JF_NONE, 0, 0, 0, 0, request_kinds, NULL, 0 },
	{ "received_at", JK_STRING, 0, JF_DATETIME, 0, 0, 0, 0, NULL, NULL, 0 },
	{ "purpose", JK_STRING, 0, JF_NONE, 2, 40, 0, 0, NULL, NULL, 0 },
	{ "grounds", JK_STRING, 0, JF_NONE, 1, 4000, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec privacy_request_create_spec = { "rights_request",
    request_create_fields, 0 };

static const struct json_field request_patch_fields[] = {
	{ "status", JK_STRING, 0, JF_NONE, 0, 0, 0, 0, patch_statuses, NULL, 0 },
	{ "answer", JK_STRING, 0, JF_NONE, 1, 16000, 0, 0, NULL, NULL, 0 },
	{ "reason", JK_STRING, 0, JF_NONE, 1, 4000, 0, 0, NULL, NULL, 0 },
	{ "extension_months", JK_INTEGER, 0, JF_NONE, 0, 0, 1, 2, NULL, NULL, 0 },
	{ "extension_reason", JK_STRING, 0, JF_NONE, 1, 2000, 0, 0, NULL, NULL, 0 },
	{ "decision", JK_STRING, 0, JF_NONE, 0, 0, 0, 0, decisions, NULL, 0 },
	{ "grounds", JK_STRING, 0, JF_NONE, 1, 4000, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec privacy_request_patch_spec = { "rights_request_patch",
    request_patch_fields, 0 };

static const struct json_field objection_fields[] = {
	{ "purpose", JK_STRING, JF_REQUIRED, JF_NONE, 2, 40, 0, 0, NULL, NULL, 0 },
	{ "grounds", JK_STRING, 0, JF_NONE, 1, 4000, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec privacy_objection_spec = { "objection",
    objection_fields, 0 };

/* Texts for the person, by language. */
enum rmsg { RM_MARKETING_ANSWER, RM_UPHELD, RM_REQUIRED, RM_ONE_ACTION,
    RM_RECEIVED_FUTURE, RM_PURPOSE_FOR_OBJECTION, RM_NOT_OBJECTION };
static const char *const rmsgs[][3] = {
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
	[RM_RECEIVED_FUTURE] = { "la date de réception est dans le futur",
	    "the date of receipt is in the future",
	    "la data di ricezione è nel futuro" },
	[RM_PURPOSE_FOR_OBJECTION] = { "une opposition porte sur une finalité",
	    "an objection names a purpose", "un'opposizione indica una finalità" },
	[RM_NOT_OBJECTION] = { "seule une opposition porte sur une finalité",
	    "only an objection names a purpose",
	    "solo un'opposizione indica una finalità" },
};

static const char *
rmsg(const struct request *req, enum rmsg m)
{
	return (rmsgs[m][req->lang]);
}

static int
lang_index(const char *code)
{
	if (code != NULL && strcmp(code, "en") == 0)
		return (1);
	if (code != NULL && strcmp(code, "it") == 0)
		return (2);
	return (0);
}

static const char *
jstr(const json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v != NULL ? json_string(v) : json_null());
}

static int
exec_or_reply(struct request *req, enum rights_stmt st,
    const char *const *params, struct db_res **res)
{
	return (reply_exec(req, R_STMT(st), params, res));
}

static void
now_text(char *out, size_t len)
{
	clock_format(clock_now(), out, len);
}

static int
uuid_param_or_reply(struct request *req, const char **id, const char *what)
{
	*id = request_param(req, "id");
	if (*id == NULL || !json_format_ok(JF_UUID, *id)) {
		reply_problem(req, PROB_NOT_FOUND, "no such %s", what);
		return (-1);
	}
	return (0);
}

/* Keyset cursors: the shared opaque form of "<time>|<id>". */
static char *
cursor_encode(const char *at, const char *id)
{
	char	*key, *out;

	xasprintf(&key, "%s|%s", at, id);
	out = page_cursor_encode(key);
	free(key);
	return (out);
}

/*
 * Split a cursor into its time and id (both checked), into 'at' (>= 40)
 * and 'id' (>= 40).  0, or -1 when it is not one of ours.
 */
static int
cursor_decode(const char *c, char *at, char *id, int uuid_id)
{
	char	*key, *bar;
	int64_t	 t;
	int	 rc = -1;

	if ((key = page_cursor_decode(c)) == NULL)
		return (-1);
	if ((bar = strchr(key, '|')) == NULL)
		goto out;
	*bar++ = '\0';
	if (strlen(key) >= 40 || strlen(bar) >= 40 ||
	    clock_parse(key, &t) == -1 ||
	    (uuid_id ? !json_format_ok(JF_UUID, bar) :
	    strspn(bar, "0123456789") != strlen(bar) || *bar == '\0'))
		goto out;
	snprintf(at, 40, "%s", key);
	snprintf(id, 40, "%s", bar);
	rc = 0;
out:
	free(key);
	return (rc);
}


static void
reply_page(struct request *req, json_t *items, const char *at, const char *id)
{
	char	*next;

	if (at != NULL) {
		next = cursor_encode(at, id);
		reply_json(req, 200, json_pack("{s:o, s:s}", "items", items,
		    "next_cursor", next));
		free(next);
	} else
		reply_json(req, 200, json_pack("{s:o, s:n}", "items", items,
		    "next_cursor"));
	reply_header(req, "Cache-Control", "no-store");
}

/* GET /api/v1/admin/privacy/subjects/{id} */

struct subject_tx {
	const char		*id;
	const struct principal	*who;
	const char		*purpose;
	int64_t			 disclose_after;
	struct db_res		*res;
	int			 not_found;
	int			 restricted;
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
	if (db_res_rows(t->res) != 1) {
		t->not_found = 1;
		err->code = DB_OK;
		return (-1);
	}
	/* Restricted: stored only; the DPO alone may still read it. */
	if (strcmp(db_res_get(t->res, 0, 8), "t") == 0 &&
	    !(t->who->roles & ROLE_DPO)) {
		t->restricted = 1;
		err->code = DB_OK;
		return (-1);
	}
	return (privacy_access_record(db, t->id, t->who, "identity.account",
	    t->id, t->purpose, t->disclose_after, err));
}

/* The X-Purpose header, trimmed, or NULL when absent or blank. */
static const char *
purpose_header(struct request *req)
{
	const char	*h = request_header(req, "X-Purpose");
	char		*s;
	size_t		 n;

	if (h == NULL)
		return (NULL);
	while (*h == ' ' || *h == '\t')
		h++;
	s = request_strdup(req, h);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return (n > 0 ? s : NULL);
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
	if (uuid_param_or_reply(req, &t.id, "person") == -1)
		return (0);
	t.who = req->principal;
	if ((t.purpose = purpose_header(req)) == NULL) {
		reply_problem(req, PROB_BAD_REQUEST, "an agent read without a "
		    "purpose is refused: send the case or the purpose in "
		    "X-Purpose");
		return (0);
	}
	if (json_utf8_len(t.purpose) > PURPOSE_MAX) {
		reply_problem(req, PROB_BAD_REQUEST, "X-Purpose is longer than "
		    "%d characters", PURPOSE_MAX);
		return (0);
	}
	after = request_header(req, "X-Disclose-After");
	if (after != NULL && clock_parse(after, &t.disclose_after) == -1) {
		reply_problem(req, PROB_BAD_REQUEST, "X-Disclose-After must be "
		    "an RFC 3339 date and time");
		return (0);
	}
	if (db_tx(db_thread(), subject_tx, &t, &err) == -1) {
		db_res_free(t.res);
		if (t.not_found)
			reply_problem(req, PROB_NOT_FOUND, "no such person");
		else if (t.restricted)
			reply_problem(req, PROB_CONFLICT, "restricted: this "
			    "person's data is under restriction of processing "
			    "(Art. 18 GDPR)");
		else
			reply_db_error(req, &err);
		return (0);
	}
	res = t.res;
	o = json_object();
	set_str(o, "id", db_res_get(res, 0, 0));
	set_str(o, "display_name", db_res_get(res, 0, 1));
	set_str(o, "email", db_res_get(res, 0, 2));
	set_str(o, "phone", db_res_get(res, 0, 3));
	set_str(o, "locale", db_res_get(res, 0, 4));
	set_str(o, "profile_kind", db_res_get(res, 0, 5));
	set_str(o, "status", db_res_get(res, 0, 6));
	set_str(o, "created_at", db_res_get(res, 0, 7));
	r = json_object();
	json_object_set_new(r, "restricted",
	    json_boolean(strcmp(db_res_get(res, 0, 8), "t") == 0));
	set_str(r, "since", db_res_get(res, 0, 9));
	json_object_set_new(o, "restriction", r);
	db_res_free(t.res);
	log_info("%s %s read person %s (access logged)",
	    (req->principal->roles & ROLE_DPO) ? "dpo" : "agent",
	    req->principal->id, t.id);
	reply_json(req, 200, o);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* GET /api/v1/me/access-log */

static json_t *
access_item(const struct db_res *res, int i)
{
	const char	*kind = db_res_get(res, i, 3);
	json_t		*o, *who, *d;

	o = json_object();
	set_str(o, "at", db_res_get(res, i, 2));
	who = json_object();
	set_str(who, "kind", kind);
	if (strcmp(kind, "client") == 0) {
		set_str(who, "id", db_res_get(res, i, 7));
		set_str(who, "name", db_res_get(res, i, 8));
	} else {
		set_str(who, "id", db_res_get(res, i, 4));
		if (db_res_get(res, i, 5) != NULL) {
			d = json_object();
			set_str(d, "code", db_res_get(res, i, 5));
			set_str(d, "name", db_res_get(res, i, 6));
			json_object_set_new(who, "department", d);
		} else
			json_object_set_new(who, "department", json_null());
	}
	json_object_set_new(o, "reader", who);
	set_str(o, "dataset", db_res_get(res, i, 9));
	set_str(o, "record", db_res_get(res, i, 10));
	set_str(o, "purpose", db_res_get(res, i, 11));
	return (o);
}

int
privacy_access_log_get(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*cursor = request_query(req, "cursor");
	const char	*p[6];
	char		 now[40], at[40], id[40], lim[24];
	long		 limit;
	json_t		*items;
	int		 i, n;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (cursor != NULL && cursor_decode(cursor, at, id, 0) == -1) {
		reply_problem(req, PROB_BAD_REQUEST, "invalid cursor");
		return (0);
	}
	now_text(now, sizeof(now));
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = req->principal->id;
	p[1] = now;
	p[2] = lang_codes[req->lang];
	p[3] = cursor != NULL ? at : NULL;
	p[4] = cursor != NULL ? id : NULL;
	p[5] = lim;
	if (exec_or_reply(req, R_ACCESS_LIST, p, &res) == -1)
		return (0);
	items = json_array();
	n = db_res_rows(res);
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, access_item(res, i));
	if (n > limit)
		reply_page(req, items, db_res_get(res, (int)limit - 1, 1),
		    db_res_get(res, (int)limit - 1, 0));
	else
		reply_page(req, items, NULL, NULL);
	db_res_free(res);
	reply_header(req, "Content-Language", lang_codes[req->lang]);
	reply_header(req, "Vary", "Accept-Language");
	return (0);
}

/* Rights requests. */

static json_t *
request_item(const struct db_res *res, int i)
{
	static const char *const names[] = {
		[RQ_ID] = "id", [RQ_ACCOUNT] = "account_id",
		[RQ_KIND] = "kind", [RQ_CHANNEL] = "channel",
		[RQ_PURPOSE] = "purpose", [RQ_GROUNDS] = "grounds",
		[RQ_RECEIVED] = "received_at", [RQ_DUE] = "due_at",
		[RQ_EXTENDED] = "extended_until",
		[RQ_EXT_NOTIFIED] = "extension_notified_at",
		[RQ_STATUS] = "status", [RQ_ANSWER] = "answer",
		[RQ_REFUSAL] = "refusal_reason", [RQ_DECISION] = "decision",
		[RQ_DECISION_GROUNDS] = "decision_grounds",
		[RQ_DECIDED_BY] = "decided_by", [RQ_DECIDED_AT] = "decided_at",
		[RQ_RECORDED_BY] = "recorded_by",
	};
	json_t	*o;
	int	 c;

	o = json_object();
	for (c = RQ_ID; c <= RQ_RECORDED_BY; c++)
		set_str(o, names[c], db_res_get(res, i, c));
	set_str(o, "deadline", db_res_get(res, i, RQ_EXTENDED) != NULL ?
	    db_res_get(res, i, RQ_EXTENDED) : db_res_get(res, i, RQ_DUE));
	json_object_set_new(o, "overdue",
	    json_boolean(strcmp(db_res_get(res, i, RQ_OVERDUE), "t") == 0));
	return (o);
}

/* Re-read a request in the transaction: 0 with *out set, or -1. */
static int
request_reload(struct db *db, const char *id, json_t **out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 now[40];

	now_text(now, sizeof(now));
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
	now_text(now, sizeof(now));
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
	snprintf(n->id, sizeof(n->id), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	return (0);
}

/* POST /api/v1/admin/privacy/requests */

struct create_tx {
	struct new_request	 n;
	json_t			*out;
	int			 no_account;
	int			 no_purpose;
};

static int
create_tx(struct db *db, void *arg, struct db_error *err)
{
	struct create_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[1];

	p[0] = t->n.account;
	if (privacy_person_lock(db, p[0], err) == -1 ||
	    db_exec(db, R_STMT(R_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		t->no_account = 1;
		err->code = DB_OK;
		return (-1);
	}
	db_res_free(res);
	if (t->n.purpose != NULL) {
		p[0] = t->n.purpose;
		if (db_exec(db, R_STMT(R_PURPOSE_BASIS), p, &res, err) == -1)
			return (-1);
		t->no_purpose = db_res_rows(res) != 1;
		db_res_free(res);
		if (t->no_purpose) {
			err->code = DB_OK;
			return (-1);
		}
	}
	if (request_insert(db, &t->n, err) == -1)
		return (-1);
	return (request_reload(db, t->n.id, &t->out, err));
}

int
privacy_requests_create(struct request *req)
{
	struct create_tx	 t;
	struct db_error		 err;
	const char		*at = jstr(req->json, "received_at");
	json_t			*errors;
	char			 loc[96];

	memset(&t, 0, sizeof(t));
	t.n.account = jstr(req->json, "account_id");
	t.n.kind = jstr(req->json, "kind");
	t.n.channel = "counter";
	t.n.purpose = jstr(req->json, "purpose");
	t.n.grounds = jstr(req->json, "grounds");
	t.n.recorded_by = req->principal->id;
	t.n.received = clock_now();
	errors = json_array();
	if (at != NULL) {
		if (clock_parse(at, &t.n.received) == -1)
			json_error_add(errors, "/received_at", "format",
			    "RFC 3339");
		else if (t.n.received > clock_now())
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
		reply_problem_errors(req, PROB_VALIDATION, errors,
		    "the request is invalid");
		return (0);
	}
	json_decref(errors);
	if (db_tx(db_thread(), create_tx, &t, &err) == -1) {
		json_decref(t.out);
		if (t.no_account || t.no_purpose) {
			errors = json_array();
			json_error_add(errors, t.no_account ? "/account_id" :
			    "/purpose", "unknown", t.no_account ?
			    "no such account" : "no such purpose");
			reply_problem_errors(req, PROB_VALIDATION, errors,
			    "the request is invalid");
		} else
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

/* GET /api/v1/admin/privacy/requests */

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return (1);
	return (0);
}

int
privacy_requests_list(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*overdue = request_query(req, "overdue");
	const char	*status = request_query(req, "status");
	const char	*account = request_query(req, "account_id");
	const char	*cursor = request_query(req, "cursor");
	const char	*p[7];
	char		 now[40], at[40], id[40], lim[24];
	long		 limit;
	json_t		*items;
	int		 i, n;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (overdue != NULL && strcmp(overdue, "true") != 0 &&
	    strcmp(overdue, "false") != 0 && strcmp(overdue, "1") != 0 &&
	    strcmp(overdue, "0") != 0) {
		reply_problem(req, PROB_BAD_REQUEST, "overdue must be true or "
		    "false");
		return (0);
	}
	if (status != NULL && !in_list(status, request_statuses)) {
		reply_problem(req, PROB_BAD_REQUEST, "status must be one of "
		    "received, in_progress, extended, answered, refused");
		return (0);
	}
	if (account != NULL && !json_format_ok(JF_UUID, account)) {
		reply_problem(req, PROB_BAD_REQUEST, "account_id must be a "
		    "UUID");
		return (0);
	}
	if (cursor != NULL && cursor_decode(cursor, at, id, 1) == -1) {
		reply_problem(req, PROB_BAD_REQUEST, "invalid cursor");
		return (0);
	}
	now_text(now, sizeof(now));
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = now;
	p[1] = overdue == NULL ? NULL : (strcmp(overdue, "true") == 0 ||
	    strcmp(overdue, "1") == 0) ? "true" : "false";
	p[2] = status;
	p[3] = account;
	p[4] = cursor != NULL ? at : NULL;
	p[5] = cursor != NULL ? id : NULL;
	p[6] = lim;
	if (exec_or_reply(req, R_REQ_LIST, p, &res) == -1)
		return (0);
	items = json_array();
	n = db_res_rows(res);
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, request_item(res, i));
	if (n > limit)
		reply_page(req, items, db_res_get(res, (int)limit - 1,
		    RQ_RECEIVED_KEY), db_res_get(res, (int)limit - 1, RQ_ID));
	else
		reply_page(req, items, NULL, NULL);
	db_res_free(res);
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
	const char		*conflict;	/* 409 detail */
	int			 not_found;
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
with_remedies(const char *before, const char *reason, const char *locale)
{
	char	*s;

	xasprintf(&s, "%s%s%s\n\n%s", before != NULL ? before : "",
	    before != NULL ? "\n\n" : "", reason,
	    privacy_remedies_text(locale));
	return (s);
}

static int
patch_close(struct db *db, struct patch_tx *t, const struct db_res *res,
    struct db_error *err)
{
	const char	*locale = db_res_get(res, 0, RQ_LOCALE);
	const char	*p[8];
	char		*answer = NULL, now[40];
	const char	*status, *refusal = NULL, *decision = NULL;
	const char	*grounds = NULL;
	int		 rc;

	switch (t->action) {
	case PA_ANSWER:
		status = "answered";
		answer = xstrdup(jstr(t->in, "answer"));
		break;
	case PA_REFUSE:
		status = "refused";
		refusal = jstr(t->in, "reason");
		answer = with_remedies(jstr(t->in, "answer"), refusal, locale);
		break;
	default:	/* PA_DECIDE */
		decision = jstr(t->in, "decision");
		grounds = jstr(t->in, "grounds");
		if (strcmp(decision, "upheld") == 0) {
			status = "answered";
			answer = xstrdup(rmsgs[RM_UPHELD][lang_index(locale)]);
		} else {
			/* Compelling legitimate grounds (Art. 21(1)). */
			status = "refused";
			refusal = grounds;
			answer = with_remedies(NULL, grounds, locale);
		}
		break;
	}
	now_text(now, sizeof(now));
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
		rc = notify_person(db, db_res_get(res, 0, RQ_ACCOUNT),
		    "rights_request_answer", json_pack("{s:s, s:s, s:s, s:s}",
		    "request_id", t->id, "kind", db_res_get(res, 0, RQ_KIND),
		    "status", status, "answer", answer), NULL, err);
	free(answer);
	return (rc);
}

static int
patch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct patch_tx	*t = arg;
	struct db_res	*res = NULL;
	const char	*p[3], *status;
	char		 now[40], until[40];
	int64_t		 due = 0, ext;
	int		 months, rc = 0;

	now_text(now, sizeof(now));
	p[0] = now;
	p[1] = t->id;
	if (db_exec(db, R_STMT(R_REQ_LOCK), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		t->not_found = 1;
		err->code = DB_OK;
		return (-1);
	}
	status = db_res_get(res, 0, RQ_STATUS);
	if (strcmp(status, "answered") == 0 || strcmp(status, "refused") == 0)
		t->conflict = "this request is already closed";
	else if (t->action == PA_DECIDE &&
	    strcmp(db_res_get(res, 0, RQ_KIND), "objection") != 0)
		t->conflict = "only an objection is decided with upheld or "
		    "rejected: answer or refuse this request";
	else if (t->action == PA_START && strcmp(status, "received") != 0)
		t->conflict = "this request is already in progress";
	else if (t->action == PA_EXTEND &&
	    db_res_get(res, 0, RQ_EXTENDED) != NULL)
		t->conflict = "this request was already extended: at most two "
		    "more months in all (Art. 12(3))";
	if (t->conflict == NULL && t->action == PA_EXTEND) {
		due = strtoll(db_res_get(res, 0, RQ_DUE_US), NULL, 10);
		if (clock_now() > due)
			t->conflict = "an extension must be notified to the "
			    "person within one month of receipt (Art. 12(3)); "
			    "the first month is over";
	}
	if (t->conflict != NULL) {
		db_res_free(res);
		err->code = DB_OK;
		return (-1);
	}
	switch (t->action) {
	case PA_START:
		p[0] = t->id;
		rc = db_exec(db, R_STMT(R_REQ_START), p, NULL, err);
		break;
	case PA_EXTEND:
		months = (int)json_integer_value(json_object_get(t->in,
		    "extension_months"));
		ext = deadline_add_months(due, months);
		clock_format(ext, until, sizeof(until));
		/* The person is told now, with the reasons (Art. 12(3)). */
		rc = notify_person(db, db_res_get(res, 0, RQ_ACCOUNT),
		    "rights_request_extended", json_pack("{s:s, s:s, s:s, "
		    "s:s?}", "request_id", t->id, "kind",
		    db_res_get(res, 0, RQ_KIND), "extended_until", until,
		    "reason", jstr(t->in, "extension_reason")), NULL, err);
		p[0] = t->id;
		p[1] = until;
		p[2] = now;
		if (rc == 0)
			rc = db_exec(db, R_STMT(R_REQ_EXTEND), p, NULL, err);
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

/* Which action the body asks for; -1 with the 422 set. */
static int
patch_action_or_reply(struct request *req, enum patch_action *a)
{
	const json_t	*in = req->json;
	const char	*status = jstr(in, "status");
	json_t		*errors;
	int		 n = 0;

	errors = json_array();
	n += json_object_get(in, "extension_months") != NULL;
	n += json_object_get(in, "decision") != NULL;
	n += status != NULL;
	if (n != 1) {
		json_error_add(errors, "", "one_action",
		    rmsg(req, RM_ONE_ACTION));
		goto bad;
	}
	if (present(in, "extension_months")) {
		*a = PA_EXTEND;
		if (json_object_size(in) != 1 + present(in, "extension_reason"))
			json_error_add(errors, "", "one_action",
			    rmsg(req, RM_ONE_ACTION));
	} else if (present(in, "decision")) {
		*a = PA_DECIDE;
		if (json_object_get(in, "grounds") == NULL)
			json_error_add(errors, "/grounds", "required",
			    rmsg(req, RM_REQUIRED));
		if (json_object_size(in) != 1 + present(in, "grounds"))
			json_error_add(errors, "", "one_action",
			    rmsg(req, RM_ONE_ACTION));
	} else if (strcmp(status, "in_progress") == 0) {
		*a = PA_START;
		if (json_object_size(in) != 1)
			json_error_add(errors, "", "one_action",
			    rmsg(req, RM_ONE_ACTION));
	} else if (strcmp(status, "answered") == 0) {
		*a = PA_ANSWER;
		if (json_object_get(in, "answer") == NULL)
			json_error_add(errors, "/answer", "required",
			    rmsg(req, RM_REQUIRED));
		if (json_object_size(in) != 1 + present(in, "answer"))
			json_error_add(errors, "", "one_action",
			    rmsg(req, RM_ONE_ACTION));
	} else {
		*a = PA_REFUSE;
		/* A refusal states its reasons (Art. 12(4)). */
		if (json_object_get(in, "reason") == NULL)
			json_error_add(errors, "/reason", "required",
			    rmsg(req, RM_REQUIRED));
		if (json_object_size(in) != 1 + present(in, "reason") +
		    present(in, "answer"))
			json_error_add(errors, "", "one_action",
			    rmsg(req, RM_ONE_ACTION));
	}
	if (json_array_size(errors) == 0) {
		json_decref(errors);
		return (0);
	}
bad:
	reply_problem_errors(req, PROB_VALIDATION, errors,
	    "the change is invalid");
	return (-1);
}

int
privacy_requests_patch(struct request *req)
{
	static const char *const action_names[] = { "started", "extended",
	    "answered", "refused", "decided" };
	struct patch_tx	 t;
	struct db_error	 err;

	memset(&t, 0, sizeof(t));
	if (uuid_param_or_reply(req, &t.id, "request") == -1)
		return (0);
	if (patch_action_or_reply(req, &t.action) == -1)
		return (0);
	t.in = req->json;
	t.dpo = req->principal->id;
	if (db_tx(db_thread(), patch_tx, &t, &err) == -1) {
		json_decref(t.out);
		if (t.not_found)
			reply_problem(req, PROB_NOT_FOUND, "no such request");
		else if (t.conflict != NULL)
			reply_problem(req, PROB_CONFLICT, "%s", t.conflict);
		else
			reply_db_error(req, &err);
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
	json_t		*o, *h;
	int		 i;

	if (exec_or_reply(req, R_RESTRICT_OPEN, p, &res) == -1)
		return (0);
	if (exec_or_reply(req, R_RESTRICT_HISTORY, p, &hist) == -1) {
		db_res_free(res);
		return (0);
	}
	o = json_object();
	json_object_set_new(o, "restricted", json_boolean(db_res_rows(res) ==
	    1));
	set_str(o, "since", db_res_rows(res) == 1 ? db_res_get(res, 0, 1) :
	    NULL);
	h = json_array();
	for (i = 0; i < db_res_rows(hist); i++) {
		json_t	*e = json_object();

		set_str(e, "since", db_res_get(hist, i, 0));
		set_str(e, "channel", db_res_get(hist, i, 1));
		set_str(e, "notified_at", db_res_get(hist, i, 2));
		set_str(e, "lifted_at", db_res_get(hist, i, 3));
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
	const char	*account;
	const char	*dpo;
	int		 no_account;
	int		 already;	/* POST: already restricted */
	int		 not_restricted;	/* lift */
	char		 outbox[40];
	char		 notified[40];
	char		 lifted[40];
};

static int
restrict_tx(struct db *db, void *arg, struct db_error *err)
{
	struct restrict_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[3];
	char			 now[40];

	p[0] = t->account;
	if (privacy_person_lock(db, p[0], err) == -1 ||
	    db_exec(db, R_STMT(R_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		t->no_account = 1;
		err->code = DB_OK;
		return (-1);
	}
	db_res_free(res);
	if (db_exec(db, R_STMT(R_RESTRICT_OPEN), p, &res, err) == -1)
		return (-1);
	t->already = db_res_rows(res) == 1;
	db_res_free(res);
	if (t->already)
		return (0);
	now_text(now, sizeof(now));
	p[1] = now;
	p[2] = "api";
	return (db_exec(db, R_STMT(R_RESTRICT_INSERT), p, NULL, err));
}

int
privacy_restriction_post(struct request *req)
{
	struct restrict_tx	 t;
	struct db_error		 err;

	memset(&t, 0, sizeof(t));
	t.account = req->principal->id;
	if (db_tx(db_thread(), restrict_tx, &t, &err) == -1) {
		if (t.no_account)
			reply_problem(req, PROB_NOT_FOUND, "no such account");
		else
			reply_db_error(req, &err);
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
	char			 rid[32], since[40];

	p[0] = t->account;
	if (db_exec(db, R_STMT(R_RESTRICT_OPEN), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		t->not_restricted = 1;
		err->code = DB_OK;
		return (-1);
	}
	snprintf(rid, sizeof(rid), "%s", db_res_get(res, 0, 0));
	snprintf(since, sizeof(since), "%s", db_res_get(res, 0, 1));
	db_res_free(res);
	t->outbox[0] = '\0';
	if (notify_person(db, t->account, "restriction_lift",
	    json_pack("{s:s}", "restricted_since", since), t->outbox,
	    err) == -1)
		return (-1);
	if (t->outbox[0] == '\0') {
		/* Nobody to tell (no active account): no lift. */
		t->no_account = 1;
		err->code = DB_OK;
		return (-1);
	}
	now_text(t->notified, sizeof(t->notified));
	/* The notice's created_at is no later than this. */
	now_text(t->lifted, sizeof(t->lifted));
	p[0] = rid;
	p[1] = t->notified;
	p[2] = t->outbox;
	p[3] = t->lifted;
	p[4] = t->dpo;
	return (db_exec(db, R_STMT(R_RESTRICT_LIFT), p, NULL, err));
}

int
privacy_restriction_lift(struct request *req)
{
	struct restrict_tx	 t;
	struct db_error		 err;

	memset(&t, 0, sizeof(t));
	if (uuid_param_or_reply(req, &t.account, "person") == -1)
		return (0);
	t.dpo = req->principal->id;
	if (db_tx(db_thread(), lift_tx, &t, &err) == -1) {
		if (t.not_restricted)
			reply_problem(req, PROB_CONFLICT, "this person's data "
			    "is not restricted");
		else if (t.no_account)
			reply_problem(req, PROB_NOT_FOUND, "no such person");
		else
			reply_db_error(req, &err);
		return (0);
	}
	log_info("dpo %s lifted the restriction of account %s after notice "
	    "%s", t.dpo, t.account, t.outbox);
	return (restriction_reply(req, 200, t.account));
}

/* Objection (Art. 21): POST /api/v1/me/objections */

struct objection_tx {
	struct new_request	 n;
	json_t			*out;
	int			 already;
};

static int
objection_tx(struct db *db, void *arg, struct db_error *err)
{
	struct objection_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2];

	p[0] = t->n.account;
	if (privacy_person_lock(db, p[0], err) == -1 ||
	    db_exec(db, R_STMT(R_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	db_res_free(res);
	if (t->n.status == NULL) {
		p[1] = t->n.purpose;
		if (db_exec(db, R_STMT(R_REQ_OPEN_OBJECTION), p, &res,
		    err) == -1)
			return (-1);
		t->already = db_res_rows(res) > 0;
		db_res_free(res);
		if (t->already) {
			err->code = DB_OK;
			return (-1);
		}
	}
	if (request_insert(db, &t->n, err) == -1)
		return (-1);
	return (request_reload(db, t->n.id, &t->out, err));
}

int
privacy_objection_post(struct request *req)
{
	struct objection_tx	 t;
	struct db_res		*res = NULL;
	struct db_error		 err;
	enum consent_outcome	 out;
	const char		*purpose = jstr(req->json, "purpose");
	const char		*p[1];
	char			 basis[32], link[160];

	p[0] = purpose;
	if (exec_or_reply(req, R_PURPOSE_BASIS, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		reply_problem(req, PROB_NOT_FOUND, "no such purpose");
		return (0);
	}
	snprintf(basis, sizeof(basis), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	memset(&t, 0, sizeof(t));
	t.n.account = req->principal->id;
	t.n.kind = "objection";
	t.n.channel = "api";
	t.n.purpose = purpose;
	t.n.grounds = jstr(req->json, "grounds");
	t.n.received = clock_now();
	if (strcmp(basis, "consent") == 0) {
		if (!in_list(purpose, direct_marketing)) {
			snprintf(link, sizeof(link), "</api/v1/me/consents/%s>; "
			    "rel=\"alternate\"", purpose);
			reply_problem(req, PROB_CONFLICT, "withdraw your consent "
			    "instead: this purpose rests on your consent; "
			    "DELETE /api/v1/me/consents/%s withdraws it at "
			    "once", purpose);
			reply_header(req, "Link", link);
			return (0);
		}
		/* Direct marketing: absolute and at once (Art. 21(3)). */
		out = privacy_consent_set(db_thread(), t.n.account, purpose, 0,
		    "api", &err);
		if (out == CONSENT_FAILED) {
			reply_db_error(req, &err);
			return (0);
		}
		if (out == CONSENT_NO_ACCOUNT) {
			reply_problem(req, PROB_NOT_FOUND, "no such account");
			return (0);
		}
		t.n.status = "answered";
		t.n.answer = rmsg(req, RM_MARKETING_ANSWER);
		t.n.decision = "upheld";
		t.n.decision_grounds = "Art. 21(3) GDPR: an objection to "
		    "direct marketing is always upheld.";
	} else if (strcmp(basis, "public_task") != 0 &&
	    strcmp(basis, "legitimate_interest") != 0) {
		reply_problem(req, PROB_CONFLICT, "the right to object applies "
		    "to processing for a public task or a legitimate interest "
		    "(Art. 21(1) GDPR), not to this purpose's legal basis "
		    "(%s)", basis);
		return (0);
	}
	if (db_tx(db_thread(), objection_tx, &t, &err) == -1) {
		json_decref(t.out);
		if (t.already)
			reply_problem(req, PROB_CONFLICT, "an objection to this "
			    "purpose is already waiting for a decision");
		else
			reply_db_error(req, &err);
		return (0);
	}
	log_info("account %s objected to %s (request %s)", t.n.account,
	    purpose, t.n.id);
	reply_json(req, 201, t.out);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}
