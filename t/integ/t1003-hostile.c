/*
 * t1003-hostile: what an attacker tried against the HTTP layer,
 * each attack reproduced as it was sent: bad query values, transfer
 * codings and Content-Length headers that disagree, NUL bytes inside
 * lines, requests that fill the connection's memory, a 422 amplified by
 * 80,000 unknown fields, one address, several addresses and one account
 * from several addresses flooding the slow lane, and slow clients
 * holding connections open one header line at a time.
 * Raw sockets where curl would not send the request.
 */
#include <sys/socket.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"

#define PASSWORD	"Lanterne-Rouge-Col-2026"


static void
start(struct server *s, const char *const *extra)
{
	memset(s, 0, sizeof(*s));
	ck_assert_msg(harness_server_start(s, harness_db(), extra) == 0,
	    "guichetd did not start");
}

static void
stop(struct server *s)
{
	ck_assert(harness_server_alive(s));
	ck_assert_int_eq(harness_server_stop(s), 0);
	harness_server_free(s);
}

/* Send 'len' bytes on a new connection and read the answer. */
static void
raw_exchange(const struct server *s, const char *req, size_t len, int ms,
    struct raw_resp *raw)
{
	int	 fd;

	fd = harness_connect(s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send(fd, req, len), 0);
	harness_raw_read(fd, ms, 0, raw);
	close(fd);
}

/*
 * A raw answer is a problem document of 'status' (and 'type' when not
 * NULL), whose request_id is the X-Request-Id header.
 */
static void
raw_problem(const struct raw_resp *raw, int status, const char *type)
{
	json_t		*j;
	const char	*body;
	char		*ct, *rid;

	ck_assert_msg(raw->status == status, "status %d, expected %d (eof %d, "
	    "reset %d, timeout %d): %.300s", raw->status, status, raw->eof,
	    raw->reset, raw->timed_out, raw->data);
	ct = raw_resp_header(raw, "Content-Type");
	ck_assert_msg(ct != NULL && strcmp(ct, "application/problem+json") ==
	    0, "%d with Content-Type %s", status, ct != NULL ? ct : "(none)");
	free(ct);
	body = strstr(raw->data, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	j = json_loads(body + 4, 0, NULL);
	ck_assert_msg(j != NULL, "%d: the body is not JSON: %s", status, body);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "status")),
	    status);
	if (type != NULL)
		ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
		    type);
	rid = raw_resp_header(raw, "X-Request-Id");
	ck_assert_msg(rid != NULL && json_string_value(json_object_get(j,
	    "request_id")) != NULL && strcmp(rid, json_string_value(
	    json_object_get(j, "request_id"))) == 0, "request_id %s", body);
	free(rid);
	json_decref(j);
}

/* Send 'req' on a new connection: its answer is this problem. */
static void
expect_problem(const struct server *s, const char *req, int status,
    const char *type)
{
	struct raw_resp	 raw;

	raw_exchange(s, req, strlen(req), 8000, &raw);
	raw_problem(&raw, status, type);
	raw_resp_free(&raw);
}

/* Register a resident and sign in: the access token (caller frees). */
static char *
sign_up(const struct server *s, const char *email)
{
	const char	*h[] = { "Content-Type: application/json", NULL };
	struct http_resp r;
	json_t		*j;
	char		*body, *tok;

	body = harness_printf("{\"email\":\"%s\",\"password\":\"" PASSWORD
	    "\",\"display_name\":\"Camille Hostile\",\"profile_kind\":"
	    "\"permanent_resident\"}", email);
	harness_http(s, "POST", "/api/v1/accounts", h, body, strlen(body), &r);
	ck_assert_msg(r.status == 201, "registration: %ld %s", r.status,
	    r.body);
	http_resp_free(&r);
	free(body);
	body = harness_printf("{\"grant_type\":\"password\",\"username\":"
	    "\"%s\",\"password\":\"" PASSWORD "\"}", email);
	harness_http(s, "POST", "/api/v1/auth/token", h, body, strlen(body),
	    &r);
	ck_assert_msg(r.status == 200, "sign-in: %ld %s", r.status, r.body);
	j = harness_json(&r);
	tok = strdup(json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	http_resp_free(&r);
	free(body);
	return (tok);
}

/*
 * Query values that do not decode to text were ignored (limit=%00 read as
 * no limit at all); each is now a 400, on every route.
 */
START_TEST(test_hostile_query_not_text)
{
	static const char *const bad[] = {
		"limit=%00", "cursor=%00", "limit=1%00", "limit", "limit=%zz",
		"limit=%4", "x=%C3", "x=%C0%AF", "x=%ED%A0%80", "x=%F4%90%80%80",
		"x=%FF", "%00=1", "limit=5&cursor=ab%00cd",
	};
	struct server	 s;
	struct http_resp r;
	char		*tok, *auth, *path;
	const char	*h[2];
	size_t		 i;

	start(&s, NULL);
	tok = sign_up(&s, "query@hostile.test");
	auth = harness_printf("Authorization: Bearer %s", tok);
	h[0] = auth;
	h[1] = NULL;
	harness_http(&s, "GET", "/api/v1/me/access-log?limit=5", h, NULL, 0,
	    &r);
	ck_assert_msg(r.status == 200, "a good limit: %ld %s", r.status,
	    r.body);
	http_resp_free(&r);
	harness_http(&s, "GET", "/api/v1/me/access-log?x=%C3%A9t%C3%A9", h,
	    NULL, 0, &r);
	ck_assert_msg(r.status == 200, "UTF-8 text: %ld %s", r.status, r.body);
	http_resp_free(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = harness_printf("/api/v1/me/access-log?%s", bad[i]);
		harness_http(&s, "GET", path, h, NULL, 0, &r);
		ck_assert_msg(r.status == 400, "?%s: %ld %s", bad[i], r.status,
		    r.body);
		json_decref(harness_assert_problem(&r, 400,
		    strcmp(bad[i], "limit") == 0 ? NULL :
		    "/problems/bad-request", "/api/v1/me/access-log"));
		http_resp_free(&r);
		free(path);
	}
	/* Anonymous callers too, before anything else is decided. */
	harness_http(&s, "GET", "/healthz?a=%00", NULL, NULL, 0, &r);
	json_decref(harness_assert_problem(&r, 400, "/problems/bad-request",
	    "/healthz"));
	http_resp_free(&r);
	free(auth);
	free(tok);
	stop(&s);
}
END_TEST

/*
 * A transfer coding other than chunked left the body unframed: the
 * request waited for the connection timeout.  Now 501, at once.
 */
START_TEST(test_hostile_transfer_coding_501)
{
	static const char *const codings[] = {
		"gzip, chunked", "gzip", "chunked, chunked", "identity",
		"chunked ",
	};
	struct server	 s;
	const char	*extra[] = { "--connection-timeout", "20", NULL };
	char		*req;
	long long	 t0;
	size_t		 i;

	start(&s, extra);
	for (i = 0; i < sizeof(codings) / sizeof(codings[0]); i++) {
		req = harness_printf("POST /api/v1/accounts HTTP/1.1\r\n"
		    "Host: x\r\nContent-Type: application/json\r\n"
		    "Transfer-Encoding: %s\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		    codings[i]);
		t0 = harness_now_ms();
		expect_problem(&s, req, 501, "/problems/not-implemented");
		ck_assert_msg(harness_now_ms() - t0 < 5000, "'%s': answered "
		    "after %lld ms", codings[i], harness_now_ms() - t0);
		free(req);
	}
	/* Plain chunked (any case) is read as before. */
	expect_problem(&s, "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nTransfer-Encoding: Chunked\r\n"
	    "\r\n2\r\n{}\r\n0\r\n\r\n", 422, "/problems/validation");
	/* Chunked and a Content-Length: a smuggling pattern, refused. */
	expect_problem(&s, "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 7\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400,
	    "/problems/malformed");
	stop(&s);
}
END_TEST

/* Two Content-Length headers that disagree were read as 415/422: 400. */
START_TEST(test_hostile_content_length_conflict)
{
	static const char *const routes[] = {
		"/api/v1/accounts", "/healthz", "/nowhere",
	};
	struct server	 s;
	char		*req;
	size_t		 i;

	start(&s, NULL);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		req = harness_printf("POST %s HTTP/1.1\r\nHost: x\r\n"
		    "Content-Type: application/json\r\nContent-Length: 2\r\n"
		    "Content-Length: 3\r\n\r\n{}", routes[i]);
		expect_problem(&s, req, 400, "/problems/malformed");
		free(req);
	}
	/* The same length twice says nothing new (RFC 9110, 8.6). */
	expect_problem(&s, "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n"
	    "Content-Length: 2\r\n\r\n{}", 422, "/problems/validation");
	stop(&s);
}
END_TEST

/*
 * A NUL byte inside a line hid the rest of it (the request was read as
 * "X-Foo: a"): every place it can go is refused, and the connection of a
 * request without a body stays usable.
 */
START_TEST(test_hostile_nul_in_line)
{
	static const struct {
		const char	*req;
		size_t		 len;
	} bad[] = {
#define R(s)	{ s, sizeof(s) - 1 }
		R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Foo: a\0b\r\n\r\n"),
		R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Foo: \0b\r\n\r\n"),
		R("GET /healthz HTTP/1.1\r\nHost: x\0y\r\n\r\n"),
		R("GET /healthz HTTP/1.1\r\nX-Foo: a\0 \r\nHost: x\r\n\r\n"),
		R("GET /healthz\0/x HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GET /healthz?a=1\0&b=2 HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GET /healthz?a\0=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
		R("GE\0T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
		/* An obsolete folded line (RFC 9112, 5.2): refused too. */
		R("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Foo: a\r\n b\r\n\r\n"),
#undef R
	};
	static const char ok[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "X-Foo:  a b\t\r\nX-Empty:\r\n\r\n";
	struct server	 s;
	struct raw_resp	 raw;
	size_t		 i;
	int		 fd;

	start(&s, NULL);
	raw_exchange(&s, ok, sizeof(ok) - 1, 5000, &raw);
	ck_assert_msg(raw.status == 200, "a clean request: %d %s", raw.status,
	    raw.data);
	raw_resp_free(&raw);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = harness_connect(&s);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(harness_send(fd, bad[i].req, bad[i].len), 0);
		harness_raw_read(fd, 5000, 0, &raw);
		if (raw.status != 400)
			ck_abort_msg("case %zu: status %d: %.200s", i,
			    raw.status, raw.data);
		raw_problem(&raw, 400, NULL);
		raw_resp_free(&raw);
		/* Answered as a 400, not as the end of the connection. */
		ck_assert_int_eq(harness_send(fd, ok, sizeof(ok) - 1), 0);
		harness_raw_read(fd, 5000, 0, &raw);
		ck_assert_msg(raw.status == 200, "case %zu: the next request "
		    "on the connection: %d", i, raw.status);
		raw_resp_free(&raw);
		close(fd);
	}
	stop(&s);
}
END_TEST

/* One request whose line ('url') or one header ('hdr') has 'n' bytes. */
static char *
sized_request(int url, size_t n, size_t *len)
{
	char	*pad, *req;

	pad = malloc(n + 1);
	memset(pad, 'a', n);
	pad[n] = '\0';
	if (url)
		req = harness_printf("GET /healthz/%s HTTP/1.1\r\nHost: x\r\n"
		    "\r\n", pad);
	else
		req = harness_printf("GET /healthz HTTP/1.1\r\nHost: x\r\n"
		    "X-Big: %s\r\n\r\n", pad);
	free(pad);
	*len = strlen(req);
	return (req);
}

/*
 * Requests that nearly fill the connection's memory (16 KiB by default)
 * were read whole, then libmicrohttpd found no room for an answer and
 * closed the connection without a status.  Every size now gets one: 414
 * for the request line, 431 for the header fields, as a problem document
 * up to where libmicrohttpd answers by itself.
 */
START_TEST(test_hostile_head_sizes)
{
	struct server	 s;
	struct raw_resp	 raw;
	size_t		 n, len;
	char		*req;
	int		 url;

	start(&s, NULL);
	for (url = 0; url <= 1; url++) {
		/* The cases: 16 KB in the line or in one header. */
		req = sized_request(url, 16 * 1024, &len);
		raw_exchange(&s, req, len, 5000, &raw);
		raw_problem(&raw, url ? 414 : 431, url ?
		    "/problems/uri-too-long" :
		    "/problems/header-fields-too-large");
		/* The cap, in the caller's language (fr here), and the code. */
		ck_assert_ptr_nonnull(strstr(raw.data, "16384 octets"));
		ck_assert_ptr_nonnull(strstr(raw.data, url ?
		    "\"code\":\"uri_too_long\"" :
		    "\"code\":\"header_fields_too_large\""));
		raw_resp_free(&raw);
		free(req);
		for (n = 15 * 1024; n < 20 * 1024; n += 53) {
			req = sized_request(url, n, &len);
			/*
			 * Past connection_memory_limit + 2 KiB, libmicrohttpd
			 * answers itself, in HTML, without our headers
			 * (guichetd(8)): a status is all this test asks.
			 */
			if (n > 17 * 1024)
				harness_unchecked("libmicrohttpd's own 414/431 "
				    "past connection_memory_limit + 2 KiB");
			raw_exchange(&s, req, len, 5000, &raw);
			ck_assert_msg(raw.status == (url ? 404 : 200) ||
			    raw.status == 414 || raw.status == 431, "%s of %zu "
			    "bytes: status %d "
			    "(eof %d, reset %d, timeout %d)", url ? "a line" :
			    "a header", n, raw.status, raw.eof, raw.reset,
			    raw.timed_out);
			ck_assert_msg(raw.status > 404 || len <= 16384,
			    "%zu bytes accepted", len);
			raw_resp_free(&raw);
			free(req);
		}
	}
	stop(&s);
}
END_TEST

struct flood {
	const struct server	*s;
	const char		*body;
	size_t			 len;
	int			 n;
	long			 status[8];
	size_t			 size[8];
};

static void *
flood_run(void *arg)
{
	struct flood	*f = arg;
	const char	*h[] = { "Content-Type: application/json", NULL };
	struct http_resp r;
	int		 i;

	for (i = 0; i < f->n; i++) {
		harness_http(f->s, "POST", "/api/v1/accounts", h, f->body,
		    f->len, &r);
		f->status[i] = r.status;
		f->size[i] = r.body_len;
		http_resp_free(&r);
	}
	return (NULL);
}

static long
rss_kib(pid_t pid)
{
	char	*path, *st, *p;
	long	 kib = -1;

	path = harness_printf("/proc/%d/status", (int)pid);
	st = harness_read_file(path, NULL);
	if (st != NULL && (p = strstr(st, "VmRSS:")) != NULL)
		kib = strtol(p + 6, NULL, 10);
	free(st);
	free(path);
	return (kib);
}

/*
 * 80,000 unknown fields (730 KB) made a 422 of 4.9 MB, and repeated,
 * hundreds of MB of resident memory.  The answer now holds 50 errors and
 * the count of the rest; memory stays flat under repetition.
 */
START_TEST(test_hostile_validation_capped)
{
	struct server	 s;
	struct http_resp r;
	struct flood	 f[8];
	pthread_t	 t[8];
	const char	*h[] = { "Content-Type: application/json", NULL };
	char		*body, *p;
	json_t		*j;
	long		 before, after;
	int		 i, k;

	start(&s, NULL);
	body = malloc(80000 * 10 + 3);
	p = body;
	*p++ = '{';
	for (i = 0; i < 80000; i++)
		p += sprintf(p, "%s\"%05d\":1", i > 0 ? "," : "", i);
	*p++ = '}';
	*p = '\0';
	ck_assert_uint_ge(strlen(body), 700 * 1000);
	harness_http(&s, "POST", "/api/v1/accounts", h, body, strlen(body),
	    &r);
	j = harness_assert_problem(&r, 422, "/problems/validation",
	    "/api/v1/accounts");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "errors")), 50);
	/* 80,000 unknown and 4 required fields missing. */
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "errors_omitted")), 80004 - 50);
	/* The count of them all, in the caller's language (fr by default). */
	ck_assert_str_eq(json_string_value(json_object_get(j, "detail")),
	    "champs invalides : 80004");
	ck_assert_str_eq(json_string_value(json_object_get(j, "code")),
	    "validation");
	ck_assert_uint_lt(r.body_len, 8192);
	json_decref(j);
	http_resp_free(&r);
	/* A few errors: all listed, nothing omitted. */
	harness_http(&s, "POST", "/api/v1/accounts", h, "{\"a\":1}", 7, &r);
	j = harness_assert_problem(&r, 422, NULL, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "errors")), 5);
	ck_assert_ptr_null(json_object_get(j, "errors_omitted"));
	json_decref(j);
	http_resp_free(&r);

	before = rss_kib(s.pid);
	for (k = 0; k < 8; k++) {
		f[k].s = &s;
		f[k].body = body;
		f[k].len = strlen(body);
		f[k].n = 4;
		pthread_create(&t[k], NULL, flood_run, &f[k]);
	}
	for (k = 0; k < 8; k++) {
		pthread_join(t[k], NULL);
		for (i = 0; i < f[k].n; i++)
			ck_assert_msg(f[k].status[i] == 422 &&
			    f[k].size[i] < 8192, "status %ld, %zu bytes",
			    f[k].status[i], f[k].size[i]);
	}
	after = rss_kib(s.pid);
	printf("t1003: resident memory %ld KiB before 32 bodies of 80,000 "
	    "unknown fields (8 at a time), %ld KiB after\n", before, after);
#ifndef __SANITIZE_ADDRESS__
	/* AddressSanitizer keeps freed memory in quarantine: no bound then. */
	ck_assert_msg(after - before < 48 * 1024, "resident memory grew from "
	    "%ld to %ld KiB", before, after);
#endif
	free(body);
	stop(&s);
}
END_TEST

/* Many raw connections read at once: who answered what, in which order. */
struct peer {
	int	 fd;
	char	 who;		/* 'A', 'B' */
	char	 buf[8192];
	size_t	 len;
	int	 status;	/* 0 until complete; -1 closed without one */
	int	 order;		/* rank of the answer */
};

/* 1 when p->buf holds a whole response (the body by Content-Length). */
static int
peer_complete(struct peer *p)
{
	const char	*end, *cl;

	p->buf[p->len] = '\0';
	if ((end = strstr(p->buf, "\r\n\r\n")) == NULL ||
	    (cl = strcasestr(p->buf, "\r\nContent-Length:")) == NULL ||
	    cl > end)
		return (0);
	return (p->len - (size_t)(end + 4 - p->buf) >=
	    strtoul(cl + 17, NULL, 10));
}

/*
 * Read from every open peer until each has answered, 'until' (the
 * number of answers) is reached, or 'ms' passed.  *rank numbers the
 * answers in the order they came.
 */
static void
peers_read(struct peer *ps, int n, int until, int ms, int *rank)
{
	struct pollfd	 pfd[64];
	int		 map[64], i, k, done;
	long long	 end = harness_now_ms() + ms;
	ssize_t		 r;

	for (;;) {
		for (i = 0, k = 0, done = 0; i < n; i++) {
			if (ps[i].status != 0) {
				done++;
				continue;
			}
			pfd[k].fd = ps[i].fd;
			pfd[k].events = POLLIN;
			map[k++] = i;
		}
		if (k == 0 || done >= until || harness_now_ms() >= end)
			return;
		if (poll(pfd, (nfds_t)k, 50) <= 0)
			continue;
		for (i = 0; i < k; i++) {
			struct peer	*p = &ps[map[i]];

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 -
			    p->len);
			if (r > 0)
				p->len += (size_t)r;
			if (r > 0 && !peer_complete(p))
				continue;
			p->buf[p->len] = '\0';
			if (sscanf(p->buf, "HTTP/1.1 %d", &p->status) != 1)
				p->status = -1;
			p->order = (*rank)++;
		}
	}
}

static int
peer_open(const struct server *s, struct peer *p, char who,
    const char *req)
{
	memset(p, 0, sizeof(*p));
	p->who = who;
	if ((p->fd = harness_connect(s)) == -1)
		return (-1);
	return (harness_send_str(p->fd, req));
}

/* A small slow lane: one worker, 16 waiting, 4 per address. */
static const char *const small_lane[] = { "--trusted-proxy", "127.0.0.1",
    "--slow-threads", "1", "--slow-queue", "16",
    "--slow-queue-per-address", "4", NULL };

/* A raw sign-in as 'email' from 'xff' (X-Forwarded-For). */
static char *
signin_request(const char *xff, const char *email)
{
	char	*body, *req;

	body = harness_printf("{\"grant_type\":\"password\",\"username\":"
	    "\"%s\",\"password\":\"" PASSWORD "\"}", email);
	req = harness_printf("POST /api/v1/auth/token HTTP/1.1\r\nHost: x"
	    "\r\nContent-Type: application/json\r\nX-Forwarded-For: %s\r\n"
	    "Content-Length: %zu\r\n\r\n%s", xff, strlen(body), body);
	free(body);
	return (req);
}

/*
 * One address with 40 connections doing valid sign-ins filled the slow
 * lane: everyone else got 503.  Now that address holds its share (4
 * here) and is told 429 beyond it, while a sign-in from another address
 * waits for about one request of the flood, not for the flood.
 */
START_TEST(test_hostile_slow_lane_fair)
{
	struct server	 s;
	struct peer	 ps[41], *b;
	char		*body, *req_a, *req_b, *tok;
	int		 i, rank = 0, a_ok = 0, a_429 = 0, a_before_b = 0;

	start(&s, small_lane);
	tok = sign_up(&s, "fair@hostile.test");
	free(tok);
	body = harness_printf("{\"grant_type\":\"password\",\"username\":"
	    "\"fair@hostile.test\",\"password\":\"" PASSWORD "\"}");
	req_a = harness_printf("POST /api/v1/auth/token HTTP/1.1\r\nHost: x"
	    "\r\nContent-Type: application/json\r\nX-Forwarded-For: "
	    "192.0.2.1, 198.51.100.7\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	/* Another account: the flood's holds its own share of the lane. */
	free(sign_up(&s, "fair-b@hostile.test"));
	req_b = signin_request("203.0.113.9", "fair-b@hostile.test");
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(peer_open(&s, &ps[i], 'A', req_a), 0);
	/* The refusals come at once: the flood is in, its share queued. */
	peers_read(ps, 40, 36, 20000, &rank);
	for (i = 0; i < 40; i++)
		if (ps[i].status == 429) {
			a_429++;
			ck_assert_ptr_nonnull(strstr(ps[i].buf,
			    "\r\nRetry-After: "));
			ck_assert_ptr_nonnull(strstr(ps[i].buf,
			    "application/problem+json"));
		}
	ck_assert_msg(a_429 >= 36 - 2, "only %d of 40 refused with 429",
	    a_429);
	b = &ps[40];
	ck_assert_int_eq(peer_open(&s, b, 'B', req_b), 0);
	peers_read(ps, 41, 41, 30000, &rank);
	for (i = 0; i < 40; i++) {
		ck_assert_msg(ps[i].status == 200 || ps[i].status == 429,
		    "a request of the flood got %d: %.200s", ps[i].status,
		    ps[i].buf);
		if (ps[i].status == 200) {
			a_ok++;
			if (ps[i].order < b->order)
				a_before_b++;
		}
	}
	ck_assert_msg(b->status == 200, "the other address got %d: %.300s",
	    b->status, b->buf);
	printf("t1003: flood of 40 sign-ins from one address: %d served, %d "
	    "refused (429); the other address served after %d of them\n",
	    a_ok, 40 - a_ok, a_before_b);
	ck_assert_msg(a_ok <= 4 + 2, "the flooding address had %d served",
	    a_ok);
	/* Its share waits behind at most one round: the one running, one more. */
	ck_assert_msg(a_ok - a_before_b >= 1 && a_before_b <= 3, "the other "
	    "address waited for %d of the flood's %d", a_before_b, a_ok);
	ck_assert_int_ge(harness_metric(&s, "guichet_slow_lane_requests_total"
	    "{result=\"refused_share\"}"), 34);
	ck_assert_int_eq(harness_metric(&s, "guichet_slow_lane_requests_total"
	    "{result=\"refused_full\"}"), 0);
	for (i = 0; i < 41; i++)
		close(ps[i].fd);
	free(req_a);
	free(req_b);
	free(body);
	stop(&s);
}
END_TEST

/*
 * A flood that goes on: 'naddr' addresses (192.0.2.1, .2, ... by
 * X-Forwarded-For), 'per' connections each, every one sending its
 * address's sign-in again as soon as it is answered, until 'stop'.
 */
struct signin_flood {
	const struct server	*s;
	char			*req[8];
	int			 naddr, per;
	_Atomic int		 stop;
	_Atomic int		 ready;		/* every connection sent once */
	int			 ok, e429, e503, other;
	int			 displaced, account;	/* 429s by code */
};

static void
signin_flood_init(struct signin_flood *fl, const struct server *s, int naddr,
    int per)
{
	memset(fl, 0, sizeof(*fl));
	fl->s = s;
	fl->naddr = naddr;
	fl->per = per;
}

/* Flooding address i (192.0.2.<i + 1>) signs in as 'email'. */
static void
signin_flood_add(struct signin_flood *fl, int i, const char *email)
{
	char	*xff = harness_printf("192.0.2.%d", i + 1);

	fl->req[i] = signin_request(xff, email);
	free(xff);
}

static void *
signin_flood_run(void *arg)
{
	struct signin_flood	*fl = arg;
	struct peer	 ps[64];
	struct pollfd	 pfd[64];
	int		 i, n = fl->naddr * fl->per, refused;
	ssize_t		 r;

	for (i = 0; i < n; i++)
		(void)peer_open(fl->s, &ps[i], 'A', fl->req[i % fl->naddr]);
	atomic_store(&fl->ready, 1);
	while (!atomic_load(&fl->stop)) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = ps[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		for (i = 0, refused = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(ps[i].fd, ps[i].buf + ps[i].len,
			    sizeof(ps[i].buf) - 1 - ps[i].len);
			if (r > 0) {
				ps[i].len += (size_t)r;
				if (!peer_complete(&ps[i]))
					continue;
			}
			ps[i].buf[ps[i].len] = '\0';
			if (sscanf(ps[i].buf, "HTTP/1.1 %d", &ps[i].status) != 1)
				ps[i].status = -1;
			if (ps[i].status == 200)
				fl->ok++;
			else if (ps[i].status == 429) {
				fl->e429++, refused++;
				fl->displaced += strstr(ps[i].buf,
				    "\"code\":\"displaced\"") != NULL;
				fl->account += strstr(ps[i].buf,
				    "\"code\":\"busy_account\"") != NULL;
			}
			else if (ps[i].status == 503)
				fl->e503++, refused++;
			else
				fl->other++;
			close(ps[i].fd);
			(void)peer_open(fl->s, &ps[i], 'A',
			    fl->req[i % fl->naddr]);
		}
		/* Refusals come at once: a pause, not a busy loop. */
		if (refused > 0)
			harness_sleep_ms(10);
	}
	for (i = 0; i < n; i++)
		close(ps[i].fd);
	return (NULL);
}

static void
signin_flood_start(struct signin_flood *fl, pthread_t *th)
{
	ck_assert_int_eq(pthread_create(th, NULL, signin_flood_run, fl), 0);
	while (!atomic_load(&fl->ready))
		harness_sleep_ms(10);
	/* Every address has its share queued, the queue is full. */
	harness_sleep_ms(500);
}

static void
signin_flood_stop(struct signin_flood *fl, pthread_t th)
{
	int	 i;

	atomic_store(&fl->stop, 1);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	for (i = 0; i < fl->naddr; i++)
		free(fl->req[i]);
}

/*
 * Four addresses flooding together filled the queue (16 each, 64 in
 * all: four shares), and everyone else got 503: the share bounded one
 * address, not several.  Here six addresses flood on (8 connections
 * each, every answer followed by the next sign-in) a queue of 16 with a
 * share of 4, and a person on a seventh address signs in eight times in
 * a row: each of its sign-ins takes the place of a flooding address's
 * newest one (told 429), and is served.
 */
START_TEST(test_hostile_slow_lane_many_addresses)
{
	struct server	 s;
	struct signin_flood	 fl;
	pthread_t	 th;
	char		*email;
	int		 i, served = 0;
	long		 st;

	start(&s, small_lane);
	signin_flood_init(&fl, &s, 6, 8);
	for (i = 0; i < fl.naddr; i++) {
		email = harness_printf("flood%d@hostile.test", i);
		free(sign_up(&s, email));
		signin_flood_add(&fl, i, email);
		free(email);
	}
	free(sign_up(&s, "person@hostile.test"));
	signin_flood_start(&fl, &th);
	for (i = 0; i < 8; i++) {
		st = harness_sign_in(&s, "203.0.113.9", "person@hostile.test",
		    PASSWORD);
		ck_assert_msg(st == 200 || st == 429 || st == 503, "%ld", st);
		served += st == 200;
	}
	signin_flood_stop(&fl, th);
	printf("t1003: six addresses flooding: %d served, %d told 429, %d "
	    "503; the person's sign-ins served: %d of 8\n", fl.ok, fl.e429,
	    fl.e503, served);
	ck_assert_msg(served == 8, "the person's sign-ins: %d of 8 served",
	    served);
	ck_assert_int_eq(fl.other, 0);
	ck_assert_int_ge(harness_metric(&s, "guichet_slow_lane_requests_total"
	    "{result=\"displaced\"}"), 8);
	/* A displaced request is told so (its own code). */
	ck_assert_int_ge(fl.displaced, 8);
	/* The flood was refused: by its share, and by the full queue. */
	ck_assert_int_ge(fl.e429, 8);
	ck_assert_int_ge(harness_metric(&s, "guichet_slow_lane_requests_total"
	    "{result=\"refused_full\"}"), 1);
	stop(&s);
}
END_TEST

/*
 * One account's sign-ins from many addresses: each address within its
 * share, together they filled the queue for that one account.  The
 * account holds at most four places (waiting or running) whatever the
 * addresses, the rest is told 429, and another account's sign-in from
 * one of the flooding addresses' neighbours is served.
 */
START_TEST(test_hostile_slow_lane_account_share)
{
	struct server	 s;
	struct signin_flood	 fl;
	pthread_t	 th;
	long		 waiting, most = 0;
	int		 i;

	start(&s, small_lane);
	signin_flood_init(&fl, &s, 6, 6);
	free(sign_up(&s, "target@hostile.test"));
	free(sign_up(&s, "other@hostile.test"));
	/* Spelt differently: one account all the same. */
	for (i = 0; i < fl.naddr; i++)
		signin_flood_add(&fl, i, i % 2 ? "TARGET@hostile.test" :
		    "target@HOSTILE.test");
	signin_flood_start(&fl, &th);
	for (i = 0; i < 20; i++) {
		waiting = harness_metric(&s, "guichet_slow_lane_waiting");
		if (waiting > most)
			most = waiting;
		harness_sleep_ms(25);
	}
	ck_assert_int_eq(harness_sign_in(&s, "192.0.2.200",
	    "other@hostile.test", PASSWORD), 200);
	signin_flood_stop(&fl, th);
	printf("t1003: one account's sign-ins from six addresses: at most %ld "
	    "waiting; %d served, %d told 429, %d 503\n", most, fl.ok,
	    fl.e429, fl.e503);
	ck_assert_msg(most <= 4, "%ld of one account's sign-ins waiting",
	    most);
	ck_assert_int_eq(fl.e503, 0);
	ck_assert_int_ge(harness_metric(&s, "guichet_slow_lane_requests_total"
	    "{result=\"refused_key\"}"), 10);
	/* Refused for the account, and told so, not for the address. */
	ck_assert_int_ge(fl.account, 10);
	stop(&s);
}
END_TEST

/*
 * Send a header line every 'every' ms on 'fd' until the server closes the
 * connection or 'ms' pass: how long it stayed open (-1: still open, or it
 * answered).
 */
static long long
trickle(int fd, int every, int ms)
{
	struct pollfd	 pfd;
	long long	 t0 = harness_now_ms();
	char		 c, line[32];
	int		 i;

	for (i = 0; harness_now_ms() - t0 < ms; i++) {
		snprintf(line, sizeof(line), "X-Slow-%d: y\r\n", i);
		if (harness_send_str(fd, line) == -1)
			return (harness_now_ms() - t0);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, every) == 1)
			return (recv(fd, &c, 1, 0) > 0 ? -1 :
			    harness_now_ms() - t0);
	}
	return (-1);
}

/* A connection that has had one request served, now kept alive. */
static int
served_connection(const struct server *s)
{
	struct raw_resp	 raw;
	int		 fd;

	fd = harness_connect(s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "GET /healthz HTTP/1.1\r\n"
	    "Host: x\r\n\r\n"), 0);
	harness_raw_read(fd, 5000, 0, &raw);
	ck_assert_int_eq(raw.status, 200);
	raw_resp_free(&raw);
	return (fd);
}

/*
 * A client sending one header line every few hundred ms kept its
 * connection as long as it liked: the inactivity timeout restarts at
 * each byte.  A request's head must now arrive within header_timeout (2 s
 * here), from the connection, or from its first byte on a kept-alive
 * connection; an idle kept-alive connection is not cut by it.
 */
START_TEST(test_hostile_slow_headers_deadline)
{
	const char	*extra[] = { "--header-timeout", "2",
	    "--connection-timeout", "30", NULL };
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct server	 s;
	struct raw_resp	 raw;
	long long	 open_ms;
	size_t		 len;
	char		*req;
	int		 fd;

	start(&s, extra);
	/* A new connection, one line at a time. */
	fd = harness_connect(&s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "GET /healthz HTTP/1.1\r\n"), 0);
	open_ms = trickle(fd, 300, 12000);
	close(fd);
	ck_assert_msg(open_ms != -1, "a slow head was still read after 12 s");
	ck_assert_msg(open_ms >= 1000 && open_ms <= 6000, "closed after %lld "
	    "ms (header_timeout 2 s)", open_ms);

	/* A kept-alive connection: one request, then the next one slowly. */
	fd = served_connection(&s);
	harness_sleep_ms(1500);
	ck_assert_int_eq(harness_send_str(fd, "GET /healthz HTTP/1.1\r\n"), 0);
	open_ms = trickle(fd, 300, 12000);
	close(fd);
	ck_assert_msg(open_ms != -1, "a slow second head was still read after "
	    "12 s");
	ck_assert_msg(open_ms <= 6000, "closed %lld ms after the second head "
	    "began (header_timeout 2 s)", open_ms);

	/* Idle between requests is not reading: 4 s later it still serves. */
	fd = served_connection(&s);
	harness_sleep_ms(4000);
	ck_assert_int_eq(harness_send_str(fd, get), 0);
	harness_raw_read(fd, 5000, 0, &raw);
	ck_assert_msg(raw.status == 200, "an idle kept-alive connection: %d "
	    "(eof %d)", raw.status, raw.eof);
	raw_resp_free(&raw);
	close(fd);

	/*
	 * A request line with a query that ends just short of the
	 * connection's memory: libmicrohttpd 0.9.75 waits on it without an
	 * answer (its own defect); the deadline ends the wait.
	 */
	req = malloc(20000);
	memcpy(req, "GET /healthz?x=", 15);
	memset(req + 15, 'a', 18340);
	len = 15 + 18340;
	len += (size_t)sprintf(req + len, " HTTP/1.1\r\nHost: x\r\n\r\n");
	fd = harness_connect(&s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send(fd, req, len), 0);
	harness_raw_read(fd, 8000, 1, &raw);
	ck_assert_msg(raw.eof || raw.reset || raw.status != 0, "still open "
	    "after 8 s");
	raw_resp_free(&raw);
	close(fd);
	free(req);
	ck_assert_int_ge(harness_metric(&s, "guichet_http_connections_closed_"
	    "total{reason=\"header_timeout\"}"), 2);
	stop(&s);
}
END_TEST

/*
 * Slow heads on every slot (connection_limit 24 here) left no room for
 * anyone: new connections were refused.  At most header_connection_limit
 * (8) connections read a head; a new one closes the longest reader, so a
 * client that sends its request at once is served.
 */
START_TEST(test_hostile_slow_headers_limit)
{
	const char	*extra[] = { "--connection-limit", "24",
	    "--header-connection-limit", "8", "--header-timeout", "60",
	    "--connection-timeout", "60", NULL };
	struct server	 s;
	struct http_resp r;
	struct pollfd	 pfd;
	int		 fd[30], i, open_ones = 0;
	char		 c;

	start(&s, extra);
	harness_sleep_ms(300);
	for (i = 0; i < 30; i++) {
		fd[i] = harness_connect(&s);
		ck_assert_int_ne(fd[i], -1);
		harness_send_str(fd[i], "GET /healthz HTTP/1.1\r\nX-a: b\r\n");
		harness_sleep_ms(20);
	}
	harness_sleep_ms(500);
	for (i = 0; i < 30; i++) {
		pfd.fd = fd[i];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0 || recv(fd[i], &c, 1,
		    MSG_DONTWAIT) > 0)
			open_ones++;
	}
	ck_assert_msg(open_ones <= 8, "%d slow heads still open (limit 8)",
	    open_ones);
	/* The newest slow heads are the ones kept. */
	pfd.fd = fd[29];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(harness_get(&s, "/healthz", &r), 0);
		ck_assert_msg(r.status == 200, "a prompt client: %ld (%s)",
		    r.status, r.error);
		http_resp_free(&r);
	}
	ck_assert_int_ge(harness_metric(&s, "guichet_http_connections_closed_"
	    "total{reason=\"header_limit\"}"), 30 - 8);
	for (i = 0; i < 30; i++)
		close(fd[i]);
	stop(&s);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_hostile_query_not_text,
	&test_hostile_transfer_coding_501,
	&test_hostile_content_length_conflict,
	&test_hostile_nul_in_line,
	&test_hostile_head_sizes,
	&test_hostile_validation_capped,
	&test_hostile_slow_lane_fair,
	&test_hostile_slow_lane_many_addresses,
	&test_hostile_slow_lane_account_share,
	&test_hostile_slow_headers_deadline,
	&test_hostile_slow_headers_limit,
	NULL
};

const struct test_group test_groups[] = {
	{ "hostile", HARNESS_TIMEOUT, NULL, NULL, harness_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
