/*
 * t4110-history: a case's history is append-only (sql/021_cases.sql):
 * guichetd's request threads act as guichet_app, which may neither
 * rewrite nor remove a row (REVOKE UPDATE, DELETE), whatever setting a
 * session makes; the trigger refuses a rewrite even to the owner of the
 * tables; the one way around it is cases.history_redact(), the erasure's,
 * which blanks the public notes of one person's cases and nothing else
 * (the trigger lets its setting through for that only: migration 040),
 * and leaves the way closed behind it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"

#define FROZEN	"2026-03-20T09:30:00Z"

/* A case of 'token' awaiting information, with a public note. */
static char *
asked(struct idenv *e, const char *token, const char *agent)
{
	char	*id;

	id = cl_file(e, token, "t_permis", cl_permis_form(), 1, NULL);
	ck_assert_int_eq(cl_move(e, agent, id, "awaiting_information",
	    "Le plan du stationnement."), 200);
	return (id);
}

/* The notes of the history of case 'id', in order (caller frees). */
static char *
notes(const struct idenv *e, const char *id)
{
	return (idl_sql(e, "SELECT string_agg(coalesce(note, '-'), '|' "
	    "ORDER BY id) FROM cases.history WHERE case_id = '%s'", id));
}

START_TEST(test_history_append_only)
{
	static const char *const refused_to_app[] = {
	    "UPDATE cases.history SET note = 'réécrit'",
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET note = 'réécrit'",
	    "DELETE FROM cases.history",
	    "TRUNCATE cases.history",
	    NULL };
	static const char *const refused_to_owner[] = {
	    "UPDATE cases.history SET note = 'réécrit'",
	    /* The redaction's setting lets only a note change. */
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET to_status = 'accepted'",
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET at = at + interval '1 day'",
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET note = '[effacé]', actor = 'system', "
	    "actor_id = NULL",
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET note = '[effacé]', from_status = NULL",
	    /* ...and only to blank it. */
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET note = 'réécrit'",
	    /* ...and only one that was written (a move had none). */
	    "SET cases.history_redact = 'on'; "
	    "UPDATE cases.history SET note = '[effacé]' WHERE note IS NULL",
	    NULL };
	struct idenv	 e;
	char		*res, *other, *agent, *mine, *theirs, *app, *v, *sql;
	char		*before_mine, *before_theirs;
	int		 i;

	res = idl_start_resident(&e, FROZEN);
	other = cl_other(&e);
	agent = cl_agent(&e, CL_TECH);
	mine = asked(&e, res, agent);
	theirs = asked(&e, other, agent);
	before_mine = notes(&e, mine);
	before_theirs = notes(&e, theirs);
	ck_assert_str_eq(before_mine, "-|Le plan du stationnement.");

	/* As guichetd's request threads. */
	app = harness_printf("%s options='-c role=guichet_app'", e.db);
	v = harness_sql(app, "SELECT current_user");
	ck_assert_str_eq(v, "guichet_app");
	free(v);
	/* It appends (every move does)... */
	ck_assert_int_eq(harness_sql_exec(app, "SELECT count(*) FROM "
	    "cases.history"), 0);
	/* ...and changes nothing. */
	for (i = 0; refused_to_app[i] != NULL; i++)
		ck_assert_msg(harness_sql_exec(app, refused_to_app[i]) == -1,
		    "guichet_app may: %s", refused_to_app[i]);
	/* Not even the tables' owner rewrites it. */
	for (i = 0; refused_to_owner[i] != NULL; i++)
		ck_assert_msg(idl_sql_exec(&e, "%s", refused_to_owner[i]) ==
		    -1, "the owner may: %s", refused_to_owner[i]);
	v = notes(&e, mine);
	ck_assert_str_eq(v, before_mine);
	free(v);

	/* The erasure's way, as guichet_app: this person's notes only... */
	sql = harness_printf("SELECT cases.history_redact('%s')",
	    idl_demo.resident_id);
	v = harness_sql(app, sql);
	ck_assert_str_eq(v, "1");
	free(v);
	free(sql);
	v = notes(&e, mine);
	ck_assert_str_eq(v, "-|[effacé]");
	free(v);
	v = notes(&e, theirs);
	ck_assert_str_eq(v, before_theirs);
	free(v);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.history WHERE case_id = '%s' AND from_status = 'submitted' "
	    "AND to_status = 'awaiting_information'", mine), 1);
	/* ...and the way closes behind it, in the same transaction. */
	ck_assert_int_eq(idl_sql_exec(&e, "SELECT cases.history_redact('%s'); "
	    "UPDATE cases.history SET note = 'réécrit' WHERE case_id = '%s'",
	    cl_people.other, theirs), -1);
	v = notes(&e, theirs);
	ck_assert_str_eq(v, before_theirs);
	free(v);

	free(app);
	free(before_theirs);
	free(before_mine);
	free(theirs);
	free(mine);
	free(agent);
	free(other);
	free(res);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_history_append_only,
	NULL
};

const struct test_group test_groups[] = {
	{ "history", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
