/*
 * t4103-deadlines: due dates in calendar days as the town's clock sees
 * them (Europe/Paris, across the changes of time), paused while
 * information is awaited (the pause adds its days), overdue cases
 * flagged; silence deciding at the deadline as the procedure says
 * (acceptance, rejection, nothing), by guichetd's own thread and by
 * `guichetctl cases decide`, exactly once when several run at once; and
 * decided cases closing when the appeal period ends.  The clock moves by
 * restarting guichetd (or running guichetctl) with another --clock.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caselib.h"

/* 20 March 2026, 10:30 in Montgenèvre (CET); DST begins on 29 March. */
#define T0	"2026-03-20T09:30:00Z"

static json_t *
get_as(struct idenv *e, const char *token, const char *id)
{
	json_t	*c;
	long	 st;

	c = cl_get(e, token, id, &st);
	ck_assert_int_eq(st, 200);
	return (c);
}

/* Wait up to 5 s for case 'id' to be in 'state' (the thread's minute). */
static int
reaches(struct idenv *e, const char *id, const char *state)
{
	char	*s;
	int	 i, ok = 0;

	for (i = 0; i < 50 && !ok; i++) {
		s = cl_state(e, id);
		ok = s != NULL && strcmp(s, state) == 0;
		free(s);
		if (!ok)
			harness_sleep_ms(100);
	}
	return (ok);
}

/* guichetctl --clock 'clock' cases decide on the test's database. */
static int
decide_at(struct idenv *e, const char *clock)
{
	const char	*args[] = { "--clock", clock, "cases", "decide", NULL };

	return (idl_ctl(e->db, 0, args, NULL, NULL));
}

START_TEST(test_due_dates_town_time)
{
	static const struct {
		const char	*clock;		/* the receipt */
		const char	*procedure;
		const char	*due_date, *due_at;
	} cases[] = {
		/* 10 days, into summer time: midnight is 22:00 UTC */
		{ T0, "t_permis", "2026-03-30", "2026-03-29T22:00:00Z" },
		/* received at 00:30 in Paris, still the 20th in UTC */
		{ "2026-03-20T23:30:00Z", "t_permis", "2026-03-31",
		  "2026-03-30T22:00:00Z" },
		/* 15 days, out of summer time (25 October) */
		{ "2026-10-20T09:30:00Z", "t_refus", "2026-11-04",
		  "2026-11-03T23:00:00Z" },
		/* across the new year */
		{ "2026-12-28T12:00:00Z", "t_express", "2027-01-17",
		  "2027-01-16T23:00:00Z" },
	};
	struct idenv	 e;
	json_t		*c, *form;
	char		*res, *id;
	size_t		 i;

	idl_start_new(&e, cases[0].clock);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (i > 0)
			idl_restart(&e, cases[i].clock);
		res = cl_resident(&e);
		form = strcmp(cases[i].procedure, "t_permis") == 0 ?
		    cl_permis_form() : json_pack("{s:s}", "nom", "A");
		id = cl_file(&e, res, cases[i].procedure, form, 1, NULL);
		c = get_as(&e, res, id);
		idl_assert_strs(c, "due_date", cases[i].due_date, "due_at",
		    cases[i].due_at, NULL);
		ck_assert(json_is_false(json_object_get(c, "overdue")));
		json_decref(c);
		free(id);
		free(res);
	}
	idl_stop(&e);
}
END_TEST

START_TEST(test_pauses_add_their_days)
{
	struct idenv	 e;
	json_t		*c;
	char		*res, *agent, *id;

	idl_start_new(&e, T0);
	res = cl_resident(&e);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	ck_assert_int_eq(cl_move(&e, agent, id, "awaiting_information",
	    "Le nombre de places ?"), 200);
	c = get_as(&e, res, id);
	ck_assert(json_is_true(json_object_get(c, "deadline_paused")));
	ck_assert(json_is_null(json_object_get(c, "due_at")));
	json_decref(c);
	free(res);
	free(agent);

	/* Five days later, past nothing: the answer comes. */
	idl_restart(&e, "2026-03-25T08:00:00Z");
	res = cl_resident(&e);
	ck_assert_int_eq(cl_move(&e, res, id, "in_review", NULL), 200);
	c = get_as(&e, res, id);
	ck_assert_int_eq(json_integer_value(json_object_get(c,
	    "paused_days")), 5);
	idl_assert_strs(c, "due_date", "2026-04-04", "due_at",
	    "2026-04-03T22:00:00Z", NULL);
	json_decref(c);
	free(res);

	/* Asked again on the 26th late in the evening, answered the 28th. */
	idl_restart(&e, "2026-03-26T21:30:00Z");
	agent = cl_agent(&e, CL_TECH);
	ck_assert_int_eq(cl_move(&e, agent, id, "awaiting_information",
	    "Encore une chose."), 200);
	free(agent);
	/* Past the first due date, paused: neither overdue nor decided. */
	ck_assert_int_eq(decide_at(&e, "2026-04-05T00:00:00Z"), 0);
	cl_assert_state(&e, id, "awaiting_information");
	idl_restart(&e, "2026-03-28T10:00:00Z");
	agent = cl_agent(&e, CL_TECH);
	ck_assert_int_eq(cl_move(&e, agent, id, "in_review", NULL), 200);
	c = get_as(&e, agent, id);
	ck_assert_int_eq(json_integer_value(json_object_get(c,
	    "paused_days")), 7);
	idl_assert_str(c, "due_date", "2026-04-06");
	json_decref(c);
	free(agent);
	/* The day before, undecided; at the deadline, accepted. */
	ck_assert_int_eq(decide_at(&e, "2026-04-05T21:59:59Z"), 0);
	cl_assert_state(&e, id, "in_review");
	ck_assert_int_eq(decide_at(&e, "2026-04-05T22:00:00Z"), 0);
	cl_assert_state(&e, id, "accepted");
	free(id);
	idl_stop(&e);
}
END_TEST

START_TEST(test_silence_decides_across_the_clock)
{
	struct idenv	 e;
	json_t		*c, *h;
	char		*res, *accept, *reject, *express, *agent;

	idl_start_new(&e, T0);
	res = cl_resident(&e);
	accept = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	reject = cl_file(&e, res, "t_refus", json_pack("{s:s}", "nom", "A"),
	    1, NULL);
	express = cl_file(&e, res, "t_express", json_pack("{s:s}", "nom",
	    "A"), 1, NULL);
	free(res);

	/* A second before the deadline: guichetd's thread decides nothing. */
	idl_restart(&e, "2026-03-29T21:59:59Z");
	harness_sleep_ms(2500);
	cl_assert_state(&e, accept, "submitted");
	res = cl_resident(&e);
	c = get_as(&e, res, accept);
	ck_assert(json_is_false(json_object_get(c, "overdue")));
	json_decref(c);
	free(res);

	/* At the deadline: silence accepts, within the thread's start. */
	idl_restart(&e, "2026-03-29T22:00:00Z");
	ck_assert_msg(reaches(&e, accept, "accepted"), "not decided");
	res = cl_resident(&e);
	c = get_as(&e, res, accept);
	idl_assert_strs(c, "decision", "accepted", "decided_at",
	    "2026-03-29T22:00:00Z", NULL);
	ck_assert(json_is_true(json_object_get(c, "decided_implicitly")));
	h = json_object_get(c, "history");
	idl_assert_strs(json_array_get(h, json_array_size(h) - 1), "actor",
	    "system", "from", "submitted", "to", "accepted", NULL);
	json_decref(c);
	/* Both sides told, once. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_implicit_decision' AND recipient = '%s' "
	    "AND payload->>'attestation' LIKE '%%L232-3%%'",
	    IDL_RESIDENT_EMAIL), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_department_notice' AND "
	    "payload->>'event_code' = 'implicit_acceptance'"), 1);
	/* t_refus and t_express are not due yet. */
	cl_assert_state(&e, reject, "submitted");
	free(res);

	/* 15 days: silence rejects, and says how to appeal. */
	ck_assert_int_eq(decide_at(&e, "2026-04-04T00:00:00Z"), 0);
	cl_assert_state(&e, reject, "rejected");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_implicit_decision' AND "
	    "payload->>'appeal' LIKE '%%R421-1%%'"), 1);
	/* 20 days: silence decides nothing; the case is overdue. */
	ck_assert_int_eq(decide_at(&e, "2026-04-20T00:00:00Z"), 0);
	cl_assert_state(&e, express, "submitted");
	idl_restart(&e, "2026-04-20T00:00:00Z");
	agent = cl_agent(&e, CL_TECH);
	c = get_as(&e, agent, express);
	ck_assert(json_is_true(json_object_get(c, "overdue")));
	json_decref(c);
	c = idl_reqj(&e, "GET", "/api/v1/cases?overdue=true", agent, NULL,
	    &(long){ 0 });
	ck_assert_int_eq(json_array_size(json_object_get(c, "items")), 1);
	idl_assert_str(json_array_get(json_object_get(c, "items"), 0), "id",
	    express);
	json_decref(c);
	free(agent);
	free(accept);
	free(reject);
	free(express);
	idl_stop(&e);
}
END_TEST

#define DUE_CASES	30
#define DECIDERS	4

/* Several processes at once (and guichetd's thread): each case once. */
START_TEST(test_decided_once)
{
	struct idenv	 e;
	char		*res;
	pid_t		 pids[DECIDERS];
	int		 i, status;

	idl_start_new(&e, T0);
	res = cl_resident(&e);
	for (i = 0; i < DUE_CASES; i++)
		free(cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL));
	free(res);
	idl_restart(&e, "2026-04-01T00:00:00Z");
	for (i = 0; i < DECIDERS; i++) {
		if ((pids[i] = fork()) == 0)
			_exit(decide_at(&e, "2026-04-01T00:00:00Z") == 0 ?
			    0 : 1);
		ck_assert_int_gt(pids[i], 0);
	}
	for (i = 0; i < DECIDERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	harness_sleep_ms(1500);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE procedure = 't_permis' AND status = 'accepted'"),
	    DUE_CASES);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.history h JOIN cases.cases c ON c.id = h.case_id WHERE "
	    "c.procedure = 't_permis' AND h.actor = 'system' AND "
	    "h.to_status = 'accepted'"), DUE_CASES);
	ck_assert_int_eq(cl_mails(&e, IDL_RESIDENT_EMAIL,
	    "case_implicit_decision"), DUE_CASES);
	idl_stop(&e);
}
END_TEST

START_TEST(test_closed_after_appeal)
{
	struct idenv	 e;
	char		*res, *agent, *chief, *id;

	idl_start_new(&e, T0);
	res = cl_resident(&e);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	cl_decide(&e, agent, chief, id, "accepted", NULL);
	/* Decided on 20 March: appeals until 21 May included. */
	ck_assert_int_eq(decide_at(&e, "2026-05-21T21:59:59Z"), 0);
	cl_assert_state(&e, id, "accepted");
	ck_assert_int_eq(decide_at(&e, "2026-05-21T22:00:00Z"), 0);
	cl_assert_state(&e, id, "closed");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.history WHERE case_id = '%s' AND actor = 'system' AND "
	    "from_status = 'accepted' AND to_status = 'closed'", id), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE id = '%s' AND closed_at = '2026-05-21T22:00:00Z' AND "
	    "decision = 'accepted'", id), 1);
	free(id);
	free(res);
	free(agent);
	free(chief);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_due_dates_town_time,
	&test_pauses_add_their_days,
	&test_silence_decides_across_the_clock,
	&test_decided_once,
	&test_closed_after_appeal,
	NULL
};

const struct test_group test_groups[] = {
	{ "deadlines", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
