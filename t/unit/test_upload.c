/*
 * test_upload.c: the http layer's uploads (route.h .body_types and
 * .body_max, server.c), on a server run in this process with routes of
 * its own: the files module has no route, and the modules that take
 * uploads come later, so the upload path is tested here, alone, without a
 * database.
 *  - the body reaches the handler as the bytes sent (NUL bytes and all);
 *  - its Content-Type must be one of the route's types (415);
 *  - past the route's cap (its .body_max, or upload_max), 413 before the
 *    body is read when Content-Length says so: the client sends the head
 *    of an 11 MB upload and nothing else, and reads the 413; without
 *    Content-Length, 413 as soon as the cap is passed, while the client
 *    is still sending;
 *  - the uploads being received hold at most upload_memory together: one
 *    more is 503 uploads_busy at once, the others finish, and the memory
 *    comes back.
 */
#include <sys/socket.h>

#include <check.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/digest.h"
#include "http/metrics.h"
#include "http/reply.h"
#include "http/route.h"
#include "http/server.h"
#include "../integ/fileslib.h"
#include "unit.h"

#define KIB	1024

/* What the handler saw: the body's length, its SHA-256, its type. */
static int
echo(struct request *req)
{
	char	 hex[SHA256_HEX_LEN];

	sha256_hex(req->body.data, req->body.len, hex);
	reply_json(req, 200, json_pack("{s:I, s:s, s:s}", "length",
	    (json_int_t)req->body.len, "sha256", hex, "type",
	    request_header(req, "Content-Type")));
	return (0);
}

static const struct route routes[] = {
	/* A route's own cap, below upload_max. */
	{ .method = "POST", .pattern = "/small", .handler = echo,
	  .perm = PERM_PUBLIC, .flags = ROUTE_BODY,
	  .body_types = "application/pdf image/jpeg image/png",
	  .body_max = 64 * KIB },
	/* upload_max's. */
	{ .method = "POST", .pattern = "/big", .handler = echo,
	  .perm = PERM_PUBLIC, .flags = ROUTE_BODY,
	  .body_types = "application/octet-stream image/png" },
	/* Asks for more than upload_max: never more than upload_max. */
	{ .method = "POST", .pattern = "/greedy", .handler = echo,
	  .perm = PERM_PUBLIC, .flags = ROUTE_BODY,
	  .body_types = "application/octet-stream image/png",
	  .body_max = 1024 * 1024 * KIB },
};

static struct server	 srv;

static void
up(size_t upload_max, size_t upload_memory)
{
	fl_listen(routes, sizeof(routes) / sizeof(routes[0]), upload_max,
	    upload_memory, &srv);
}

static void
down(void)
{
	server_stop(5);
}

/* 'n' bytes that are not text: every byte value, NUL included. */
static char *
bytes(size_t n)
{
	char	*p = malloc(n);
	size_t	 i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		p[i] = (char)(i * 7 + i / 251);
	return (p);
}

static void
post(const char *path, const char *ctype, const char *body, size_t len,
    struct http_resp *r)
{
	const char	*h[] = { ctype, NULL };

	harness_http(&srv, "POST", path, h, body, len, r);
	ck_assert_msg(r->status != 0, "POST %s: %s", path, r->error);
}

static const char *
problem_code(const struct http_resp *r)
{
	static char	 code[64];
	json_t		*j = harness_json(r);

	snprintf(code, sizeof(code), "%s", j != NULL &&
	    json_string_value(json_object_get(j, "code")) != NULL ?
	    json_string_value(json_object_get(j, "code")) : "(none)");
	json_decref(j);
	return (code);
}

START_TEST(test_upload_bytes_kept)
{
	struct http_resp r;
	json_t		*j;
	char		*body = bytes(64 * KIB), hex[SHA256_HEX_LEN];

	up(1024 * KIB, 8 * 1024 * KIB);
	sha256_hex(body, 64 * KIB, hex);
	/* At the route's cap exactly; a parameter after the type is fine. */
	post("/small", "Content-Type: image/PNG; name=scan", body, 64 * KIB,
	    &r);
	ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
	j = harness_json(&r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "length")),
	    64 * KIB);
	ck_assert_str_eq(json_string_value(json_object_get(j, "sha256")), hex);
	json_decref(j);
	http_resp_free(&r);
	/* An empty upload is the handler's to refuse. */
	post("/small", "Content-Type: application/pdf", "", 0, &r);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	free(body);
	down();
}
END_TEST

START_TEST(test_upload_types_415)
{
	static const char *const bad[] = { "Content-Type: text/plain",
	    "Content-Type: application/json", "Content-Type: image/pngx",
	    "Content-Type: image/png x", "Content-Type: image",
	    "Content-Type: application/pdf,image/png", "Content-Type:", NULL };
	struct http_resp r;
	int		 i;

	up(1024 * KIB, 8 * 1024 * KIB);
	for (i = 0; bad[i] != NULL; i++) {
		post("/small", bad[i], "%PDF-1.4", 8, &r);
		ck_assert_msg(r.status == 415, "%s: status %ld", bad[i],
		    r.status);
		ck_assert_str_eq(problem_code(&r), "media_type");
		ck_assert_msg(strstr(r.body, "application/pdf image/jpeg "
		    "image/png") != NULL, "the 415 names the types: %s",
		    r.body);
		http_resp_free(&r);
	}
	down();
}
END_TEST

/* The head of an upload of 'length' bytes, and the answer, body unsent. */
static void
head_only(const char *path, long long length, int *status, char **answer)
{
	struct raw_resp	 raw;
	char		*head;
	int		 fd;

	fd = harness_connect_port(srv.port);
	ck_assert_int_ne(fd, -1);
	head = harness_printf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/octet-stream\r\nContent-Length: %lld"
	    "\r\n\r\n", path, length);
	ck_assert_int_eq(harness_send_str(fd, head), 0);
	free(head);
	harness_raw_read(fd, 3000, 0, &raw);
	*status = raw.status;
	*answer = strdup(raw.data);
	raw_resp_free(&raw);
	close(fd);
}

START_TEST(test_upload_413_before_the_body)
{
	char	*answer;
	int	 status;

	up(10 * 1024 * KIB, 64 * 1024 * KIB);
	/* 11 MB announced, not one byte sent: the answer comes all the same. */
	head_only("/big", 11LL * 1000 * 1000, &status, &answer);
	ck_assert_msg(status == 413, "status %d: %s", status, answer);
	ck_assert_msg(strstr(answer, "body_too_large") != NULL &&
	    strstr(answer, "10485760") != NULL, "%s", answer);
	free(answer);
	/* A route asking for more gets upload_max. */
	head_only("/greedy", 10LL * 1024 * KIB + 1, &status, &answer);
	ck_assert_msg(status == 413, "status %d: %s", status, answer);
	free(answer);
	/* Its own cap, below upload_max. */
	head_only("/small", 64 * KIB + 1, &status, &answer);
	ck_assert_msg(status == 413, "status %d: %s", status, answer);
	ck_assert_msg(strstr(answer, "65536") != NULL, "%s", answer);
	free(answer);
	down();
}
END_TEST

/*
 * Chunks of 8 KiB to 'path' without Content-Length, up to 'max' bytes,
 * watching for an answer after each: the bytes sent when it came (or
 * 'max' + 1 when it did not come), and the answer.
 */
static size_t
chunked_until_answer(int fd, const char *path, size_t max, struct raw_resp *raw)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		 chunk[8 * KIB + 16], *head;
	size_t		 sent = 0;

	head = harness_printf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n",
	    path);
	ck_assert_int_eq(harness_send_str(fd, head), 0);
	free(head);
	memcpy(chunk, "2000\r\n", 6);
	memset(chunk + 6, 'x', 8 * KIB);
	memcpy(chunk + 6 + 8 * KIB, "\r\n", 2);
	while (sent <= max) {
		if (poll(&pfd, 1, 20) > 0)
			break;
		if (harness_send(fd, chunk, 6 + 8 * KIB + 2) == -1)
			break;
		sent += 8 * KIB;
	}
	harness_raw_read(fd, 3000, 0, raw);
	return (sent);
}

START_TEST(test_upload_chunked_past_the_cap)
{
	struct raw_resp	 raw;
	size_t		 sent;
	int		 fd;

	up(1024 * KIB, 8 * 1024 * KIB);
	fd = harness_connect_port(srv.port);
	sent = chunked_until_answer(fd, "/small", 1024 * KIB, &raw);
	ck_assert_msg(raw.status == 413, "status %d after %zu bytes (eof %d, "
	    "reset %d): %s", raw.status, sent, raw.eof, raw.reset, raw.data);
	/* Answered within a few chunks of the 64 KiB cap, not at the end. */
	ck_assert_msg(sent <= 64 * KIB + 8 * 8 * KIB, "413 after %zu bytes",
	    sent);
	ck_assert_msg(strstr(raw.data, "Connection: close") != NULL,
	    "%s", raw.data);
	raw_resp_free(&raw);
	close(fd);
	down();
}
END_TEST

/* The gauge of upload memory, from what /metrics would say. */
static long
upload_memory_held(void)
{
	struct buf	 b;
	const char	*p;
	long		 v = -1;

	buf_init(&b);
	metrics_render(&b);
	if ((p = strstr(b.data, "\nguichet_upload_memory_bytes ")) != NULL)
		v = strtol(p + 29, NULL, 10);
	buf_cleanup(&b);
	return (v);
}

START_TEST(test_upload_memory_shared)
{
	struct raw_resp	 raw;
	struct http_resp r;
	char		 chunk[64 * KIB], *head;
	int		 a, b;

	/* Room for one upload of 200 KiB and a bit. */
	up(200 * KIB, 256 * KIB);
	/* A holds 192 KiB, announced and sent but for its last byte. */
	a = harness_connect_port(srv.port);
	head = harness_printf("POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/octet-stream\r\nContent-Length: %d"
	    "\r\n\r\n", 192 * KIB + 1);
	ck_assert_int_eq(harness_send_str(a, head), 0);
	free(head);
	memset(chunk, 'a', sizeof(chunk));
	ck_assert_int_eq(harness_send(a, chunk, sizeof(chunk)), 0);
	ck_assert_int_eq(harness_send(a, chunk, sizeof(chunk)), 0);
	ck_assert_int_eq(harness_send(a, chunk, sizeof(chunk)), 0);
	harness_sleep_ms(200);
	ck_assert_int_ge(upload_memory_held(), 192 * KIB);
	/* B needs 64 KiB more than is left: 503, at once. */
	b = harness_connect_port(srv.port);
	chunked_until_answer(b, "/big", 512 * KIB, &raw);
	ck_assert_msg(raw.status == 503, "status %d: %s", raw.status,
	    raw.data);
	ck_assert_msg(strstr(raw.data, "uploads_busy") != NULL &&
	    strstr(raw.data, "Retry-After: 1") != NULL, "%s", raw.data);
	raw_resp_free(&raw);
	close(b);
	/* A ends well; then the memory is back, and B's retry fits. */
	ck_assert_int_eq(harness_send(a, "z", 1), 0);
	harness_raw_read(a, 3000, 0, &raw);
	ck_assert_msg(raw.status == 200, "status %d: %s", raw.status,
	    raw.data);
	ck_assert_msg(strstr(raw.data, "\"length\":196609") != NULL, "%s",
	    raw.data);
	raw_resp_free(&raw);
	close(a);
	harness_sleep_ms(100);
	ck_assert_int_eq(upload_memory_held(), 0);
	post("/big", "Content-Type: application/octet-stream", chunk,
	    sizeof(chunk), &r);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	down();
}
END_TEST

static const TTest *const *const tests[] = {
	&test_upload_bytes_kept,
	&test_upload_types_415,
	&test_upload_413_before_the_body,
	&test_upload_chunked_past_the_cap,
	&test_upload_memory_shared,
	NULL
};

const struct test_group test_groups[] = {
	{ "upload", 30, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
