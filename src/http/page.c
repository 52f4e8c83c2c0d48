/*
 * page.c: ?limit and opaque keyset cursors (see page.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/xmalloc.h"
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
		reply_problem(req, PROB_BAD_REQUEST,
		    "limit must be an integer from 1 to 100");
		return (-1);
	}
	return (0);
}

char *
page_cursor_encode(const char *key)
{
	unsigned char	*b64;
	size_t		 n = strlen(key);
	int		 len, i;
	char		*out;

	b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	len = EVP_EncodeBlock(b64, (const unsigned char *)key, (int)n);
	out = xmalloc((size_t)len + 1);
	for (i = 0; i < len && b64[i] != '='; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' :
		    (char)b64[i];
	out[i] = '\0';
	free(b64);
	return (out);
}

char *
page_cursor_decode(const char *c)
{
	size_t		 n = strlen(c), i, pad;
	char		*in;
	unsigned char	*out;
	int		 len;

	if (n == 0 || n > 400)
		return (NULL);
	pad = (4 - n % 4) % 4;
	if (pad == 3)
		return (NULL);
	in = xmalloc(n + pad + 1);
	for (i = 0; i < n; i++) {
		if (c[i] == '-')
			in[i] = '+';
		else if (c[i] == '_')
			in[i] = '/';
		else if ((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= 'a' &&
		    c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9'))
			in[i] = c[i];
		else {
			free(in);
			return (NULL);
		}
	}
	memset(in + n, '=', pad);
	in[n + pad] = '\0';
	out = xmalloc(n + pad + 1);
	len = EVP_DecodeBlock(out, (unsigned char *)in, (int)(n + pad));
	free(in);
	if (len < 0 || len < (int)pad) {
		free(out);
		return (NULL);
	}
	len -= (int)pad;
	out[len] = '\0';
	/* A NUL inside is not a key we made. */
	if (strlen((char *)out) != (size_t)len) {
		free(out);
		return (NULL);
	}
	return ((char *)out);
}
