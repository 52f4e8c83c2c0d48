/*
 * main.c: the one main() of the test programs (see test.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define AT_END_MAX	4

static char	 name[64];
static int	 fork_always;
static void	(*at_end[AT_END_MAX])(int);
static int	 nat_end;

const char *
test_name(void)
{
	return (name);
}

TCase *
test_case(Suite *s, const char *tcname, int timeout)
{
	TCase	*tc;

	tc = tcase_create(tcname);
	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return (tc);
}

void
test_add(TCase *tc, const TTest *const *const *tests)
{
	size_t	 i;

	for (i = 0; tests[i] != NULL; i++)
		tcase_add_test(tc, *tests[i]);
}

TCase *
test_groups(Suite *s, const struct test_group *g)
{
	TCase	*tc = NULL;

	for (; g->name != NULL; g++) {
		tc = test_case(s, g->name, g->timeout);
		if (g->setup != NULL || g->teardown != NULL)
			tcase_add_checked_fixture(tc, g->setup, g->teardown);
		test_add(tc, g->tests);
	}
	return (tc);
}

void
test_fork_always(void)
{
	fork_always = 1;
}

void
test_at_end(void (*fn)(int))
{
	if (nat_end == AT_END_MAX) {
		fprintf(stderr, "%s: too many test_at_end() hooks\n", name);
		exit(99);
	}
	at_end[nat_end++] = fn;
}

int
main(int argc, char *argv[])
{
	const char	*slash;
	Suite		*s;
	SRunner		*sr;
	int		 failed;

	(void)argc;
	slash = strrchr(argv[0], '/');
	snprintf(name, sizeof(name), "%s", slash != NULL ? slash + 1 : argv[0]);
	s = suite_create(name);
	test_suite(s);
	sr = srunner_create(s);
	if (fork_always)
		srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	while (nat_end > 0)
		at_end[--nat_end](failed);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
