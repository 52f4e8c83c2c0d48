/*
 * test.h: the one main of every test program (t/main.c) and what a test
 * program gives it.
 *
 * A test program is one file, t/unit/test_<unit>.c or t/integ/tNNNN-name.c,
 * that defines test_suite(): it adds its test cases to the suite that
 * main() made and named after the program, then main() runs them with
 * Check, in fork mode (the default of Check; CK_FORK=no turns it off for
 * unit tests, never for integration tests), and exits 0 when every test
 * passed, 1 otherwise (77 skip and 99 hard error come from the support
 * libraries).  Adding a test program is writing that file and adding its
 * name to UNIT_TESTS or INTEG_TESTS in Makefile.am: nothing else.
 *
 * Unit tests add test cases with test_case(); integration tests start
 * with harness_suite() or idl_suite() (harness.h, idlib.h), which set the
 * program up and return the one test case to add tests to.
 */
#ifndef GUICHET_TEST_H
#define GUICHET_TEST_H

#include <check.h>

/* Defined by each test program. */
void	 test_suite(Suite *);

/* The program's name: the last component of argv[0] ("t3001-accounts"). */
const char *test_name(void);

/*
 * A new test case named 'name' in 's', with 'timeout' seconds per test
 * (0: Check's default of 4 s, or CK_DEFAULT_TIMEOUT).
 */
TCase	*test_case(Suite *, const char *, int);

/*
 * Add to 'tc' every test of a NULL-terminated table, in its order:
 *	static const TTest *const *const tests[] = {
 *		&test_one, &test_two, NULL
 *	};
 * (START_TEST(test_one) defines test_one, a pointer; the table holds the
 * pointers' addresses, which are constants.)
 */
void	 test_add(TCase *, const TTest *const *const *);

/*
 * A table of test cases, for programs with several (unit tests): each
 * entry is a test case made with test_case(), with a checked fixture when
 * 'setup' or 'teardown' is not NULL (they run in each test's process),
 * and the tests of 'tests'.  A NULL name ends the table.
 */
struct test_group {
	const char			*name;
	int				 timeout;
	void				(*setup)(void);
	void				(*teardown)(void);
	const TTest *const *const	*tests;
};
/* The test cases of a table; the last one, for more tests of its own. */
TCase	*test_groups(Suite *, const struct test_group *);

/*
 * For the support libraries.  test_fork_always(): run in fork mode
 * whatever CK_FORK says (integration tests: a failed assertion must end
 * the test's process, whose servers die with it).  test_at_end(): 'fn'
 * runs after the tests with the number that failed (the last registered
 * first); it cleans up and may print where the logs are.
 */
void	 test_fork_always(void);
void	 test_at_end(void (*)(int));

#endif
