/*
 * t4102-transitions: every transition of a case, allowed or not, as a
 * table over the states, the targets and the actors: the owner, another
 * resident, an agent and a supervisor of the case's department, an agent
 * and a supervisor of other departments.  The expected answer follows
 * from the rules README ("Démarches") states, written here as the
 * test's own table:
 * 404 for whoever may not read the case (anyone's draft but the owner's,
 * another person's case, another department's), 200 for an allowed move
 * (422 first when its note is missing), 403 when the move exists for
 * another actor, 409 naming the state when it does not exist at all.
 * The history records each move (who, when, from, to, the public note),
 * shown to the person without the agents' ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"

#define FROZEN	"2026-03-20T09:30:00Z"

enum actor { A_OWNER, A_OTHER, A_AGENT, A_CHIEF, A_ELSEWHERE,
    A_ELSEWHERE_CHIEF, A__COUNT };
static const char *const actor_names[A__COUNT] = { "owner", "another "
    "resident", "agent", "supervisor", "agent of another department",
    "supervisor of another department" };

static const char *const states[] = { "draft", "submitted", "in_review",
    "awaiting_information", "accepted", "rejected", "withdrawn", "closed" };
#define NSTATES	(sizeof(states) / sizeof(states[0]))

/* Who may make a move (README, "Démarches"): O owner, A agent, S supervisor */
static const struct {
	const char	*from, *to, *who;
	int		 note;
} rules[] = {
	{ "draft", "submitted", "O", 0 },
	{ "submitted", "in_review", "AS", 0 },
	{ "submitted", "awaiting_information", "AS", 1 },
	{ "in_review", "awaiting_information", "AS", 1 },
	{ "awaiting_information", "in_review", "OAS", 0 },
	{ "in_review", "accepted", "S", 0 },
	{ "in_review", "rejected", "S", 1 },
	{ "submitted", "withdrawn", "O", 0 },
	{ "in_review", "withdrawn", "O", 0 },
	{ "awaiting_information", "withdrawn", "O", 0 },
};

struct tokens {
	char	*t[A__COUNT];
};

/* A new case of the owner in 'state', moved there by the rules. */
static char *
reach(struct idenv *e, const struct tokens *tk, const char *state)
{
	const char	*owner = tk->t[A_OWNER], *agent = tk->t[A_AGENT];
	const char	*chief = tk->t[A_CHIEF];
	char		*id;
	int		 draft = strcmp(state, "draft") == 0;

	id = cl_file(e, owner, "t_permis", cl_permis_form(), !draft, NULL);
	if (draft || strcmp(state, "submitted") == 0)
		return (id);
	if (strcmp(state, "withdrawn") == 0) {
		ck_assert_int_eq(cl_move(e, owner, id, "withdrawn", NULL), 200);
		return (id);
	}
	if (strcmp(state, "awaiting_information") == 0) {
		ck_assert_int_eq(cl_move(e, agent, id, "awaiting_information",
		    "Une pièce manque."), 200);
		return (id);
	}
	ck_assert_int_eq(cl_move(e, agent, id, "in_review", NULL), 200);
	if (strcmp(state, "in_review") == 0)
		return (id);
	if (strcmp(state, "rejected") == 0) {
		ck_assert_int_eq(cl_move(e, chief, id, "rejected", "Hors "
		    "délai."), 200);
		return (id);
	}
	ck_assert_int_eq(cl_move(e, chief, id, "accepted", NULL), 200);
	if (strcmp(state, "closed") == 0)
		/* The end of the appeal period is t4103's: here, its effect. */
		ck_assert_int_eq(idl_sql_exec(e, "UPDATE cases.cases SET "
		    "status = 'closed', closed_at = closes_at WHERE id = '%s'",
		    id), 0);
	return (id);
}

/* The answer the rules give to 'a' moving a case from 'from' to 'to'. */
static long
expected(enum actor a, const char *from, const char *to, int *note)
{
	const char	*letter = a == A_OWNER ? "O" : a == A_AGENT ? "A" :
			    a == A_CHIEF ? "S" : NULL;
	size_t		 i;
	int		 exists = 0;

	*note = 0;
	if (a == A_OTHER || a == A_ELSEWHERE || a == A_ELSEWHERE_CHIEF ||
	    (strcmp(from, "draft") == 0 && a != A_OWNER))
		return (404);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp(rules[i].from, from) != 0 ||
		    strcmp(rules[i].to, to) != 0)
			continue;
		exists = 1;
		if (strchr(rules[i].who, letter[0]) != NULL) {
			*note = rules[i].note;
			return (200);
		}
	}
	return (exists ? 403 : 409);
}

static void
attempt(struct idenv *e, const struct tokens *tk, enum actor a,
    const char *from, const char *to)
{
	struct http_resp r;
	json_t		*j, *h, *last;
	char		*id, *path, *body;
	long		 want;
	int		 note;

	want = expected(a, from, to, &note);
	id = reach(e, tk, from);
	path = harness_printf("/api/v1/cases/%s/transitions", id);
	body = harness_printf("{\"to\": \"%s\"}", to);
	idl_req(e, "POST", path, tk->t[a], body, &r);
	if (want == 200 && note) {
		/* The move needs its public note: 422 first, nothing moved. */
		j = harness_assert_problem(&r, 422, "/problems/validation",
		    NULL);
		ck_assert_ptr_nonnull(idl_error_for(j, "/note"));
		json_decref(j);
		cl_assert_state(e, id, from);
		http_resp_free(&r);
		free(body);
		body = harness_printf("{\"to\": \"%s\", \"note\": \"Motif "
		    "public.\"}", to);
		idl_req(e, "POST", path, tk->t[a], body, &r);
	}
	ck_assert_msg(r.status == want, "%s: %s -> %s: %ld, expected %ld: %s",
	    actor_names[a], from, to, r.status, want, r.body);
	j = harness_json(&r);
	switch (want) {
	case 200:
		/* Submitting a t_permis reaches submitted. */
		cl_assert_state(e, id, to);
		h = json_object_get(j, "history");
		last = json_array_get(h, json_array_size(h) - 1);
		idl_assert_strs(last, "from", from, "to", to, "actor",
		    a == A_OWNER ? "owner" : a == A_AGENT ? "agent" :
		    strcmp(to, "accepted") == 0 || strcmp(to, "rejected") ==
		    0 ? "supervisor" : "agent", NULL);
		if (note)
			idl_assert_str(last, "note", "Motif public.");
		break;
	case 409:
		idl_assert_strs(j, "code", "case_transition_impossible",
		    "state", from, NULL);
		cl_assert_state(e, id, from);
		break;
	case 403:
		idl_assert_str(j, "code", "case_transition_forbidden");
		cl_assert_state(e, id, from);
		break;
	default:
		idl_assert_str(j, "code", "case_not_found");
		cl_assert_state(e, id, from);
		break;
	}
	json_decref(j);
	http_resp_free(&r);
	free(body);
	free(path);
	free(id);
}

static void
tokens_get(struct idenv *e, struct tokens *tk)
{
	tk->t[A_OWNER] = cl_resident(e);
	tk->t[A_OTHER] = cl_other(e);
	tk->t[A_AGENT] = cl_agent(e, CL_TECH);
	tk->t[A_CHIEF] = cl_agent(e, CL_TECH_CHIEF);
	tk->t[A_ELSEWHERE] = cl_agent(e, CL_MAIRIE);
	tk->t[A_ELSEWHERE_CHIEF] = cl_agent(e, CL_LIFT_CHIEF);
}

static void
tokens_free(struct tokens *tk)
{
	int	 i;

	for (i = 0; i < A__COUNT; i++)
		free(tk->t[i]);
}

/* The table, one starting state per test (each test its own database). */
static void
from_state(const char *from)
{
	struct idenv	 e;
	struct tokens	 tk;
	size_t		 to;
	int		 a;

	idl_start_new(&e, FROZEN);
	tokens_get(&e, &tk);
	for (a = 0; a < A__COUNT; a++)
		for (to = 0; to < NSTATES; to++)
			attempt(&e, &tk, (enum actor)a, from, states[to]);
	tokens_free(&tk);
	idl_stop(&e);
}

START_TEST(test_from_draft)
{
	from_state("draft");
}
END_TEST

START_TEST(test_from_submitted)
{
	from_state("submitted");
}
END_TEST

START_TEST(test_from_in_review)
{
	from_state("in_review");
}
END_TEST

START_TEST(test_from_awaiting_information)
{
	from_state("awaiting_information");
}
END_TEST

START_TEST(test_from_decisions_and_ends)
{
	from_state("accepted");
	from_state("rejected");
	from_state("withdrawn");
	from_state("closed");
}
END_TEST

/*
 * What each side sees of the history, what each may do next, and the
 * mail each move sends to the person.
 */
START_TEST(test_history_and_mail)
{
	struct idenv	 e;
	struct tokens	 tk;
	json_t		*c, *h, *t;
	char		*id, *path, *dump;
	long		 st;
	size_t		 i;

	idl_start_new(&e, FROZEN);
	tokens_get(&e, &tk);
	id = reach(&e, &tk, "submitted");
	ck_assert_int_eq(cl_move(&e, tk.t[A_AGENT], id, "awaiting_information",
	    "Merci d'indiquer le nombre."), 200);
	ck_assert_int_eq(cl_mails(&e, IDL_RESIDENT_EMAIL,
	    "case_information_requested"), 1);
	/* The person says it was sent: the department hears of it. */
	ck_assert_int_eq(cl_move(&e, tk.t[A_OWNER], id, "in_review", NULL),
	    200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_department_notice' AND "
	    "payload->>'event_code' = 'information'"), 1);
	/* An internal note is never in the person's view. */
	path = harness_printf("/api/v1/cases/%s/notes", id);
	ck_assert_int_eq(idl_status(&e, "POST", path, tk.t[A_AGENT],
	    "{\"body\": \"Note interne 7f3a\"}"), 201);
	ck_assert_int_eq(cl_move(&e, tk.t[A_CHIEF], id, "rejected",
	    "Le nombre dépasse le plafond."), 200);
	ck_assert_int_eq(cl_mails(&e, IDL_RESIDENT_EMAIL, "case_decision"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_decision' AND payload->>'appeal' LIKE "
	    "'%%deux mois%%'"), 1);

	c = cl_get(&e, tk.t[A_OWNER], id, &st);
	ck_assert_int_eq(st, 200);
	dump = harness_dump(c);
	ck_assert_msg(strstr(dump, "7f3a") == NULL, "an internal note in the "
	    "person's view");
	free(dump);
	h = json_object_get(c, "history");
	ck_assert_int_eq(json_array_size(h), 4);
	for (i = 0; i < json_array_size(h); i++)
		ck_assert_msg(json_object_get(json_array_get(h, i),
		    "actor_id") == NULL, "the person sees an agent's id");
	idl_assert_strs(json_array_get(h, 3), "from", "in_review", "to",
	    "rejected", "actor", "supervisor", "note",
	    "Le nombre dépasse le plafond.", NULL);
	idl_assert_strs(c, "decision", "rejected", "decided_at",
	    "2026-03-20T09:30:00Z", NULL);
	/* Two months of appeal, a délai franc: closes on 22 May, midnight. */
	idl_assert_str(c, "closes_at", "2026-05-21T22:00:00Z");
	ck_assert_int_eq(json_array_size(json_object_get(c, "transitions")),
	    0);
	ck_assert(json_object_get(c, "assignee_id") == NULL);
	json_decref(c);
	c = cl_get(&e, tk.t[A_AGENT], id, &st);
	h = json_object_get(c, "history");
	idl_assert_str(json_array_get(h, 3), "actor_id",
	    cl_people.agent[CL_TECH_CHIEF]);
	json_decref(c);

	/* What each may do next with an in_review case. */
	free(id);
	id = reach(&e, &tk, "in_review");
	c = cl_get(&e, tk.t[A_CHIEF], id, &st);
	t = json_object_get(c, "transitions");
	ck_assert_int_eq(json_array_size(t), 3);
	json_decref(c);
	c = cl_get(&e, tk.t[A_OWNER], id, &st);
	t = json_object_get(c, "transitions");
	ck_assert_int_eq(json_array_size(t), 1);
	idl_assert_str(json_array_get(t, 0), "to", "withdrawn");
	json_decref(c);
	free(path);
	free(id);
	tokens_free(&tk);
	idl_stop(&e);
}
END_TEST

/*
 * Mail of case 'id': the messages of 'template' to 'to' whose payload's
 * 'key' is 'value'.
 */
static long
mail_of(const struct idenv *e, const char *id, const char *template,
    const char *to, const char *key, const char *value)
{
	return (idl_sql_count(e, "SELECT count(*) FROM ops.outbox WHERE "
	    "template = '%s' AND recipient = '%s' AND payload->>'url' LIKE "
	    "'%%/api/v1/cases/%s' AND payload->>'%s' = '%s'", template, to, id,
	    key, value));
}

#define DEPARTMENT	"services-techniques@demo.guichet.test"

/*
 * The mail of the other moves: the department told of a submission and
 * of a withdrawal; the person told of the review, of the withdrawal and
 * of the closure, each once, in their language.
 */
START_TEST(test_state_change_mail)
{
	const char	*close[] = { "--clock", "2026-05-22T00:00:00Z", "cases",
	    "decide", NULL };
	struct idenv	 e;
	struct tokens	 tk;
	char		*id, *decided;

	idl_start_new(&e, FROZEN);
	tokens_get(&e, &tk);
	id = reach(&e, &tk, "submitted");
	ck_assert_int_eq(mail_of(&e, id, "case_department_notice", DEPARTMENT,
	    "event_code", "new"), 1);
	ck_assert_int_eq(mail_of(&e, id, "case_department_notice", DEPARTMENT,
	    "event", "Nouvelle demande déposée"), 1);
	ck_assert_int_eq(cl_move(&e, tk.t[A_AGENT], id, "in_review", NULL),
	    200);
	ck_assert_int_eq(mail_of(&e, id, "case_status", IDL_RESIDENT_EMAIL,
	    "status", "en cours d''instruction"), 1);
	ck_assert_int_eq(cl_move(&e, tk.t[A_OWNER], id, "withdrawn", NULL),
	    200);
	ck_assert_int_eq(mail_of(&e, id, "case_status", IDL_RESIDENT_EMAIL,
	    "status", "retirée"), 1);
	ck_assert_int_eq(mail_of(&e, id, "case_department_notice", DEPARTMENT,
	    "event_code", "withdrawn"), 1);
	/* Nothing else but the acknowledgement. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE payload->>'url' LIKE '%%/api/v1/cases/%s'", id), 5);

	/* Decided at FROZEN, closed when the appeal period ends. */
	decided = reach(&e, &tk, "accepted");
	ck_assert_int_eq(idl_ctl(e.db, 0, close, NULL, NULL), 0);
	cl_assert_state(&e, decided, "closed");
	ck_assert_int_eq(mail_of(&e, decided, "case_status",
	    IDL_RESIDENT_EMAIL, "status", "close"), 1);
	free(decided);
	free(id);
	tokens_free(&tk);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_from_draft,
	&test_from_submitted,
	&test_from_in_review,
	&test_from_awaiting_information,
	&test_from_decisions_and_ends,
	&test_history_and_mail,
	&test_state_change_mail,
	NULL
};

const struct test_group test_groups[] = {
	{ "transitions", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
