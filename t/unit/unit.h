/*
 * unit.h: what the unit tests (t/unit/test_<unit>.c) share: files and
 * directories of their own, and the source tree's files.
 *
 * A unit test links libguichet.a and calls the code under test directly;
 * it needs neither a database nor a server.  Its test_suite() (test.h)
 * adds test cases with test_case().  Failures here are Check assertions:
 * call these from tests and fixtures, not from test_suite().
 * Everything returned as char * is malloc'ed and freed by the caller.
 */
#ifndef GUICHET_UNIT_H
#define GUICHET_UNIT_H

#include <sys/types.h>

#include <stddef.h>

#include "../test.h"

/*
 * A new directory under $TMPDIR (or /tmp) into 'dir' ('len' bytes), named
 * after 'what'; unit_rmdir() removes it and everything in it.
 */
void	 unit_mkdir(char *, size_t, const char *);
void	 unit_rmdir(const char *);
/* Write 'text' to 'path' (created or truncated) with 'mode'. */
void	 unit_write(const char *, const char *, mode_t);
/* The whole content of a file, NUL-terminated; *len may be NULL. */
char	*unit_read(const char *, size_t *);
/*
 * The path of 'name' in the source tree: $GUICHET_TEST_SRCDIR/name, or
 * NULL when make check did not set it (a test then skips that part).
 */
char	*unit_src(const char *);

#endif
