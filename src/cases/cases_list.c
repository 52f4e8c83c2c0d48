/*
 * cases_list.c: GET /api/v1/cases.  A person lists their own cases
 * (drafts included); staff with the second factor list the queue of
 * their departments (policy_queue_departments(): never a draft, never a
 * person under restriction), or their own cases with mine=true.
 *
 * Filters: status (a comma-separated list), procedure, assignee (an id,
 * "me" or "none"), overdue (true/false), submitted_from and
 * submitted_to (dates, town time, both included, or RFC 3339 instants),
 * q (full text over the reference and the answers, French stemming with
 * accents folded: the configuration cases.french_unaccent); sort
 * (received, due, updated; "-" before it for the other way); keyset
 * pages (http/page.h): the sealed cursor holds the sort, its key and the
 * id, and a cursor of another sort is refused (400).
 *
 * A search reads the answers: each case it returns to staff is written
 * to the access log, in the transaction of the search.  The items of a
 * list hold no answers (GET /api/v1/cases/{id} does, and logs it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "cases/cases_int.h"
#include "db/db.h"
#include "http/page.h"
#include "http/reply.h"
#include "json/check.h"

/* The sorts, in the order of their statements in each family. */
static const char *const sorts[] = { "received", "-received", "due", "-due",
    "updated", "-updated" };
#define NSORTS	(sizeof(sorts) / sizeof(sorts[0]))

#define Q_MAX	200	/* characters of q */

struct list_tx {
	const struct principal	*who;
	enum cases_stmt		 st;
	const char		*p[13];
	int			 staff;		/* the queue: staff's view */
	int			 log;		/* a search by staff: logged */
	long			 limit;
	json_t			*items;
	char			*next;
	const char		*sort;
};

static int
list_tx(struct db *db, void *arg, struct db_error *err)
{
	struct list_tx	*t = arg;
	struct db_res	*res = NULL;
	int64_t		 now = clock_now();
	char		*key;
	int		 i, n;

	json_decref(t->items);
	free(t->next);
	t->items = json_array();
	t->next = NULL;
	if (db_exec(db, CQ(t->st), t->p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	for (i = 0; i < n && i < t->limit; i++) {
		if (t->log && case_access_record(db, t->who, res, i,
		    "cases.case", err) == -1) {
			db_res_free(res);
			return (-1);
		}
		json_array_append_new(t->items, case_item(res, i, t->staff,
		    now));
	}
	if (n > t->limit) {
		xasprintf(&key, "%s|%s|%s", t->sort, db_str(res,
		    (int)t->limit - 1, "sort_key"), db_str(res,
		    (int)t->limit - 1, "id"));
		t->next = page_cursor_encode(key);
		free(key);
	}
	db_res_free(res);
	return (0);
}

/* A PostgreSQL text[] literal of the states asked for (codes only). */
static char *
states_literal(struct request *req, const char *list, int queue)
{
	char		*copy, *s, *save = NULL, *out;
	size_t		 len;
	enum case_status st;
	int		 i, any = 0;

	out = request_alloc(req, 256);
	len = (size_t)snprintf(out, 256, "{");
	if (list == NULL) {
		/* Every state the caller may see. */
		for (i = queue ? CS_SUBMITTED : CS_DRAFT; i < CS__COUNT; i++)
			len += (size_t)snprintf(out + len, 256 - len, "%s%s",
			    any++ ? "," : "", case_status_name(i));
	} else {
		copy = request_strdup(req, list);
		for (s = strtok_r(copy, ",", &save); s != NULL;
		    s = strtok_r(NULL, ",", &save)) {
			if ((st = case_status_from(s)) == CS__COUNT)
				return (NULL);
			/* Staff never see a draft: asking finds nothing. */
			if (queue && st == CS_DRAFT)
				continue;
			if (len + 24 < 256)
				len += (size_t)snprintf(out + len, 256 - len,
				    "%s%s", any++ ? "," : "",
				    case_status_name(st));
		}
		if (copy[0] == '\0')
			return (NULL);
	}
	snprintf(out + len, 256 - len, "}");
	return (out);
}

/* A date (YYYY-MM-DD) or an RFC 3339 instant. */
static int
bound_ok(const char *s)
{
	int64_t	 t;

	return (json_format_ok(JF_DATE, s) || clock_parse(s, &t) == 0);
}

static int
bad_query(struct request *req, const char *name)
{
	reply_error(req, HTTP_ERR(HE_BAD_QUERY), name);
	return (-1);
}

/* The query's filters into t->p; -1 after a 400. */
static int
filters(struct request *req, struct list_tx *t, int queue)
{
	const char	*v;

	if ((t->p[2] = states_literal(req, request_query(req, "status"),
	    queue)) == NULL)
		return (bad_query(req, "status"));
	if ((v = request_query(req, "procedure")) != NULL &&
	    (v[0] == '\0' || strlen(v) > 48))
		return (bad_query(req, "procedure"));
	t->p[3] = v;
	if ((v = request_query(req, "assignee")) != NULL) {
		if (strcmp(v, "me") == 0)
			t->p[4] = req->principal->id;
		else if (strcmp(v, "none") == 0)
			t->p[5] = "true";
		else if (json_format_ok(JF_UUID, v))
			t->p[4] = v;
		else
			return (bad_query(req, "assignee"));
	}
	if ((v = request_query(req, "overdue")) != NULL) {
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			t->p[6] = "true";
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			t->p[6] = "false";
		else
			return (bad_query(req, "overdue"));
	}
	if ((v = request_query(req, "submitted_from")) != NULL &&
	    !bound_ok(v))
		return (bad_query(req, "submitted_from"));
	t->p[7] = v;
	if ((v = request_query(req, "submitted_to")) != NULL && !bound_ok(v))
		return (bad_query(req, "submitted_to"));
	t->p[8] = v;
	if ((v = request_query(req, "q")) != NULL) {
		if (v[strspn(v, " \t")] == '\0' || json_utf8_len(v) > Q_MAX)
			return (bad_query(req, "q"));
		t->p[9] = v;
	}
	return (0);
}

/* The cursor of sort t->sort: its key and id into t->p; -1 after a 400. */
static int
cursor(struct request *req, struct list_tx *t)
{
	const char	*c = request_query(req, "cursor");
	char		*key, *a, *b;

	if (c == NULL)
		return (0);
	if ((key = page_cursor_decode(c)) == NULL)
		goto bad;
	if ((a = strchr(key, '|')) == NULL || (b = strrchr(key, '|')) == a)
		goto bad_key;
	*a++ = '\0';
	*b++ = '\0';
	if (strcmp(key, t->sort) != 0 || *a == '\0' || strlen(a) > 64 ||
	    !json_format_ok(JF_UUID, b))
		goto bad_key;
	t->p[10] = request_strdup(req, a);
	t->p[11] = request_strdup(req, b);
	free(key);
	return (0);
bad_key:
	free(key);
bad:
	reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
	return (-1);
}

/* The queue's departments as a text[] literal (codes: [a-z0-9_]). */
static char *
departments_literal(struct request *req, const struct principal *p, int n)
{
	char	*out;
	size_t	 len;
	int	 i;

	out = request_alloc(req, (size_t)n * DEPARTMENT_CODE_MAX + 4);
	len = (size_t)sprintf(out, "{");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s%s", i > 0 ? "," : "",
		    p->departments[i]);
	sprintf(out + len, "}");
	return (out);
}

int
cases_list(struct request *req)
{
	struct list_tx	 t;
	struct db_error	 err;
	const char	*v, *mine;
	char		 now[40], lim[24];
	size_t		 s;
	int		 ndep, queue;

	memset(&t, 0, sizeof(t));
	t.who = req->principal;
	if (page_limit_or_reply(req, &t.limit) == -1)
		return (0);
	mine = request_query(req, "mine");
	if (mine != NULL && strcmp(mine, "true") != 0 &&
	    strcmp(mine, "false") != 0) {
		bad_query(req, "mine");
		return (0);
	}
	ndep = policy_queue_departments(req->principal);
	queue = ndep > 0 && (mine == NULL || strcmp(mine, "false") == 0);
	v = request_query(req, "sort");
	t.sort = v != NULL ? v : queue ? "received" : "-updated";
	for (s = 0; s < NSORTS; s++)
		if (strcmp(sorts[s], t.sort) == 0)
			break;
	if (s == NSORTS) {
		bad_query(req, "sort");
		return (0);
	}
	if (filters(req, &t, queue) == -1 || cursor(req, &t) == -1)
		return (0);
	clock_format(clock_now(), now, sizeof(now));
	snprintf(lim, sizeof(lim), "%ld", t.limit + 1);
	t.p[0] = queue ? departments_literal(req, req->principal, ndep) :
	    req->principal->id;
	t.p[1] = now;
	t.p[12] = lim;
	t.staff = queue;
	t.log = queue && t.p[9] != NULL;
	t.st = (enum cases_stmt)((!queue ? CQ_OWN_RECEIVED : t.p[9] != NULL ?
	    CQ_SEARCH_RECEIVED : CQ_QUEUE_RECEIVED) + s);
	if (db_tx(db_thread(), list_tx, &t, &err) == -1) {
		json_decref(t.items);
		free(t.next);
		reply_db_error(req, &err);
		return (0);
	}
	case_reply_page(req, t.items, t.next);
	return (0);
}
