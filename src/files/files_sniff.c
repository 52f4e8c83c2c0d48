/*
 * files_sniff.c: a file's type, read from its content with libmagic
 * (Debian libmagic1: file(1)'s own library and database, maintained for
 * decades against exactly this question; writing our own table of
 * signatures would be weaker and ours to keep up).
 *
 * libmagic decides from the first SNIFF_BYTES bytes; a PDF, a JPEG or a
 * PNG must moreover begin with its format's signature: libmagic calls
 * "PDF" a file with "%PDF-" anywhere in its first kilobyte (as PDF readers
 * do), so an HTML page with a PDF header further down would pass as one.
 * Served as application/pdf, attachment and nosniff, it would be harmless;
 * refused, it is not even stored.
 *
 * A magic_t is not thread-safe and its database costs a few megabytes:
 * one for the process, under a mutex (a sniff takes well under a
 * millisecond; uploads are rare next to other requests).
 */
#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "files/files_int.h"
#include "http/route.h"

#define SNIFF_BYTES	(64 * 1024)

static pthread_mutex_t	 sniff_mtx = PTHREAD_MUTEX_INITIALIZER;
static magic_t		 cookie;
static char		 sniff_error[160];

/* The formats whose signature must come first, and their signatures. */
static const struct {
	const char	*type;
	const char	*magic;
	size_t		 len;
} signatures[] = {
	{ "application/pdf", "%PDF-", 5 },
	{ "image/jpeg", "\xff\xd8\xff", 3 },
	{ "image/png", "\x89PNG\r\n\x1a\n", 8 },
};

/* Under sniff_mtx. */
static int
sniff_load(void)
{
	if (cookie != NULL)
		return (0);
	if (sniff_error[0] != '\0')
		return (-1);
	cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_APPTYPE);
	if (cookie == NULL || magic_load(cookie, NULL) == -1) {
		snprintf(sniff_error, sizeof(sniff_error), "libmagic: %s "
		    "(Debian: apt-get install libmagic1 libmagic-mgc)",
		    cookie != NULL && magic_error(cookie) != NULL ?
		    magic_error(cookie) : "cannot open its database");
		if (cookie != NULL)
			magic_close(cookie);
		cookie = NULL;
		return (-1);
	}
	return (0);
}

int
files_sniff_init(char *err, size_t errlen)
{
	int	 rc;

	pthread_mutex_lock(&sniff_mtx);
	if ((rc = sniff_load()) == -1)
		snprintf(err, errlen, "%s", sniff_error);
	pthread_mutex_unlock(&sniff_mtx);
	return (rc);
}

int
files_sniff(const void *data, size_t len, const char *accepted, char *type,
    size_t tlen)
{
	const char	*t = NULL;
	size_t		 i;

	pthread_mutex_lock(&sniff_mtx);
	if (sniff_load() == 0)
		t = magic_buffer(cookie, data, len < SNIFF_BYTES ? len :
		    SNIFF_BYTES);
	snprintf(type, tlen, "%s", t != NULL && strchr(t, '/') != NULL ? t :
	    "application/octet-stream");
	pthread_mutex_unlock(&sniff_mtx);
	if (!media_type_listed(accepted, type, strlen(type)))
		return (0);
	for (i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++)
		if (strcmp(type, signatures[i].type) == 0)
			return (len >= signatures[i].len && memcmp(data,
			    signatures[i].magic, signatures[i].len) == 0);
	return (1);
}
