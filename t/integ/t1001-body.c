/*
 * t1001-body: request bodies are checked strictly before any handler sees
 * them: the media type (415), the JSON itself (400), the schema (422) and
 * the size (413, answered before the body has been read).
 * The endpoint is POST /api/v1/accounts, the first route with a JSON body.
 */
#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define ENDPOINT	"/api/v1/accounts"

static const char *const server_args[] = {
	"--body-max", "2048", "--json-max-depth", "8", NULL
};

/* Each test's server (a checked fixture). */
static struct server	 srv;

static void
up(void)
{
	harness_start(&srv, server_args);
}

static void
down(void)
{
	harness_server_free(&srv);
}

/* POST 'body' with the given Content-Type line (NULL: curl's default). */
static void
post(struct server *s, const char *ctype, const char *body, size_t len,
    struct http_resp *r)
{
	const char	*h[] = { ctype, NULL };

	harness_http(s, "POST", ENDPOINT, ctype != NULL ? h : NULL, body, len,
	    r);
	ck_assert_msg(r->status != 0, "POST failed: %s", r->error);
}

static void
post_json(struct server *s, const char *body, struct http_resp *r)
{
	post(s, "Content-Type: application/json", body, strlen(body), r);
}

static void	 expect_malformed(struct server *, const char *, size_t);

/* Each of 'bodies' (strings) is malformed. */
static void
all_malformed(const char *const *bodies)
{
	int	 i;

	for (i = 0; bodies[i] != NULL; i++)
		expect_malformed(&srv, bodies[i], strlen(bodies[i]));
}

static void
expect_malformed(struct server *s, const char *body, size_t len)
{
	struct http_resp r;
	json_t		*j;

	post(s, "Content-Type: application/json", body, len, &r);
	ck_assert_msg(r.status == 400, "body %.*s: status %ld, expected 400: %s",
	    (int)(len > 80 ? 80 : len), body, r.status, r.body);
	j = harness_assert_problem(&r, 400, "/problems/malformed", ENDPOINT);
	json_decref(j);
	http_resp_free(&r);
}

/* Does 'errors' hold an item with this field and code? */
static int
has_error(json_t *errors, const char *field, const char *code)
{
	json_t		*e;
	size_t		 i;
	const char	*f, *c;

	json_array_foreach(errors, i, e) {
		f = json_string_value(json_object_get(e, "field"));
		c = json_string_value(json_object_get(e, "code"));
		if (f != NULL && c != NULL && strcmp(f, field) == 0 &&
		    strcmp(c, code) == 0)
			return (1);
	}
	return (0);
}

/* Every error item is {field: JSON pointer, code, message}. */
static json_t *
validation_errors(const struct http_resp *r)
{
	json_t		*j, *errors, *e;
	size_t		 i;
	const char	*f, *c, *m;

	j = harness_assert_problem(r, 422, "/problems/validation", ENDPOINT);
	errors = json_object_get(j, "errors");
	ck_assert_msg(json_is_array(errors) && json_array_size(errors) > 0,
	    "422 without an errors array: %s", r->body);
	json_array_foreach(errors, i, e) {
		f = json_string_value(json_object_get(e, "field"));
		c = json_string_value(json_object_get(e, "code"));
		m = json_string_value(json_object_get(e, "message"));
		ck_assert_msg(f != NULL && f[0] == '/',
		    "error without a JSON pointer field: %s", r->body);
		ck_assert_msg(c != NULL && c[0] != '\0',
		    "error without a code: %s", r->body);
		ck_assert_msg(m != NULL && m[0] != '\0',
		    "error without a message: %s", r->body);
	}
	json_incref(errors);
	json_decref(j);
	return (errors);
}

/* A body of each of these types gets 415 ("Content-Type:": none). */
static void
media_refused(const char *const *types)
{
	struct http_resp r;
	int		 i;

	for (i = 0; types[i] != NULL; i++) {
		post(&srv, types[i], "{}", 2, &r);
		json_decref(harness_assert_problem(&r, 415, NULL, ENDPOINT));
		http_resp_free(&r);
	}
}

START_TEST(test_body_text_plain_415)
{
	static const char *const types[] = { "Content-Type: text/plain",
	    "Content-Type: application/x-www-form-urlencoded",
	    "Content-Type: application/jsonx", NULL };

	media_refused(types);
}
END_TEST

START_TEST(test_body_missing_content_type_415)
{
	/* "Content-Type:" makes curl drop its form default. */
	static const char *const none[] = { "Content-Type:", NULL };

	media_refused(none);
}
END_TEST

START_TEST(test_body_json_charset_accepted)
{
	struct http_resp r;

	post(&srv, "Content-Type: application/json; charset=utf-8", "{}", 2, &r);
	json_decref(validation_errors(&r));
	http_resp_free(&r);
	post(&srv, "Content-Type: application/json;charset=UTF-8", "{}", 2, &r);
	json_decref(validation_errors(&r));
	http_resp_free(&r);
}
END_TEST

START_TEST(test_body_malformed_400)
{
	static const char *const bodies[] = {
		"{\"email\":", "{\"email\" \"x\"}", "{} {}", "[1,]", "nul",
		"{'email':'x'}", "{\"a\":1,}", "", NULL
	};

	all_malformed(bodies);
}
END_TEST

START_TEST(test_body_duplicate_keys_400)
{
	expect_malformed(&srv, "{\"email\":\"a@example.fr\","
	    "\"email\":\"b@example.fr\"}", 46);
	/* Also in a nested object. */
	expect_malformed(&srv, "{\"bogus\":{\"x\":1,\"x\":2}}", 23);
}
END_TEST

START_TEST(test_body_invalid_utf8_400)
{
	static const char *const bodies[] = {
		"{\"email\":\"\xff\xfe@example.fr\"}",	/* not UTF-8 at all */
		"{\"email\":\"\xc0\xaf@example.fr\"}",	/* overlong */
		"{\"email\":\"\xed\xa0\x80@example.fr\"}",	/* surrogate */
		"{\"email\":\"\xc3@example.fr\"}",	/* truncated */
		"{\"email\":\"\\ud800@example.fr\"}",	/* lone surrogate escape */
		NULL
	};

	all_malformed(bodies);
}
END_TEST

START_TEST(test_body_nul_escape_400)
{
	static const char body[] = "{\"email\":\"a\\u0000b@example.fr\"}";
	static const char raw[] = "{\"email\":\"a\0b@example.fr\"}";

	expect_malformed(&srv, body, sizeof(body) - 1);
	/* A raw NUL byte is not JSON either. */
	expect_malformed(&srv, raw, sizeof(raw) - 1);
}
END_TEST

/* 'levels' nested containers: one object, then arrays. */
static char *
nested(int levels)
{
	char	*b, *p;
	int	 i;

	b = p = malloc((size_t)levels * 2 + 32);
	ck_assert_ptr_nonnull(b);
	p += sprintf(p, "{\"email\":");
	for (i = 1; i < levels; i++)
		*p++ = '[';
	*p++ = '1';
	for (i = 1; i < levels; i++)
		*p++ = ']';
	*p++ = '}';
	*p = '\0';
	return (b);
}

START_TEST(test_body_too_deep_400)
{
	struct http_resp r;
	char		*b;

	b = nested(9);
	expect_malformed(&srv, b, strlen(b));
	free(b);
	b = nested(200);
	expect_malformed(&srv, b, strlen(b));
	free(b);
	/* At the limit, the body is JSON and goes on to validation. */
	b = nested(8);
	post_json(&srv, b, &r);
	ck_assert_msg(r.status == 422, "8 levels with --json-max-depth 8: "
	    "status %ld, expected 422: %s", r.status, r.body);
	http_resp_free(&r);
	free(b);
}
END_TEST

START_TEST(test_body_empty_object_422)
{
	struct http_resp r;
	json_t		*errors, *e;
	size_t		 i;

	post_json(&srv, "{}", &r);
	errors = validation_errors(&r);
	ck_assert_msg(has_error(errors, "/email", "required"),
	    "no required error for /email: %s", r.body);
	json_array_foreach(errors, i, e)
		ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
		    "required");
	json_decref(errors);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_body_unknown_field_422)
{
	struct http_resp r;
	json_t		*errors;

	post_json(&srv, "{\"bogus\":1}", &r);
	errors = validation_errors(&r);
	ck_assert_msg(has_error(errors, "/bogus", "unknown"),
	    "no unknown error for /bogus: %s", r.body);
	json_decref(errors);
	http_resp_free(&r);

	/* Not an object at all. */
	post_json(&srv, "[]", &r);
	ck_assert_msg(r.status == 422 || r.status == 400,
	    "a JSON array body: status %ld", r.status);
	http_resp_free(&r);
}
END_TEST

START_TEST(test_body_too_large_early_413)
{
	struct raw_resp	 raw;
	char		 chunk[4096];
	char		*ct;
	int		 fd;

	fd = harness_connect(&srv);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "POST " ENDPOINT " HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 10485760\r\n"
	    "X-Request-Id: big-1\r\n\r\n"), 0);
	memset(chunk, ' ', sizeof(chunk));
	chunk[0] = '{';
	ck_assert_int_eq(harness_send(fd, chunk, sizeof(chunk)), 0);
	/* The answer must come now, with 10 MiB - 4 KiB still unsent. */
	harness_raw_read(fd, 5000, 0, &raw);
	ck_assert_msg(raw.status == 413, "expected 413 before the body was "
	    "sent; got status %d (eof %d, reset %d, timeout %d): %s",
	    raw.status, raw.eof, raw.reset, raw.timed_out, raw.data);
	ct = raw_resp_header(&raw, "Content-Type");
	ck_assert_msg(ct != NULL && strstr(ct, "problem+json") != NULL,
	    "413 Content-Type %s", ct ? ct : "(none)");
	free(ct);
	ct = raw_resp_header(&raw, "X-Request-Id");
	ck_assert_msg(ct != NULL && strcmp(ct, "big-1") == 0,
	    "413 X-Request-Id %s", ct ? ct : "(none)");
	free(ct);
	raw_resp_free(&raw);
	close(fd);

	/* Still healthy. */
	harness_stop_healthy(&srv);
}
END_TEST

START_TEST(test_body_at_limit_accepted)
{
	struct http_resp r;
	char		 body[2049];

	memset(body, ' ', sizeof(body));
	body[0] = '{';
	body[2047] = '}';
	post(&srv, "Content-Type: application/json", body, 2048, &r);
	ck_assert_msg(r.status == 422, "a 2048-byte body with --body-max 2048:"
	    " status %ld: %s", r.status, r.body);
	http_resp_free(&r);
	/* One byte more (trailing space: still valid JSON). */
	post(&srv, "Content-Type: application/json", body, 2049, &r);
	ck_assert_msg(r.status == 413, "a 2049-byte body with --body-max 2048:"
	    " status %ld: %s", r.status, r.body);
	json_decref(harness_assert_problem(&r, 413, NULL, ENDPOINT));
	http_resp_free(&r);
}
END_TEST

START_TEST(test_body_chunked_too_large_413)
{
	struct raw_resp	 raw;
	struct pollfd	 pfd;
	char		 chunk[1024 + 16];
	int		 fd, i;

	fd = harness_connect(&srv);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "POST " ENDPOINT " HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 0);
	/*
	 * 1 KiB chunks, up to 64 KiB, while watching for an early answer;
	 * then the last chunk, in case the server reads to the end first.
	 */
	memcpy(chunk, "400\r\n", 5);
	memset(chunk + 5, ' ', 1024);
	memcpy(chunk + 5 + 1024, "\r\n", 2);
	chunk[5] = '{';
	for (i = 0; i < 64; i++) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, i < 4 ? 0 : 5) > 0)
			break;
		if (harness_send(fd, chunk, 5 + 1024 + 2) == -1)
			break;
		chunk[5] = ' ';
	}
	if (i == 64)
		harness_send_str(fd, "0\r\n\r\n");
	harness_raw_read(fd, 5000, 0, &raw);
	ck_assert_msg(raw.status == 413, "chunked body past the cap: status "
	    "%d after %d KiB (eof %d, reset %d): %s", raw.status, i, raw.eof,
	    raw.reset, raw.data);
	raw_resp_free(&raw);
	close(fd);
	harness_stop_healthy(&srv);
}
END_TEST

#define NPARALLEL	100

START_TEST(test_body_parallel_oversized)
{
	CURLM		*m;
	CURL		*c[NPARALLEL];
	struct curl_slist *h = NULL;
	CURLMsg		*msg;
	char		*url, *body;
	size_t		 len = 64 * 1024;
	long		 status;
	long long	 end;
	int		 i, running, left, n413 = 0, nerr = 0, nother = 0;

	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	memset(body, ' ', len);
	body[0] = '{';
	body[len - 1] = '}';
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	url = harness_printf("http://127.0.0.1:%d" ENDPOINT, srv.port);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (i = 0; i < NPARALLEL; i++) {
		c[i] = curl_easy_init();
		curl_easy_setopt(c[i], CURLOPT_URL, url);
		curl_easy_setopt(c[i], CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c[i], CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c[i], CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(c[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c[i], CURLOPT_TIMEOUT_MS, 20000L);
		curl_easy_setopt(c[i], CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(c[i], CURLOPT_WRITEFUNCTION,
		    harness_curl_discard);
		curl_multi_add_handle(m, c[i]);
	}
	end = harness_now_ms() + 30000;
	do {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running && harness_now_ms() < end);
	ck_assert_msg(running == 0, "%d uploads still running after 30 s",
	    running);
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		status = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &status);
		if (status == 413)
			n413++;
		else if (status == 0)
			nerr++;
		else
			nother++;
	}
	for (i = 0; i < NPARALLEL; i++) {
		curl_multi_remove_handle(m, c[i]);
		curl_easy_cleanup(c[i]);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	free(url);
	free(body);

	ck_assert_msg(nother == 0, "%d uploads got a status other than 413",
	    nother);
	ck_assert_msg(n413 > NPARALLEL / 2, "only %d of %d uploads got 413 "
	    "(%d transfer errors)", n413, NPARALLEL, nerr);
	harness_stop_healthy(&srv);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_body_text_plain_415,
	&test_body_missing_content_type_415,
	&test_body_json_charset_accepted,
	&test_body_malformed_400,
	&test_body_duplicate_keys_400,
	&test_body_invalid_utf8_400,
	&test_body_nul_escape_400,
	&test_body_too_deep_400,
	&test_body_empty_object_422,
	&test_body_unknown_field_422,
	&test_body_too_large_early_413,
	&test_body_at_limit_accepted,
	&test_body_chunked_too_large_413,
	&test_body_parallel_oversized,
	NULL
};

const struct test_group test_groups[] = {
	{ "body", HARNESS_TIMEOUT, up, down, harness_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
