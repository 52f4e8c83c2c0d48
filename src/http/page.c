/*
 * page.c: ?limit and opaque keyset cursors (see page.h): a cursor is its
 * key sealed (base/seal.h), so that a client can neither read it nor
 * make one.
 */
#include <stdlib.h>
#include <string.h>

#include "base/seal.h"
#include "http/page.h"
#include "http/reply.h"

int
page_limit_or_reply(struct request *req, long *limit)
{
	const char	*s = request_query(req, "limit");
	char		*end;

	*limit = PAGE_DEFAULT;
	if (s == NULL)
		return (0);
	*limit = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *limit < 1 || *limit > PAGE_MAX) {
		reply_error(req, HTTP_ERR(HE_BAD_LIMIT));
		return (-1);
	}
	return (0);
}

char *
page_cursor_encode(const char *key)
{
	return (seal(key));
}

char *
page_cursor_decode(const char *c)
{
	if (strlen(c) > 1400)
		return (NULL);
	return (unseal(c));
}
