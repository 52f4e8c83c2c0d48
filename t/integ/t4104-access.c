/*
 * t4104-access: who may reach a case.  On every route of a case, another
 * resident, an agent and a supervisor of other departments get what
 * they would get for a case that does not exist (404, the same body), and
 * so does the department's own agent for a draft; the lists show a person
 * their own cases and an agent their departments' queue only.  Every
 * read of a case by staff (the case, its thread, its notes, a search) is
 * written to the person's access log with the case's reference as its
 * purpose, in the transaction of the read: when the log cannot be
 * written, nothing is read.  A person under restriction is out of the
 * agents' queue.  Assignment, the thread and the internal notes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"

#define FROZEN	"2026-03-20T09:30:00Z"
#define NOBODY	"00000000-0000-4000-8000-000000000000"

/* Every route of a case: method, path after the id, a body. */
static const struct {
	const char	*method, *suffix, *body;
} routes[] = {
	{ "GET", "", NULL },
	{ "PATCH", "", "{\"form\": {\"nom\": \"B\"}}" },
	{ "POST", "/submit", NULL },
	{ "POST", "/transitions", "{\"to\": \"in_review\"}" },
	{ "POST", "/transitions", "{\"to\": \"withdrawn\"}" },
	{ "GET", "/messages", NULL },
	{ "POST", "/messages", "{\"body\": \"Bonjour\"}" },
	{ "GET", "/notes", NULL },
	{ "POST", "/notes", "{\"body\": \"Note\"}" },
	{ "POST", "/assignment", "{\"assignee\": null}" },
	{ "GET", "/attachments", NULL },
	{ "GET", "/attachments/" NOBODY, NULL },
	{ "DELETE", "/attachments/" NOBODY, NULL },
};

/* 'token' on every route of 'id' answers as for a case that is not. */
static void
as_if_nothing(struct idenv *e, const char *token, const char *id,
    const char *who)
{
	struct http_resp a, b;
	char		*pa, *pb, *what;
	size_t		 i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		pa = harness_printf("/api/v1/cases/%s%s", id, routes[i].suffix);
		pb = harness_printf("/api/v1/cases/%s%s", NOBODY,
		    routes[i].suffix);
		idl_req(e, routes[i].method, pa, token, routes[i].body, &a);
		idl_req(e, routes[i].method, pb, token, routes[i].body, &b);
		what = harness_printf("%s: %s %s", who, routes[i].method, pa);
		ck_assert_msg(a.status == 404 || a.status == 403, "%s: %ld",
		    what, a.status);
		ck_assert_msg(a.status == b.status, "%s: %ld, and %ld for no "
		    "case", what, a.status, b.status);
		idl_assert_same_body(&a, &b, what);
		http_resp_free(&a);
		http_resp_free(&b);
		free(what);
		free(pa);
		free(pb);
	}
}

START_TEST(test_others_find_nothing)
{
	struct idenv	 e;
	char		*res, *other, *mairie, *lift, *agent, *id, *draft;
	char		*path;

	res = idl_start_resident(&e, FROZEN);
	other = cl_other(&e);
	mairie = cl_agent(&e, CL_MAIRIE);
	lift = cl_agent(&e, CL_LIFT_CHIEF);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	draft = cl_file(&e, res, "t_permis", cl_permis_form(), 0, NULL);
	as_if_nothing(&e, other, id, "another resident");
	as_if_nothing(&e, mairie, id, "an agent of another department");
	as_if_nothing(&e, lift, id, "a supervisor of another department");
	as_if_nothing(&e, agent, draft, "the department's agent, a draft");
	as_if_nothing(&e, other, draft, "another resident, a draft");
	/* Nothing they did changed anything. */
	cl_assert_state(&e, id, "submitted");
	cl_assert_state(&e, draft, "draft");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.messages"), 0);
	/* Not a UUID: the same 404. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases/42", res,
	    NULL), 404);
	/* The department's agent does reach the filed case. */
	path = harness_printf("/api/v1/cases/%s", id);
	ck_assert_int_eq(idl_status(&e, "GET", path, agent, NULL), 200);
	free(path);
	free(id);
	free(draft);
	free(res);
	free(other);
	free(mairie);
	free(lift);
	free(agent);
	idl_stop(&e);
}
END_TEST

/*
 * GET 'path' as 'token' lists the ids up to the first NULL and none of
 * those after it, up to the second.
 */
static void
shows(struct idenv *e, const char *token, const char *path, ...)
{
	va_list		 ap;
	const char	*id;
	char		*l = idl_listed(e, path, token);
	int		 listed_ = 1;

	va_start(ap, path);
	for (;;) {
		if ((id = va_arg(ap, const char *)) == NULL) {
			if (!listed_)
				break;
			listed_ = 0;
			continue;
		}
		ck_assert_msg((strstr(l, id) != NULL) == listed_, "%s: %s %s",
		    path, id, listed_ ? "missing" : "listed");
	}
	va_end(ap);
	free(l);
}

START_TEST(test_lists_are_scoped)
{
	struct idenv	 e;
	char		*res, *other, *agent, *mairie, *id, *draft, *oid;

	res = idl_start_resident(&e, FROZEN);
	other = cl_other(&e);
	agent = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	draft = cl_file(&e, res, "t_permis", NULL, 0, NULL);
	oid = cl_file(&e, other, "t_permis", cl_permis_form(), 1, NULL);
	/* A person: their own cases, drafts included. */
	shows(&e, res, "/api/v1/cases?limit=100", id, draft, NULL, oid, NULL);
	shows(&e, other, "/api/v1/cases?q=Camille", oid, NULL, id, NULL);
	/* An agent: the department's queue, never a draft. */
	shows(&e, agent, "/api/v1/cases?limit=100", id, oid, NULL, draft, NULL);
	shows(&e, agent, "/api/v1/cases?status=draft", NULL, id, draft, oid,
	    NULL);
	/* Another department's agent: nothing of it, searched or not. */
	shows(&e, mairie, "/api/v1/cases?limit=100", NULL, id, oid, draft,
	    NULL);
	shows(&e, mairie, "/api/v1/cases?q=Camille", NULL, id, oid, NULL);
	/* mine=true: an agent's own cases. */
	shows(&e, agent, "/api/v1/cases?mine=true", NULL, id, oid, NULL);
	free(id);
	free(draft);
	free(oid);
	free(res);
	free(other);
	free(agent);
	free(mairie);
	idl_stop(&e);
}
END_TEST

/* Access-log rows of the resident for 'dataset' of case 'id'. */
static long
logged(struct idenv *e, const char *id, const char *dataset)
{
	return (idl_sql_count(e, "SELECT count(*) FROM privacy.access_log l "
	    "JOIN cases.cases c ON c.id::text = l.record WHERE "
	    "l.account_id = '%s' AND l.record = '%s' AND l.dataset = '%s' AND "
	    "l.reader_account = '%s' AND l.purpose = c.reference",
	    idl_demo.resident_id, id, dataset, cl_people.agent[CL_TECH]));
}

START_TEST(test_staff_reads_logged)
{
	struct idenv	 e;
	json_t		*j;
	char		*res, *agent, *id, *path;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	/* The person's own reads are not logged. */
	json_decref(cl_get(&e, res, id, &st));
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 0);
	json_decref(cl_get(&e, agent, id, &st));
	ck_assert_int_eq(logged(&e, id, "cases.case"), 1);
	path = harness_printf("/api/v1/cases/%s/messages", id);
	ck_assert_int_eq(idl_status(&e, "GET", path, agent, NULL), 200);
	ck_assert_int_eq(logged(&e, id, "cases.messages"), 1);
	free(path);
	path = harness_printf("/api/v1/cases/%s/notes", id);
	ck_assert_int_eq(idl_status(&e, "GET", path, agent, NULL), 200);
	ck_assert_int_eq(logged(&e, id, "cases.notes"), 1);
	free(path);
	/* A list without answers reads none; a search reads them. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases", agent, NULL),
	    200);
	ck_assert_int_eq(logged(&e, id, "cases.case"), 1);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?q=camille",
	    agent, NULL), 200);
	ck_assert_int_eq(logged(&e, id, "cases.case"), 2);
	/* A move answers the case: it is a read too. */
	ck_assert_int_eq(cl_move(&e, agent, id, "in_review", NULL), 200);
	ck_assert_int_eq(logged(&e, id, "cases.case"), 3);
	/* The person sees them. */
	j = idl_reqj(&e, "GET", "/api/v1/me/access-log?limit=100", res, NULL,
	    &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 5);
	json_decref(j);

	/* No log, no read: the read is refused, nothing is half done. */
	idl_fail_on(&e, "INSERT", "privacy.access_log");
	json_decref(cl_get(&e, agent, id, &st));
	ck_assert_int_eq(st, 503);
	path = harness_printf("/api/v1/cases/%s/messages", id);
	ck_assert_int_eq(idl_status(&e, "GET", path, agent, NULL), 503);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?q=camille",
	    agent, NULL), 503);
	idl_fail_off(&e, "privacy.access_log");
	ck_assert_int_eq(logged(&e, id, "cases.case"), 3);
	free(path);
	free(id);
	free(res);
	free(agent);
	idl_stop(&e);
}
END_TEST

START_TEST(test_restricted_out_of_the_queue)
{
	struct idenv	 e;
	char		*res, *agent, *id, *path;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	ck_assert_int_eq(idl_status(&e, "POST", "/api/v1/me/restriction", res,
	    NULL), 201);
	shows(&e, agent, "/api/v1/cases", NULL, id, NULL);
	shows(&e, agent, "/api/v1/cases?q=camille", NULL, id, NULL);
	/* Still there for its own department, by its id (and logged). */
	path = harness_printf("/api/v1/cases/%s", id);
	ck_assert_int_eq(idl_status(&e, "GET", path, agent, NULL), 200);
	free(path);
	free(id);
	free(res);
	free(agent);
	idl_stop(&e);
}
END_TEST

START_TEST(test_assignment)
{
	struct idenv	 e;
	json_t		*j;
	char		*res, *agent, *chief, *id, *path, *body;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	path = harness_printf("/api/v1/cases/%s/assignment", id);
	body = harness_printf("{\"assignee\": \"%s\"}",
	    cl_people.agent[CL_TECH]);
	/* An agent does not assign; the owner is not staff at all. */
	json_decref(cl_problem(&e, "POST", path, agent, body, 403,
	    "case_assign_forbidden"));
	ck_assert_int_eq(idl_status(&e, "POST", path, res, body), 403);
	/* A supervisor assigns to an agent of the department. */
	j = idl_reqj(&e, "POST", path, chief, body, &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "assignee_id", cl_people.agent[CL_TECH]);
	json_decref(j);
	ck_assert_int_eq(cl_mails(&e, "tech@demo.guichet.test",
	    "case_assigned"), 1);
	j = idl_reqj(&e, "GET", "/api/v1/cases?assignee=me", agent, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	/* Not to someone of another department. */
	free(body);
	body = harness_printf("{\"assignee\": \"%s\"}",
	    cl_people.agent[CL_MAIRIE]);
	j = cl_problem(&e, "POST", path, chief, body, 422, "validation");
	idl_assert_str(idl_error_for(j, "/assignee"), "code",
	    "not_department_agent");
	json_decref(j);
	/* Unassigned, then decided: no more assignment. */
	ck_assert_int_eq(idl_status(&e, "POST", path, chief,
	    "{\"assignee\": null}"), 200);
	j = idl_reqj(&e, "GET", "/api/v1/cases?assignee=none", agent, NULL,
	    &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	cl_decide(&e, agent, chief, id, "accepted", NULL);
	j = cl_problem(&e, "POST", path, chief, "{\"assignee\": null}", 409,
	    "case_assign_state");
	idl_assert_str(j, "state", "accepted");
	json_decref(j);
	free(body);
	free(path);
	free(id);
	free(res);
	free(agent);
	free(chief);
	idl_stop(&e);
}
END_TEST

START_TEST(test_thread_and_notes)
{
	struct idenv	 e;
	json_t		*j, *it;
	char		*res, *agent, *id, *path, *notes, *own;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	path = harness_printf("/api/v1/cases/%s/messages", id);
	notes = harness_printf("/api/v1/cases/%s/notes", id);
	j = idl_reqj(&e, "POST", path, res, "{\"body\": \"Question 5c1e\"}",
	    &st);
	ck_assert_int_eq(st, 201);
	idl_assert_str(j, "author", "owner");
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_department_notice' AND "
	    "payload->>'event_code' = 'message'"), 1);
	ck_assert_int_eq(idl_status(&e, "POST", path, agent,
	    "{\"body\": \"Réponse 9d2b\"}"), 201);
	ck_assert_int_eq(cl_mails(&e, IDL_RESIDENT_EMAIL, "case_message"), 1);
	/* The mail tells, never the text. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE payload::text LIKE '%%5c1e%%' OR payload::text LIKE "
	    "'%%9d2b%%'"), 0);
	ck_assert_int_eq(idl_status(&e, "POST", notes, agent,
	    "{\"body\": \"Interne 1a2b\"}"), 201);
	/* The person: both messages, from "department", no ids, no note. */
	j = idl_reqj(&e, "GET", path, res, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	it = json_array_get(json_object_get(j, "items"), 1);
	idl_assert_strs(it, "author", "department", "body", "Réponse 9d2b",
	    NULL);
	ck_assert_ptr_null(json_object_get(it, "author_id"));
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET", notes, res, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "POST", notes, res,
	    "{\"body\": \"x\"}"), 403);
	/* Keyset pages of the thread. */
	free(path);
	path = harness_printf("/api/v1/cases/%s/messages?limit=1", id);
	j = idl_reqj(&e, "GET", path, agent, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	ck_assert_ptr_nonnull(idl_jstr(j, "next_cursor"));
	idl_assert_str(json_array_get(json_object_get(j, "items"), 0),
	    "author_id", idl_demo.resident_id);
	free(path);
	path = harness_printf("/api/v1/cases/%s/messages?limit=1&cursor=%s",
	    id, idl_jstr(j, "next_cursor"));
	json_decref(j);
	j = idl_reqj(&e, "GET", path, agent, NULL, &st);
	idl_assert_str(json_array_get(json_object_get(j, "items"), 0), "body",
	    "Réponse 9d2b");
	ck_assert(json_is_null(json_object_get(j, "next_cursor")));
	json_decref(j);

	/* An agent's own case: filed as a person, never processed by them. */
	own = cl_file(&e, agent, "t_permis", cl_permis_form(), 1, NULL);
	free(notes);
	notes = harness_printf("/api/v1/cases/%s/notes", own);
	json_decref(cl_problem(&e, "GET", notes, agent, NULL, 403,
	    "case_notes_forbidden"));
	ck_assert_int_eq(cl_move(&e, agent, own, "in_review", NULL), 403);
	/* Withdrawn: the thread is closed. */
	ck_assert_int_eq(cl_move(&e, res, id, "withdrawn", NULL), 200);
	free(path);
	path = harness_printf("/api/v1/cases/%s/messages", id);
	j = cl_problem(&e, "POST", path, res, "{\"body\": \"encore\"}", 409,
	    "case_thread_closed");
	idl_assert_str(j, "state", "withdrawn");
	json_decref(j);
	free(own);
	free(notes);
	free(path);
	free(id);
	free(res);
	free(agent);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_others_find_nothing,
	&test_lists_are_scoped,
	&test_staff_reads_logged,
	&test_restricted_out_of_the_queue,
	&test_assignment,
	&test_thread_and_notes,
	NULL
};

const struct test_group test_groups[] = {
	{ "access", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
