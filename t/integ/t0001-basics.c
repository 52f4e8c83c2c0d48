/*
 * t0001-basics: what every deployment relies on before any domain exists:
 * the operations endpoints, the error shape, request ids, the standard
 * headers, the access log, metrics, the OpenAPI document, the command line
 * and a clean stop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/conf.h"
#include "harness.h"
#include "idlib.h"

/* 1–64 characters of [A-Za-z0-9._-]. */
static int
rid_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64)
		return (0);
	return (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n);
}

/* GET 'path' with one extra header line (may be NULL). */
static void
get_with(struct server *s, const char *path, const char *hdr,
    struct http_resp *r)
{
	const char	*h[] = { hdr, NULL };

	ck_assert_msg(harness_http(s, "GET", path, hdr ? h : NULL, NULL, 0,
	    r) == 0, "GET %s failed: %s", path, r->error);
}

/* GET 'path' answers 200 with JSON whose status is 'want'. */
static void
probe_answers(struct server *s, const char *path, const char *want)
{
	struct http_resp r;
	json_t		*j;
	const char	*ct;

	ck_assert_int_eq(harness_get(s, path, &r), 0);
	ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
	ct = http_resp_header(&r, "Content-Type");
	ck_assert_msg(ct != NULL && strncasecmp(ct, "application/json", 16) == 0,
	    "Content-Type %s", ct ? ct : "(none)");
	j = harness_json(&r);
	ck_assert_msg(j != NULL, "body is not JSON: %s", r.body);
	ck_assert_msg(idl_jstr(j, "status") != NULL &&
	    strcmp(idl_jstr(j, "status"), want) == 0, "body %s", r.body);
	json_decref(j);
	http_resp_free(&r);
}

/* The probes: alive, then ready (the schema is the one it expects). */
START_TEST(test_probes_answer)
{
	struct server	 s;

	harness_start(&s, NULL);
	probe_answers(&s, "/healthz", "ok");
	probe_answers(&s, "/readyz", "ready");
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_notfound_problem)
{
	struct server	 s;
	struct http_resp r;
	json_t		*j;

	harness_start(&s, NULL);
	get_with(&s, "/no/such/thing", NULL, &r);
	j = harness_assert_problem(&r, 404, "/problems/not-found",
	    "/no/such/thing");
	json_decref(j);
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_method_not_allowed)
{
	struct server	 s;
	struct http_resp r;
	const char	*allow;
	const char	*h[] = { "Content-Type: application/json", NULL };
	json_t		*j;

	harness_start(&s, NULL);
	ck_assert_int_eq(harness_http(&s, "POST", "/healthz", h, "{}", 2, &r),
	    0);
	j = harness_assert_problem(&r, 405, NULL, "/healthz");
	allow = http_resp_header(&r, "Allow");
	ck_assert_msg(allow != NULL, "405 without Allow");
	ck_assert_msg(strstr(allow, "GET") != NULL, "Allow: %s", allow);
	ck_assert_msg(strstr(allow, "HEAD") != NULL, "Allow: %s", allow);
	ck_assert_msg(strstr(allow, "POST") == NULL, "Allow: %s", allow);
	json_decref(j);
	http_resp_free(&r);

	/* Another method, another path: same answer. */
	ck_assert_int_eq(harness_http(&s, "DELETE", "/metrics", NULL, NULL, 0,
	    &r), 0);
	j = harness_assert_problem(&r, 405, NULL, "/metrics");
	ck_assert_ptr_nonnull(http_resp_header(&r, "Allow"));
	json_decref(j);
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

/*
 * GET /healthz with each of 'ids' as X-Request-Id: each comes back when
 * 'echoed', otherwise a well-formed id of the server's replaces it.
 */
static void
request_ids(struct server *s, const char *const *ids, int echoed)
{
	struct http_resp r;
	char		 hdr[128];
	const char	*v;
	int		 i;

	for (i = 0; ids[i] != NULL; i++) {
		snprintf(hdr, sizeof(hdr), "X-Request-Id: %s", ids[i]);
		get_with(s, "/healthz", hdr, &r);
		ck_assert_int_eq(r.status, 200);
		v = http_resp_header(&r, "X-Request-Id");
		if (echoed)
			ck_assert_msg(v != NULL && strcmp(v, ids[i]) == 0,
			    "sent %s, got %s", ids[i], v ? v : "(none)");
		else {
			ck_assert_msg(v != NULL && strcmp(v, ids[i]) != 0,
			    "malformed id '%s' was echoed", ids[i]);
			ck_assert_msg(rid_ok(v), "generated id '%s' is not "
			    "well-formed", v);
		}
		http_resp_free(&r);
	}
}

START_TEST(test_request_id_echoed)
{
	static const char *const ids[] = {
		"abc", "A.b_c-9",
		"0123456789012345678901234567890123456789012345678901234567890123",
		"x", NULL
	};
	struct server	 s;
	struct http_resp r;

	harness_start(&s, NULL);
	request_ids(&s, ids, 1);
	/* Also in a problem body. */
	get_with(&s, "/nowhere", "X-Request-Id: my.req-1", &r);
	json_decref(harness_assert_problem(&r, 404, NULL, NULL));
	ck_assert_str_eq(http_resp_header(&r, "X-Request-Id"), "my.req-1");
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_request_id_malformed_replaced)
{
	static const char *const ids[] = {
		/* 65 characters */
		"01234567890123456789012345678901234567890123456789012345678901234",
		"has space", "ctl\x01" "char", "semi;colon", "quote\"d",
		"slash/ok?", "\xc3\xa9t\xc3\xa9", NULL
	};
	struct server	 s;

	harness_start(&s, NULL);
	request_ids(&s, ids, 0);
	harness_server_free(&s);
}
END_TEST

/* The id the server made for GET /healthz with 'hdr' (may be NULL). */
static char *
generated_id(struct server *s, const char *hdr)
{
	struct http_resp r;
	const char	*v;
	char		*id;

	get_with(s, "/healthz", hdr, &r);
	v = http_resp_header(&r, "X-Request-Id");
	ck_assert_msg(rid_ok(v), "generated id '%s'", v ? v : "(none)");
	id = strdup(v);
	http_resp_free(&r);
	return (id);
}

START_TEST(test_request_id_generated)
{
	struct server	 s;
	char		*first, *second;

	harness_start(&s, NULL);
	first = generated_id(&s, NULL);
	second = generated_id(&s, NULL);
	ck_assert_msg(strcmp(first, second) != 0, "two requests got the id %s",
	    second);
	free(first);
	free(second);
	/* An empty header counts as absent. */
	free(generated_id(&s, "X-Request-Id;"));
	harness_server_free(&s);
}
END_TEST

START_TEST(test_std_headers_every_status)
{
	struct server	 s;
	struct http_resp r;
	const char	*extra[] = { "--body-max", "1024", NULL };
	const char	*json[] = { "Content-Type: application/json", NULL };
	const char	*text[] = { "Content-Type: text/plain", NULL };
	char		 big[4096];

	harness_start(&s, extra);
	get_with(&s, "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	harness_assert_std_headers(&r);
	http_resp_free(&r);

	get_with(&s, "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	harness_assert_std_headers(&r);
	http_resp_free(&r);

	get_with(&s, "/missing", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	harness_assert_std_headers(&r);
	http_resp_free(&r);

	ck_assert_int_eq(harness_http(&s, "PUT", "/readyz", NULL, NULL, 0, &r),
	    0);
	ck_assert_int_eq(r.status, 405);
	harness_assert_std_headers(&r);
	http_resp_free(&r);

	ck_assert_int_eq(harness_http(&s, "POST", "/api/v1/accounts", text,
	    "hello", 5, &r), 0);
	ck_assert_int_eq(r.status, 415);
	harness_assert_std_headers(&r);
	http_resp_free(&r);

	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	harness_http(&s, "POST", "/api/v1/accounts", json, big, sizeof(big),
	    &r);
	ck_assert_msg(r.status == 413, "status %ld (%s)", r.status, r.error);
	harness_assert_std_headers(&r);
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_problem_request_id_matches_header)
{
	struct server	 s;
	struct http_resp r;
	const char	*h[] = { "Content-Type: application/json", NULL };

	harness_start(&s, NULL);
	/* Generated ids too: the body and the header carry the same one. */
	get_with(&s, "/nope", NULL, &r);
	json_decref(harness_assert_problem(&r, 404, NULL, "/nope"));
	http_resp_free(&r);
	ck_assert_int_eq(harness_http(&s, "POST", "/readyz", h, "{}", 2, &r),
	    0);
	json_decref(harness_assert_problem(&r, 405, NULL, "/readyz"));
	http_resp_free(&r);
	get_with(&s, "/nope", "X-Request-Id: given-1", &r);
	json_decref(harness_assert_problem(&r, 404, NULL, "/nope"));
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

/* The access line of request 'rid', checked member by member. */
static json_t *
access_line(struct server *s, const char *rid)
{
	json_t		*lines, *l, *v;
	const char	*t;
	char		*log;

	lines = harness_log_lines(s, rid);
	log = harness_server_log(s);
	ck_assert_msg(json_array_size(lines) == 1,
	    "%zu log lines for request %s; log:\n%s", json_array_size(lines),
	    rid, log);
	free(log);
	l = json_incref(json_array_get(lines, 0));
	json_decref(lines);
	t = idl_jstr(l, "time");
	ck_assert_msg(t != NULL && strlen(t) >= 20 && t[10] == 'T' &&
	    t[strlen(t) - 1] == 'Z', "time %s", t ? t : "(none)");
	ck_assert_ptr_nonnull(idl_jstr(l, "method"));
	ck_assert_ptr_nonnull(idl_jstr(l, "path"));
	v = json_object_get(l, "status");
	ck_assert_msg(json_is_integer(v), "status is not an integer");
	v = json_object_get(l, "bytes");
	ck_assert_msg(json_is_integer(v) && json_integer_value(v) >= 0,
	    "bytes is not a count");
	v = json_object_get(l, "duration_us");
	ck_assert_msg(json_is_integer(v) && json_integer_value(v) >= 0,
	    "duration_us is not a count");
	return (l);
}

START_TEST(test_accesslog_one_line_per_request)
{
	struct server	 s;
	struct http_resp r;
	json_t		*l;
	const char	*h[] = { "X-Request-Id: log-post-1",
	    "Content-Type: application/json", NULL };

	harness_start(&s, NULL);
	get_with(&s, "/healthz", "X-Request-Id: log-get-1", &r);
	http_resp_free(&r);
	get_with(&s, "/missing/page", "X-Request-Id: log-get-2", &r);
	http_resp_free(&r);
	ck_assert_int_eq(harness_http(&s, "POST", "/healthz", h, "{}", 2, &r),
	    0);
	http_resp_free(&r);
	ck_assert_int_eq(harness_server_stop(&s), 0);

	l = access_line(&s, "log-get-1");
	ck_assert_str_eq(idl_jstr(l, "method"), "GET");
	ck_assert_str_eq(idl_jstr(l, "path"), "/healthz");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "status")), 200);
	ck_assert_msg(json_integer_value(json_object_get(l, "bytes")) > 0,
	    "bytes of a 200 with a body is 0");
	json_decref(l);

	l = access_line(&s, "log-get-2");
	ck_assert_str_eq(idl_jstr(l, "path"), "/missing/page");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "status")), 404);
	json_decref(l);

	l = access_line(&s, "log-post-1");
	ck_assert_str_eq(idl_jstr(l, "method"), "POST");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "status")), 405);
	json_decref(l);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_accesslog_no_query_string)
{
	struct server	 s;
	struct http_resp r;
	json_t		*l;
	char		*log;

	harness_start(&s, NULL);
	get_with(&s, "/healthz?secret=abc", "X-Request-Id: q-1", &r);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	l = access_line(&s, "q-1");
	ck_assert_str_eq(idl_jstr(l, "path"), "/healthz");
	json_decref(l);
	log = harness_server_log(&s);
	ck_assert_msg(strstr(log, "secret") == NULL, "the query string is "
	    "logged:\n%s", log);
	ck_assert_msg(strstr(log, "abc") == NULL, "the query string is "
	    "logged:\n%s", log);
	free(log);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_accesslog_no_authorization)
{
	struct server	 s;
	struct http_resp r;
	const char	*h[] = { "Authorization: Bearer sekret-token-xyz",
	    "X-Request-Id: auth-1", NULL };
	json_t		*l;
	char		*log;

	harness_start(&s, NULL);
	ck_assert_int_eq(harness_http(&s, "GET", "/healthz", h, NULL, 0, &r),
	    0);
	http_resp_free(&r);
	ck_assert_int_eq(harness_http(&s, "GET", "/no/such", h, NULL, 0, &r),
	    0);
	http_resp_free(&r);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	log = harness_server_log(&s);
	ck_assert_msg(strstr(log, "sekret-token-xyz") == NULL,
	    "the Authorization header is logged:\n%s", log);
	free(log);
	/* Both requests are there, under the id they carried. */
	l = harness_log_lines(&s, "auth-1");
	ck_assert_int_eq(json_array_size(l), 2);
	json_decref(l);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_accesslog_injection)
{
	struct server	 s;
	struct http_resp r;
	const char	*h[] = {
		"User-Agent: evil\"}\\n{\"fake\":1} \x01\x1b[31m",
		"X-Request-Id: inj-1", NULL };
	struct raw_resp	 raw;
	json_t		*j, *lines;
	char		*log, *line, *nl;
	int		 n = 0, fd;

	harness_start(&s, NULL);
	ck_assert_int_eq(harness_http(&s, "GET",
	    "/healthz%0A%7B%22fake%22%3A1%7D", h, NULL, 0, &r), 0);
	http_resp_free(&r);
	ck_assert_int_eq(harness_http(&s, "GET",
	    "/x%0D%0A%7Bfake%22%5C%00end", h, NULL, 0, &r), 0);
	http_resp_free(&r);
	/* A bare LF inside a header, which curl would not send. */
	fd = harness_connect(&s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "GET /healthz HTTP/1.1\r\n"
	    "Host: x\r\nX-Request-Id: inj-2\r\nUser-Agent: a\n{\"fake\":1}"
	    "\r\nConnection: close\r\n\r\n"), 0);
	harness_raw_read(fd, 5000, 1, &raw);
	raw_resp_free(&raw);
	close(fd);
	ck_assert_int_eq(harness_server_stop(&s), 0);

	/* Each line is one JSON object, none of them forged. */
	log = harness_server_log(&s);
	for (line = log; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
		j = json_loads(line, 0, NULL);
		ck_assert_msg(j != NULL && json_is_object(j),
		    "log line is not a JSON object: %s", line);
		ck_assert_msg(json_object_get(j, "fake") == NULL,
		    "forged log line: %s", line);
		ck_assert_msg(line[0] == '{', "line %s", line);
		json_decref(j);
		n++;
	}
	ck_assert_msg(*line == '\0', "log does not end with a newline");
	free(log);
	ck_assert_int_gt(n, 0);
	lines = harness_log_lines(&s, "inj-1");
	ck_assert_int_eq(json_array_size(lines), 2);
	json_decref(lines);
	harness_server_free(&s);
}
END_TEST

/* A metrics line starting with 'prefix' and containing every 'parts'. */
static int
metrics_has(const char *text, const char *prefix, const char *const *parts)
{
	const char	*line, *nl;
	char		 buf[1024];
	size_t		 len;
	int		 i, ok;

	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		len = (size_t)(nl - line);
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strncmp(buf, prefix, strlen(prefix)) == 0) {
			ok = 1;
			for (i = 0; parts != NULL && parts[i] != NULL; i++)
				if (strstr(buf, parts[i]) == NULL)
					ok = 0;
			if (ok)
				return (1);
		}
		if (*nl == '\0')
			break;
	}
	return (0);
}

START_TEST(test_metrics_exposition)
{
	struct server	 s;
	struct http_resp r;
	const char	*ct;
	const char	*req[] = { "route=\"/healthz\"", "status=\"200\"", NULL };
	const char	*inf[] = { "le=\"+Inf\"", NULL };

	harness_start(&s, NULL);
	get_with(&s, "/healthz", NULL, &r);
	http_resp_free(&r);
	get_with(&s, "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ct = http_resp_header(&r, "Content-Type");
	ck_assert_msg(ct != NULL && strncasecmp(ct, "text/plain", 10) == 0,
	    "Content-Type %s", ct ? ct : "(none)");
	ck_assert_msg(metrics_has(r.body, "guichet_http_requests_total{", req),
	    "no healthz 200 counter in:\n%s", r.body);
	ck_assert_msg(metrics_has(r.body,
	    "guichet_http_request_duration_seconds_bucket{", inf),
	    "no +Inf bucket in:\n%s", r.body);
	ck_assert_msg(metrics_has(r.body, "guichet_db_errors_total", NULL),
	    "no guichet_db_errors_total in:\n%s", r.body);
	ck_assert_msg(metrics_has(r.body, "guichet_db_reconnects_total", NULL),
	    "no guichet_db_reconnects_total in:\n%s", r.body);
	ck_assert_msg(strstr(r.body, "# TYPE guichet_http_requests_total "
	    "counter") != NULL, "no TYPE line for the counter:\n%s", r.body);
	ck_assert_msg(strstr(r.body, "# TYPE guichet_http_request_duration_"
	    "seconds histogram") != NULL, "no TYPE line for the histogram");
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_openapi_served)
{
	struct server	 s;
	struct http_resp r;
	json_t		*j;
	const char	*v;

	harness_start(&s, NULL);
	get_with(&s, "/api/v1/openapi.json", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	j = harness_json(&r);
	ck_assert_msg(j != NULL, "not JSON");
	v = idl_jstr(j, "openapi");
	ck_assert_msg(v != NULL && strncmp(v, "3.1", 3) == 0, "openapi %s",
	    v ? v : "(none)");
	ck_assert_msg(json_is_object(json_object_get(j, "paths")),
	    "no paths object");
	ck_assert_msg(json_object_get(json_object_get(j, "paths"), "/healthz")
	    != NULL, "/healthz is not documented");
	json_decref(j);
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

/*
 * ARCHITECTURE.md, "API conventions": public GETs send ETag and Cache-Control; If-None-Match -> 304.
 * The OpenAPI document (a handler's ETag) and the JWKS-less key endpoint
 * aside, the server does it for every public GET; probes and metrics say
 * no-store and have no ETag; signed-in answers are never cached.
 */
START_TEST(test_conditional_get)
{
	static const struct {
		const char	*path, *inm;
	} probes[] = {
		{ "/healthz", "If-None-Match: *" },
		{ "/readyz", "If-None-Match: *" },
		{ "/metrics", NULL },
		{ NULL, NULL }
	};
	struct server	 s;
	struct http_resp r;
	char		*etag, *inm;
	const char	*v;
	size_t		 i;

	harness_start(&s, NULL);
	get_with(&s, "/api/v1/openapi.json", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	v = http_resp_header(&r, "ETag");
	ck_assert_msg(v != NULL && v[0] == '"', "ETag %s", v ? v : "(none)");
	etag = strdup(v);
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "public, max-age=300");
	http_resp_free(&r);

	/* The same tag, weak, or in a list: 304, no body, same headers. */
	inm = harness_printf("If-None-Match: %s", etag);
	get_with(&s, "/api/v1/openapi.json", inm, &r);
	ck_assert_int_eq(r.status, 304);
	ck_assert_uint_eq(r.body_len, 0);
	ck_assert_str_eq(http_resp_header(&r, "ETag"), etag);
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "public, max-age=300");
	ck_assert_ptr_nonnull(http_resp_header(&r, "X-Request-Id"));
	http_resp_free(&r);
	free(inm);
	inm = harness_printf("If-None-Match: \"other\", W/%s", etag);
	get_with(&s, "/api/v1/openapi.json", inm, &r);
	ck_assert_int_eq(r.status, 304);
	http_resp_free(&r);
	/* HEAD is GET without the body: the same validator, the same 304. */
	{
		const char	*h[] = { inm, NULL };

		ck_assert(harness_http(&s, "HEAD", "/api/v1/openapi.json", h,
		    NULL, 0, &r) == 0);
		ck_assert_int_eq(r.status, 304);
		ck_assert_str_eq(http_resp_header(&r, "ETag"), etag);
		http_resp_free(&r);
		ck_assert(harness_http(&s, "HEAD", "/api/v1/openapi.json", NULL,
		    NULL, 0, &r) == 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(http_resp_header(&r, "ETag"), etag);
		http_resp_free(&r);
	}
	free(inm);
	/* Another tag, or a longer one that contains ours: the document. */
	inm = harness_printf("If-None-Match: \"%.*sff\"",
	    (int)strlen(etag) - 2, etag + 1);
	get_with(&s, "/api/v1/openapi.json", inm, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_gt(r.body_len, 1000);
	http_resp_free(&r);
	free(inm);
	free(etag);

	/* Probes: never stored, no validator, If-None-Match ignored. */
	for (i = 0; probes[i].path != NULL; i++) {
		get_with(&s, probes[i].path, probes[i].inm, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_ptr_null(http_resp_header(&r, "ETag"));
		ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
		    "no-store");
		http_resp_free(&r);
	}
	/* Errors are not validated either. */
	get_with(&s, "/api/v1/nothing-here", "If-None-Match: *", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_null(http_resp_header(&r, "ETag"));
	http_resp_free(&r);
	harness_server_free(&s);
}
END_TEST

/* /static/{file}: the tree's static/ files, typed, cached, and nothing else. */
START_TEST(test_static_files)
{
	static const char *const refused[] = { "/static/.gitignore",
	    "/static/..%2Fsql%2F001_base.sql", "/static/nope.css",
	    "/static/README", "/static/guichet.css.bak", NULL };
	static const struct {
		const char	*path, *type;
	} typed[] = {
		{ "/static/robots.txt", "text/plain; charset=utf-8" },
		{ NULL, NULL }
	};
	struct server	 s;
	struct http_resp r;
	char		 inm[128];
	int		 i;

	harness_start(&s, NULL);
	get_with(&s, "/static/guichet.css", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
	    "text/css; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "focus-visible"));
	ck_assert_ptr_nonnull(http_resp_header(&r, "ETag"));
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "public, max-age=3600");
	snprintf(inm, sizeof(inm), "If-None-Match: %s",
	    http_resp_header(&r, "ETag"));
	http_resp_free(&r);
	get_with(&s, "/static/guichet.css", inm, &r);
	ck_assert_int_eq(r.status, 304);
	ck_assert_uint_eq(r.body_len, 0);
	http_resp_free(&r);
	/* The other types of the tree's files. */
	for (i = 0; typed[i].path != NULL; i++) {
		get_with(&s, typed[i].path, NULL, &r);
		ck_assert_msg(r.status == 200, "%s: %ld", typed[i].path,
		    r.status);
		ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
		    typed[i].type);
		http_resp_free(&r);
	}
	for (i = 0; refused[i] != NULL; i++) {
		get_with(&s, refused[i], NULL, &r);
		ck_assert_msg(r.status == 404, "%s: %ld", refused[i], r.status);
		http_resp_free(&r);
	}
	harness_server_free(&s);
}
END_TEST

START_TEST(test_cli_version)
{
	char		*bin = harness_bin("guichetd"), *out = NULL, *err = NULL;
	const char	*argv[] = { bin, "--version", NULL };
	const char	*p;
	int		 rc;

	rc = harness_exec(argv, NULL, 10000, &out, &err);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	ck_assert_msg(out != NULL && out[0] != '\0', "nothing on stdout");
	/* Some "N.N" in the output. */
	for (p = out; *p != '\0'; p++)
		if (p[0] >= '0' && p[0] <= '9' && p[1] == '.' &&
		    p[2] >= '0' && p[2] <= '9')
			break;
	ck_assert_msg(*p != '\0', "no version number in: %s", out);
	free(out);
	free(err);
	free(bin);
}
END_TEST

START_TEST(test_cli_help_lists_keys)
{
	char		*bin = harness_bin("guichetd"), *out = NULL, *err = NULL;
	const char	*argv[] = { bin, "--help", NULL };
	struct conf_key_info k;
	char		 dashed[64];
	size_t		 i, j;
	int		 rc;

	rc = harness_exec(argv, NULL, 10000, &out, &err);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	ck_assert_msg(out != NULL && out[0] != '\0', "nothing on stdout");
	/* Every key of the settings table, in either spelling. */
	ck_assert_int_gt(conf_nkeys(), 0);
	for (i = 0; conf_key(i, &k) == 0; i++) {
		snprintf(dashed, sizeof(dashed), "%s", k.key);
		for (j = 0; dashed[j] != '\0'; j++)
			if (dashed[j] == '_')
				dashed[j] = '-';
		ck_assert_msg(strstr(out, k.key) != NULL ||
		    strstr(out, dashed) != NULL, "--help does not mention %s",
		    k.key);
	}
	ck_assert_int_eq(i, conf_nkeys());
	ck_assert_msg(strstr(out, "--migrate") != NULL, "no --migrate in help");
	ck_assert_msg(strstr(out, "--config") != NULL, "no --config in help");
	free(out);
	free(err);
	free(bin);
}
END_TEST

START_TEST(test_sigterm_exit_zero)
{
	struct server	 s;
	struct http_resp r;

	harness_start(&s, NULL);
	get_with(&s, "/readyz", NULL, &r);
	http_resp_free(&r);
	harness_server_signal(&s, SIGTERM);
	ck_assert_int_eq(harness_server_wait(&s, 15000), 0);

	/* SIGINT is the same stop. */
	harness_server_free(&s);
	harness_start(&s, NULL);
	harness_server_signal(&s, SIGINT);
	ck_assert_int_eq(harness_server_wait(&s, 15000), 0);
	harness_server_free(&s);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_probes_answer,
	&test_notfound_problem,
	&test_method_not_allowed,
	&test_request_id_echoed,
	&test_request_id_malformed_replaced,
	&test_request_id_generated,
	&test_std_headers_every_status,
	&test_problem_request_id_matches_header,
	&test_accesslog_one_line_per_request,
	&test_accesslog_no_query_string,
	&test_accesslog_no_authorization,
	&test_accesslog_injection,
	&test_metrics_exposition,
	&test_openapi_served,
	&test_conditional_get,
	&test_static_files,
	&test_cli_version,
	&test_cli_help_lists_keys,
	&test_sigterm_exit_zero,
	NULL
};

const struct test_group test_groups[] = {
	{ "basics", HARNESS_TIMEOUT, NULL, NULL, harness_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
