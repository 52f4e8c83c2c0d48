/*
 * route.c: path matching against the one route table.
 *
 * Patterns are split on '/'; a segment "{name}" captures one non-empty,
 * percent-decoded path segment.  HEAD is answered by GET routes.  The table
 * is small (tens of routes), so a linear scan that compares segments in place
 * costs less than building any index.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "base/xmalloc.h"
#include "http/route.h"

static const struct route	*table;
static size_t			 ntable;

int
media_type_listed(const char *list, const char *type, size_t len)
{
	size_t	 n;

	while (*list != '\0') {
		while (*list == ' ')
			list++;
		n = strcspn(list, " ");
		if (n == len && n > 0 && strncasecmp(list, type, n) == 0)
			return (1);
		list += n;
	}
	return (0);
}

void
router_init(const struct route *t, size_t n)
{
	table = t;
	ntable = n;
}

size_t
router_count(void)
{
	return (ntable);
}

const struct route *
router_at(size_t i)
{
	return (i < ntable ? &table[i] : NULL);
}

/* Decode %XX in [s, s+n); NULL when malformed or when it yields NUL. */
static char *
segment_decode(const char *s, size_t n)
{
	char	*out, *o;
	size_t	 i;
	int	 h, l;

	o = out = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n)
			goto bad;
		if ((h = hex_digit(s[i + 1])) == -1 ||
		    (l = hex_digit(s[i + 2])) == -1)
			goto bad;
		if (h == 0 && l == 0)
			goto bad;
		*o++ = (char)(h << 4 | l);
		i += 2;
	}
	*o = '\0';
	return (out);
bad:
	free(out);
	return (NULL);
}

/*
 * Compare 'path' with 'pattern' segment by segment.  Returns 1 on a match
 * (and captures into 'req' when not NULL), 0 otherwise.
 */
static int
pattern_match(const char *pattern, const char *path, struct request *req)
{
	const char	*p = pattern, *q = path, *pe, *qe;
	size_t		 plen, qlen;
	int		 n = 0;
	char		*v;

	for (;;) {
		if (*p != '/' || *q != '/')
			return (*p == '\0' && *q == '\0');
		p++;
		q++;
		pe = strchr(p, '/');
		qe = strchr(q, '/');
		plen = pe != NULL ? (size_t)(pe - p) : strlen(p);
		qlen = qe != NULL ? (size_t)(qe - q) : strlen(q);
		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (qlen == 0 || n >= ROUTE_PARAMS_MAX)
				return (0);
			if (req != NULL) {
				if ((v = segment_decode(q, qlen)) == NULL)
					return (0);
				req->params[n].name = NULL;
				req->params[n].value = v;
			}
			n++;
		} else if (plen != qlen || memcmp(p, q, plen) != 0)
			return (0);
		p += plen;
		q += qlen;
		if (*p == '\0' && *q == '\0')
			break;
	}
	return (1);
}

static void
capture_names(const char *pattern, struct request *req)
{
	const char	*p = pattern;
	const char	*e;
	int		 n = 0;

	while ((p = strchr(p, '{')) != NULL && n < req->nparams) {
		e = strchr(p, '}');
		req->params[n++].name = xstrndup(p + 1, (size_t)(e - p - 1));
		p = e;
	}
}

static void
allow_add(char *allow, size_t len, const char *m)
{
	size_t	 cur = strlen(allow);

	if (strstr(allow, m) != NULL)
		return;
	if (cur + strlen(m) + 3 >= len)
		return;
	if (cur > 0)
		strcat(allow, ", ");
	strcat(allow, m);
}

enum route_result
route_match(const char *method, const char *path, struct request *req,
    int *index, char *allow, size_t allowlen)
{
	const struct route	*r;
	size_t			 i;
	int			 path_seen = 0, j;
	const char		*m;

	m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	if (allowlen > 0)
		allow[0] = '\0';
	for (i = 0; i < ntable; i++) {
		r = &table[i];
		if (strcmp(r->method, m) != 0)
			continue;
		if (!pattern_match(r->pattern, path, NULL))
			continue;
		/* Match again, capturing, now that this is the route. */
		req->nparams = 0;
		if (strchr(r->pattern, '{') != NULL) {
			if (!pattern_match(r->pattern, path, req))
				return (ROUTE_NOT_FOUND);
			for (j = 0; j < ROUTE_PARAMS_MAX &&
			    req->params[j].value != NULL; j++)
				;
			req->nparams = j;
			capture_names(r->pattern, req);
		}
		*index = (int)i;
		return (ROUTE_FOUND);
	}
	for (i = 0; i < ntable; i++) {
		r = &table[i];
		if (!pattern_match(r->pattern, path, NULL))
			continue;
		path_seen = 1;
		allow_add(allow, allowlen, r->method);
		if (strcmp(r->method, "GET") == 0)
			allow_add(allow, allowlen, "HEAD");
	}
	*index = -1;
	return (path_seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND);
}
