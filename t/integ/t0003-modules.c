/*
 * t0003-modules: guichetd and guichetctl see the same modules, with the
 * same routes, statements, privacy hooks, commands, scopes, problem codes
 * and the hooks each module's init installs (the server's guard and replay
 * hooks, the outbox's gates, the access recorder): both read the one
 * module list (src/app/modules.c), and this test fails the day one of them
 * wires a module, or a hook, the other lacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* stdout of 'prog' with the database and 'extra' arguments; exit 0. */
static char *
describe(const char *prog, const char *const *extra)
{
	const char	*argv[16];
	char		*bin, *sql, *tpl, *out = NULL, *err = NULL;
	int		 n = 0, i, rc;

	bin = harness_bin(prog);
	sql = harness_src("sql");
	/* A serving guichetd loads every mail template. */
	tpl = harness_src("templates");
	argv[n++] = bin;
	argv[n++] = "--database";
	argv[n++] = harness_db();
	argv[n++] = "--sql-dir";
	argv[n++] = sql;
	argv[n++] = "--templates-dir";
	argv[n++] = tpl;
	for (i = 0; extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	rc = harness_exec(argv, NULL, 30000, &out, &err);
	ck_assert_msg(rc == 0, "%s exited %d:\n%s", prog, rc, err);
	ck_assert_msg(out != NULL && out[0] != '\0', "%s printed nothing", prog);
	free(err);
	free(bin);
	free(sql);
	free(tpl);
	return (out);
}

/* The line 'want' is one of the lines of 's'. */
static int
has_line(const char *s, const char *want)
{
	size_t		 n = strlen(want);
	const char	*p;

	for (p = s; (p = strstr(p, want)) != NULL; p += n)
		if ((p == s || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return (1);
	return (0);
}

START_TEST(test_modules_same_in_both)
{
	const char	*d_extra[] = { "--modules", NULL };
	const char	*c_extra[] = { "modules", NULL };
	char		*d, *c;

	d = describe("guichetd", d_extra);
	c = describe("guichetctl", c_extra);
	ck_assert_msg(strcmp(d, c) == 0, "guichetd --modules and guichetctl "
	    "modules differ:\n--- guichetd\n%s\n--- guichetctl\n%s", d, c);
	free(d);
	free(c);
}
END_TEST

/* The description says what the modules declare, in list order. */
START_TEST(test_modules_content)
{
	static const char *const lines[] = {
		"module ops", "module web", "module identity", "module privacy",
		"hooks ops export erase", "hooks identity export erase",
		"hooks privacy export erase",
		"command ops outbox list",
		"command privacy privacy purge",
		"scope identity lifts:write",
		"statement identity identity_select_account",
		"statement privacy privacy_lock_person",
		"route identity GET /api/v1/me self",
		"route privacy DELETE /api/v1/me self",
		"route ops GET /healthz public",
		"start privacy yes",
		"problem no_route 404",
		/* The hooks each init installs, the same in both programs. */
		"installs ops server-replay",
		"installs identity outbox-gate",
		"installs identity server-guard",
		"installs privacy access-recorder",
		"installs privacy outbox-gate",
		"installs open311 error-writer",
	};
	const char	*extra[] = { "modules", NULL };
	const char	*p, *q;
	char		*c;
	size_t		 i;

	c = describe("guichetctl", extra);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(has_line(c, lines[i]), "no line '%s' in:\n%s",
		    lines[i], c);
	/* Lowest layer first. */
	p = strstr(c, "module identity\n");
	q = strstr(c, "module privacy\n");
	ck_assert(p != NULL && q != NULL && p < q);
	ck_assert(strstr(c, "module ops\n") < p);
	free(c);
}
END_TEST

/* guichetctl's help lists every module's commands. */
START_TEST(test_modules_ctl_help)
{
	const char	*extra[] = { "help", NULL };
	char		*h;

	h = describe("guichetctl", extra);
	ck_assert(strstr(h, "outbox list") != NULL);
	ck_assert(strstr(h, "agent add EMAIL") != NULL);
	ck_assert(strstr(h, "privacy purge") != NULL);
	ck_assert(strstr(h, "modules") != NULL);
	free(h);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_modules_same_in_both,
	&test_modules_content,
	&test_modules_ctl_help,
	NULL
};

const struct test_group test_groups[] = {
	{ "modules", HARNESS_TIMEOUT, NULL, NULL, harness_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
