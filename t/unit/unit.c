/*
 * unit.c: the unit tests' support (see unit.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

void
unit_mkdir(char *dir, size_t len, const char *what)
{
	const char	*tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	ck_assert_int_lt(snprintf(dir, len, "%s/guichet-%s-XXXXXX", tmp, what),
	    (int)len);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s failed", dir);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

void
unit_rmdir(const char *dir)
{
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
unit_write(const char *path, const char *text, mode_t mode)
{
	size_t	 n = strlen(text);
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_msg(fd != -1, "cannot create %s", path);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

char *
unit_read(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*s = NULL;
	size_t	 len = 0, n;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	do {
		ck_assert_ptr_nonnull(s = realloc(s, len + 65536 + 1));
		n = fread(s + len, 1, 65536, f);
		len += n;
	} while (n > 0);
	ck_assert_msg(!ferror(f), "cannot read %s", path);
	fclose(f);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (s);
}

char *
unit_src(const char *name)
{
	const char	*src = getenv("GUICHET_TEST_SRCDIR");
	char		*p;

	if (src == NULL || src[0] == '\0')
		return (NULL);
	if (asprintf(&p, "%s/%s", src, name) == -1)
		ck_abort_msg("out of memory");
	return (p);
}
