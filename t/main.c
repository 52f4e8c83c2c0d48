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
static void	(*at_end[AT_END_MAX])(int);
static int	 nat_end;

const char *
test_name(void)
{
	return (name);
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
	const struct test_group	*g;
	const char		*slash;
	Suite			*s;
	SRunner			*sr;
	TCase			*tc;
	size_t			 i;
	int			 failed;

	(void)argc;
	slash = strrchr(argv[0], '/');
	snprintf(name, sizeof(name), "%s", slash != NULL ? slash + 1 : argv[0]);
	s = suite_create(name);
	for (g = test_groups; g->name != NULL; g++) {
		tc = tcase_create(g->name);
		if (g->timeout > 0)
			tcase_set_timeout(tc, g->timeout);
		if (g->setup != NULL || g->teardown != NULL)
			tcase_add_checked_fixture(tc, g->setup, g->teardown);
		if (g->prepare != NULL || g->cleanup != NULL)
			tcase_add_unchecked_fixture(tc, g->prepare, g->cleanup);
		for (i = 0; g->tests[i] != NULL; i++)
			tcase_add_test(tc, *g->tests[i]);
		suite_add_tcase(s, tc);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	while (nat_end > 0)
		at_end[--nat_end](failed);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
