/*
 * test.h: the one main of every test program (t/main.c) and the table a
 * test program gives it.
 *
 * A test program is one file, t/unit/test_<unit>.c or t/integ/tNNNN-name.c,
 * whose tests are Check tests (START_TEST) and which ends with the table
 * of its test cases, test_groups[]; main() makes a suite named after the
 * program, one Check test case per entry, runs them in fork mode (Check's
 * default; CK_FORK=no turns it off for unit tests and is refused by
 * integration tests) and exits 0 when every test passed, 1 otherwise (77,
 * skip, and 99, hard error, come from the support libraries).  Adding a
 * test program is writing that file and adding its name to UNIT_TESTS or
 * INTEG_TESTS in Makefile.am: nothing else.
 *
 *	static const TTest *const *const tests[] = {
 *		&test_one,
 *		&test_two,
 *		NULL
 *	};
 *
 *	const struct test_group test_groups[] = {
 *		{ "name", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL,
 *		    tests },
 *		{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
 *	};
 *
 * (START_TEST(test_one) defines test_one, a pointer; a table holds the
 * pointers' addresses, which are constants.)
 */
#ifndef GUICHET_TEST_H
#define GUICHET_TEST_H

#include <check.h>

/*
 * A Check test case: its name (NULL ends the table); its timeout in
 * seconds (TEST_TIMEOUT_CHECK: Check's default of 4 s, or
 * CK_DEFAULT_TIMEOUT); a checked
 * fixture, run in each test's process around it (setup, teardown; either
 * may be NULL); an unchecked fixture, run once in the runner's process
 * before and after the case's tests (prepare, cleanup: a program's set-up,
 * such as harness_prepare() or idl_prepare(), which may exit 77 to skip);
 * and its tests, a NULL-terminated table.
 */
struct test_group {
	const char			*name;
	int				 timeout;
	void				(*setup)(void);
	void				(*teardown)(void);
	void				(*prepare)(void);
	void				(*cleanup)(void);
	const TTest *const *const	*tests;
};

/* The timeout of a test case that needs no more than Check's 4 s. */
#define TEST_TIMEOUT_CHECK	0

/* Defined by each test program. */
extern const struct test_group test_groups[];

/* The program's name: the last component of argv[0] ("t3001-accounts"). */
const char *test_name(void);

/*
 * For the support libraries: 'fn' runs after every test, with the number
 * that failed (the last registered first); it cleans up and may print
 * where the logs are kept.
 */
void	 test_at_end(void (*)(int));

#endif
