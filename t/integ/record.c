/*
 * record.c: every HTTP exchange an integration test makes, one JSON line
 * each, appended to $GUICHET_TEST_BUILDDIR/t/responses/<program>.jsonl;
 * t/openapi/validate.mjs checks each line against the OpenAPI document.
 *
 * A line (JSON Lines, UTF-8):
 *   {"test": "t3001-accounts", "case": "test_me_get",
 *    "via": "curl" | "raw",
 *    "method": "GET", "path": "/api/v1/me" (as sent: no query, still
 *    percent-encoded), "query": "limit=2" | null,
 *    "request_headers": {"authorization": "Bearer ...", ...},
 *    "status": 200,
 *    "headers": {"content-type": "application/json", "vary": [..., ...]},
 *    "body": "..."  or, when the body is not UTF-8, "body_base64": "...",
 *    "unchecked": "why" (only when a test said so: harness_unchecked())}
 * Header names are lower-case; a header sent or received more than once
 * has the array of its values.  "case" is the Check test that made the
 * exchange (absent for exchanges made before the tests, in main).
 *
 * Invariants: each line is written with one write(2) on a descriptor
 * opened O_APPEND, so that the forked tests of a program and their threads
 * never interleave lines; the file is emptied once, by record_init(), in
 * the program's main process.  A failure to record is a hard error (99):
 * a check that silently sees fewer answers would prove less.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/b64.h"
#include "record.h"

static char		 path[4096];
static pid_t		 main_pid;
static const char	*unchecked;

static void
record_die(const char *what)
{
	fprintf(stderr, "%s: harness: %s %s: %s\n", test_name(), what, path,
	    strerror(errno));
	exit(99);
}

void
record_init(const char *builddir, const char *program)
{
	char	 dir[2048];
	int	 fd;

	main_pid = getpid();
	snprintf(dir, sizeof(dir), "%s/t", builddir);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		record_die("mkdir");
	snprintf(dir, sizeof(dir), "%s/t/responses", builddir);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		record_die("mkdir");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.jsonl", dir, program) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		record_die("name");
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		record_die("open");
	close(fd);
}

void
record_unchecked(const char *reason)
{
	unchecked = reason;
}

void
record_headers_free(struct http_header *h, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

struct http_header *
record_parse_headers(const char *text, size_t len, size_t *np)
{
	struct http_header	*h = NULL;
	const char		*p = text, *end = text + len, *eol, *colon;
	const char		*vs, *ve;
	size_t			 n = 0;

	*np = 0;
	/* Skip the start line. */
	if ((eol = memchr(p, '\n', len)) == NULL)
		return (NULL);
	for (p = eol + 1; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		ve = eol;
		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve == p)
			break;	/* the empty line: end of the head */
		if ((colon = memchr(p, ':', (size_t)(ve - p))) == NULL)
			continue;
		for (vs = colon + 1; vs < ve && (*vs == ' ' || *vs == '\t');
		    vs++)
			;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if ((h = realloc(h, (n + 1) * sizeof(*h))) == NULL ||
		    (h[n].name = strndup(p, (size_t)(colon - p))) == NULL ||
		    (h[n].value = strndup(vs, (size_t)(ve - vs))) == NULL) {
			errno = ENOMEM;
			record_die("parse the headers for");
		}
		n++;
		if (eol == end)
			break;
	}
	*np = n;
	return (h);
}

/* {lower-case name: value, or [values] when repeated}. */
static json_t *
headers_object(const struct http_header *h, size_t n)
{
	json_t	*o = json_object(), *v, *prev;
	char	 name[256];
	size_t	 i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; h[i].name[j] != '\0' && j + 1 < sizeof(name); j++)
			name[j] = (char)tolower((unsigned char)h[i].name[j]);
		name[j] = '\0';
		if ((v = json_string(h[i].value)) == NULL)
			v = json_string("(not UTF-8)");
		if ((prev = json_object_get(o, name)) == NULL)
			json_object_set_new(o, name, v);
		else if (json_is_array(prev))
			json_array_append_new(prev, v);
		else
			json_object_set_new(o, name, json_pack("[Oo]", prev,
			    v));
	}
	return (o);
}

static json_t *
base64(const char *data, size_t len)
{
	char	*out;
	json_t	*v;

	if ((out = malloc(B64_LEN(len) + 1)) == NULL) {
		errno = ENOMEM;
		record_die("encode a body for");
	}
	b64_encode(data, len, out);
	v = json_string(out);
	free(out);
	return (v);
}

void
record_exchange(const struct record_exchange *x)
{
	struct http_header	*rh;
	const char		*q;
	json_t			*line, *body;
	char			*text;
	size_t			 nrh, len;
	ssize_t			 w;
	int			 fd;

	if (path[0] == '\0')
		return;
	line = json_object();
	json_object_set_new(line, "test", json_string(test_name()));
	if (getpid() != main_pid)
		json_object_set_new(line, "case", json_string(tcase_name()));
	json_object_set_new(line, "via", json_string(x->via));
	json_object_set_new(line, "method", json_string(x->method));
	if ((q = strchr(x->target, '?')) != NULL) {
		json_object_set_new(line, "path", json_stringn(x->target,
		    (size_t)(q - x->target)));
		json_object_set_new(line, "query", json_string(q + 1));
	} else {
		json_object_set_new(line, "path", json_string(x->target));
		json_object_set_new(line, "query", json_null());
	}
	rh = record_parse_headers(x->request_head, x->request_head_len, &nrh);
	json_object_set_new(line, "request_headers", headers_object(rh, nrh));
	record_headers_free(rh, nrh);
	json_object_set_new(line, "status", json_integer(x->status));
	json_object_set_new(line, "headers", headers_object(x->headers,
	    x->nheaders));
	if ((body = json_stringn(x->body, x->body_len)) != NULL)
		json_object_set_new(line, "body", body);
	else
		json_object_set_new(line, "body_base64", base64(x->body,
		    x->body_len));
	if (unchecked != NULL) {
		json_object_set_new(line, "unchecked", json_string(unchecked));
		unchecked = NULL;
	}
	if ((text = json_dumps(line, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		record_die("serialise a line of");
	}
	json_decref(line);
	len = strlen(text);
	text[len] = '\n';	/* json_dumps' NUL: the line's end */
	if ((fd = open(path, O_WRONLY | O_APPEND)) == -1)
		record_die("open");
	if ((w = write(fd, text, len + 1)) != (ssize_t)(len + 1))
		record_die("write");
	close(fd);
	free(text);
}
