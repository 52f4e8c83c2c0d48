/*
 * cases_thread.c: the thread of a case and its internal notes.
 *
 *   GET, POST /api/v1/cases/{id}/messages  the person and the department
 *   GET, POST /api/v1/cases/{id}/notes     the department's agents only
 *
 * A message tells the other side by mail, without its text (cases_
 * notify.c); a note tells nobody and is never shown to the person (its
 * route is staff's: PERM_AGENT, and policy_case(CASE_ACT_NOTES) for the
 * case's department).  Reading a thread is reading the case: staff's
 * reads are logged with the read (datasets cases.messages, cases.notes).
 * Pages are keyset on (at, id), the oldest first.  A message or a note
 * carries the files its side sent to the case (cases_attach.c): a note's
 * are never the person's to see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/xmalloc.h"
#include "cases/cases_int.h"
#include "db/db.h"
#include "http/page.h"
#include "http/reply.h"
#include "json/check.h"

static const struct json_field message_fields[] = {
	{ .name = "body", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = CASE_MESSAGE_MAX },
	/* files its side sent to the case (cases_attach.c) */
	{ .name = "attachments", .kind = JK_ARRAY, .items = JK_STRING,
	  .max_len = CASE_POST_FILES_MAX },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec cases_message_spec = { .name = "case_message",
    .fields = message_fields };

struct thread_tx {
	const struct principal	*who;
	const char		*id;
	int			 internal;
	const char		*after_at, *after_id;
	long			 limit;
	json_t			*items;
	char			*next;
	int			 found;
};

static int
thread_tx(struct db *db, void *arg, struct db_error *err)
{
	struct thread_tx	*t = arg;
	struct policy_case	 c;
	struct db_res		*res = NULL, *m = NULL;
	const char		*q[4];
	char			 lim[24];
	int			 i, n, staff, rc = -1;

	json_decref(t->items);
	free(t->next);
	t->items = NULL;
	t->next = NULL;
	t->found = 0;
	q[0] = t->id;
	if (db_exec(db, CQ(CQ_GET), q, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (0);
	}
	c.owner = db_str(res, 0, "owner_id");
	c.department = db_str(res, 0, "department");
	c.draft = strcmp(db_str(res, 0, "status"), "draft") == 0;
	if (policy_case(t->who, CASE_ACT_READ, &c) != POLICY_ALLOW) {
		db_res_free(res);
		return (0);
	}
	t->found = 1;
	if (t->internal && policy_case(t->who, CASE_ACT_NOTES, &c) !=
	    POLICY_ALLOW) {
		/* The person who filed it, being staff elsewhere. */
		t->found = 2;
		db_res_free(res);
		return (0);
	}
	staff = policy_case(t->who, CASE_ACT_PROCESS, &c) == POLICY_ALLOW;
	if (staff && case_access_record(db, t->who, res, 0, t->internal ?
	    "cases.notes" : "cases.messages", err) == -1)
		goto out;
	snprintf(lim, sizeof(lim), "%ld", t->limit + 1);
	q[1] = t->after_at;
	q[2] = t->after_id;
	q[3] = lim;
	if (db_exec(db, CQ(t->internal ? CQ_NOTE_LIST : CQ_MSG_LIST), q, &m,
	    err) == -1)
		goto out;
	t->items = json_array();
	n = db_res_rows(m);
	for (i = 0; i < n && i < t->limit; i++)
		json_array_append_new(t->items, case_post_item(m, i, staff));
	t->next = case_page_next(m, t->limit, "id");
	/* A note's files are staff's: the notes' route is theirs. */
	if (case_attach_carried(db, t->id, t->internal, staff, t->items,
	    err) == -1)
		goto out;
	rc = 0;
out:
	db_res_free(res);
	db_res_free(m);
	return (rc);
}

char *
case_page_next(const struct db_res *m, long limit, const char *idcol)
{
	char	*key, *next;

	if (db_res_rows(m) <= limit)
		return (NULL);
	xasprintf(&key, "%s|%s", db_str(m, (int)limit - 1, "at_key"),
	    db_str(m, (int)limit - 1, idcol));
	next = page_cursor_encode(key);
	free(key);
	return (next);
}

int
case_page_cursor(struct request *req, int numeric, const char **at,
    const char **id)
{
	const char	*c;
	char		*key, *bar = NULL;
	int		 ok;

	*at = *id = NULL;
	if ((c = request_query(req, "cursor")) == NULL)
		return (0);
	ok = (key = page_cursor_decode(c)) != NULL &&
	    (bar = strrchr(key, '|')) != NULL && bar != key;
	if (ok && numeric)
		ok = bar[1] != '\0' && strspn(bar + 1, "0123456789") ==
		    strlen(bar + 1) && strlen(bar + 1) <= 18;
	else if (ok)
		ok = json_format_ok(JF_UUID, bar + 1);
	if (!ok) {
		free(key);
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (-1);
	}
	*bar = '\0';
	*at = request_strdup(req, key);
	*id = request_strdup(req, bar + 1);
	free(key);
	return (0);
}

static int
thread_list(struct request *req, int internal)
{
	struct thread_tx	 t;
	struct db_error		 err;

	memset(&t, 0, sizeof(t));
	t.who = req->principal;
	t.internal = internal;
	if ((t.id = case_param_id(req)) == NULL ||
	    page_limit_or_reply(req, &t.limit) == -1 ||
	    case_page_cursor(req, 1, &t.after_at, &t.after_id) == -1)
		return (0);
	if (db_tx(db_thread(), thread_tx, &t, &err) == -1) {
		json_decref(t.items);
		free(t.next);
		reply_db_error(req, &err);
		return (0);
	}
	if (t.found == 0)
		reply_error(req, CASES_ERR(CE_NOT_FOUND));
	else if (t.found == 2)
		reply_error(req, CASES_ERR(CE_NOTES_FORBIDDEN));
	else {
		case_reply_page(req, t.items, t.next);
		return (0);
	}
	json_decref(t.items);
	free(t.next);
	return (0);
}

static int
thread_post(struct request *req, int internal)
{
	struct case_outcome	 o;
	const char		*id;

	if ((id = case_param_id(req)) == NULL)
		return (0);
	memset(&o, 0, sizeof(o));
	case_post(db_thread(), req->principal, id, internal,
	    json_str(req->json, "body"), json_object_get(req->json,
	    "attachments"), req->lang, &o);
	if (o.result != CR_OK) {
		case_reply_outcome(req, &o);
		return (0);
	}
	reply_json(req, 201, o.made);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* GET /api/v1/cases/{id}/messages */
int
cases_messages_list(struct request *req)
{
	return (thread_list(req, 0));
}

/* POST /api/v1/cases/{id}/messages */
int
cases_messages_post(struct request *req)
{
	return (thread_post(req, 0));
}

/* GET /api/v1/cases/{id}/notes */
int
cases_notes_list(struct request *req)
{
	return (thread_list(req, 1));
}

/* POST /api/v1/cases/{id}/notes */
int
cases_notes_post(struct request *req)
{
	return (thread_post(req, 1));
}
