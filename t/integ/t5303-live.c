/*
 * t5303-live: the live stream (src/http/live.c, GET /api/v1/live) against
 * two real guichetd processes on one database:
 *  - a change of status made through one process reaches a stream held
 *    open on the other, as an event with its id, its name and its data;
 *    a new snow report too;
 *  - Last-Event-ID: a client that reconnects gets exactly the events
 *    after the one it saw, in order; an id the process does not hold
 *    gets an event "reload";
 *  - ?events= keeps only the events asked for; a bad list is a 400;
 *  - many streams held open at once all get the event;
 *  - a stream held open does not stop the server from stopping: it is
 *    ended, and the process exits cleanly;
 *  - limits: live_limit streams at most, per_ip_connection_limit from one
 *    address (X-Forwarded-For behind trusted_proxy), 503 live_full with
 *    Retry-After beyond; a client that goes away frees its place; the
 *    streams do not count among libmicrohttpd's connections;
 *  - HTTP/1.0 gets the stream unchunked, HEAD the head alone;
 *  - a shuttle alert posted or removed is an event "alert", resumable;
 *  - an idle stream gets ": heartbeat" every live_heartbeat seconds;
 *  - a change through one process reaches the other's streams within 1 s.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caselib.h"

#define FROZEN	"2026-12-20T08:00:00Z"
#define LIFT	"tc6-le-chalvet"
#define NELEM_MANY(a)	(sizeof(a) / sizeof((a)[0]))

/* A stream read raw: what came, and the body once dechunked. */
struct sse {
	int	 fd;
	char	*raw;
	size_t	 len, cap;
	char	*body;		/* dechunked, NUL-terminated */
	int	 eof;
};

/* Open GET /api/v1/live'query' on 's' with 'extra' header lines. */
static void
sse_open(struct sse *c, const struct server *s, const char *query,
    const char *extra)
{
	char	*req;

	memset(c, 0, sizeof(*c));
	c->fd = harness_connect(s);
	ck_assert_int_ge(c->fd, 0);
	req = harness_printf("GET /api/v1/live%s HTTP/1.1\r\nHost: 127.0.0.1"
	    "\r\nAccept: text/event-stream\r\n%s\r\n", query != NULL ? query :
	    "", extra != NULL ? extra : "");
	ck_assert_int_eq(harness_send_str(c->fd, req), 0);
	free(req);
	c->cap = 4096;
	c->raw = calloc(1, c->cap);
	c->body = strdup("");
}

/* Rebuild the body from the chunks received so far. */
static void
dechunk(struct sse *c)
{
	const char	*p = strstr(c->raw, "\r\n\r\n"), *end = c->raw + c->len;
	char		*b, *q;
	unsigned long	 n;

	free(c->body);
	b = calloc(1, c->len + 1);
	q = b;
	if (p != NULL)
		for (p += 4; p < end;) {
			n = strtoul(p, NULL, 16);
			if ((p = strstr(p, "\r\n")) == NULL)
				break;
			p += 2;
			if (n == 0 || p + n > end)
				break;
			memcpy(q, p, n);
			q += n;
			p += n + 2;
		}
	c->body = b;
}

/* Append what comes on 'c' within 100 ms to its raw bytes. */
static void
sse_read_some(struct sse *c)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 100) <= 0)
		return;
	if (c->cap - c->len < 2048) {
		c->cap *= 2;
		c->raw = realloc(c->raw, c->cap);
	}
	n = recv(c->fd, c->raw + c->len, c->cap - c->len - 1, 0);
	if (n <= 0) {
		if (n == -1 && errno == EINTR)
			return;
		c->eof = 1;
		return;
	}
	c->len += (size_t)n;
	c->raw[c->len] = '\0';
}

/*
 * Read until the body holds 'needle' after offset 'from' (5 s): 1 when it
 * does.
 */
static int	 sse_wait_ms(struct sse *, const char *, size_t, long long);

static int
sse_wait(struct sse *c, const char *needle, size_t from)
{
	return (sse_wait_ms(c, needle, from, 5000));
}

/* sse_wait() for at most 'ms' milliseconds. */
static int
sse_wait_ms(struct sse *c, const char *needle, size_t from, long long ms)
{
	long long	 until = harness_now_ms() + ms;

	for (;;) {
		dechunk(c);
		if (strlen(c->body) >= from && strstr(c->body + from, needle) !=
		    NULL)
			return (1);
		if (c->eof || harness_now_ms() >= until)
			return (0);
		sse_read_some(c);
	}
}

/* Read until the raw bytes hold 'needle' (5 s): 1 when they do. */
static int
raw_wait(struct sse *c, const char *needle)
{
	long long	 until = harness_now_ms() + 5000;

	while (strstr(c->raw, needle) == NULL) {
		if (c->eof || harness_now_ms() >= until)
			return (0);
		sse_read_some(c);
	}
	return (1);
}

/* The status of the answer on 'c' (its head read), or 0. */
static int
sse_status(struct sse *c)
{
	int	 st = 0;

	if (!raw_wait(c, "\r\n\r\n"))
		return (0);
	sscanf(c->raw, "HTTP/1.%*d %d", &st);
	return (st);
}

static void
sse_close(struct sse *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->raw);
	free(c->body);
	c->fd = -1;
}

/* The id of the last event named 'event' in the body, or 0. */
static unsigned long long
last_id_of(const struct sse *c, const char *event)
{
	char			*needle = harness_printf("\nevent: %s\n", event);
	const char		*p, *q, *id;
	unsigned long long	 v = 0;

	for (p = c->body; (q = strstr(p, needle)) != NULL; p = q + 1) {
		/* "id: N" is the line before. */
		for (id = q; id > c->body && id[-1] != '\n'; id--)
			;
		sscanf(id, "id: %llu", &v);
	}
	free(needle);
	return (v);
}

/* The demo's lifts:write client's access token (caller frees). */
static char *
operator_token(const struct idenv *e)
{
	return (idl_client_token(e, idl_demo.client_id,
	    idl_demo.client_secret));
}

static void
set_status(const struct idenv *e, const char *token, const char *lift,
    const char *status)
{
	struct http_resp r;
	char		*path = harness_printf("/api/v1/lifts/%s/status", lift);
	char		*body = harness_printf("{\"status\": \"%s\", \"reason\": "
			    "{\"fr\": \"Vent\", \"en\": \"Wind\"}}", status);

	ck_assert_int_eq(idl_req(e, "PUT", path, token, body, &r), 200);
	http_resp_free(&r);
	free(path);
	free(body);
}

/* A partner app holding shuttles:write: its access token. */
static char *
shuttles_token(const struct idenv *e)
{
	char	 id[40], secret[80];

	idl_client_add(e, "Navettes", "shuttles:write", NULL, id, secret);
	return (idl_client_token(e, id, secret));
}

/* Post an alert on route N2 headed 'header' (English) as 'token': its id. */
static char *
post_alert(const struct idenv *e, const char *token, const char *header)
{
	json_t	*j;
	char	*id;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/shuttles/alerts", token,
	    json_pack("{s:s, s:s, s:[{s:s, s:s}], s:[s], s:[], "
	    "s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}",
	    "cause", "weather", "effect", "significant_delays",
	    "active_periods", "start", "2026-12-20T07:00:00Z", "end",
	    "2026-12-20T12:00:00Z", "route_ids", "N2", "stop_ids",
	    "header", "fr", "Neige sur la route", "en", header, "it",
	    "Neve sulla strada",
	    "description", "fr", "Prévoir 20 minutes de retard.", "en",
	    "Expect 20 minutes of delay.", "it", "Prevedere 20 minuti di "
	    "ritardo."), &st);
	ck_assert_int_eq(st, 201);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	return (id);
}

/* Two processes on the test's database: 'a' started, then 'b'. */
static void
start_two(struct idenv *a, struct idenv *b)
{
	idl_start_new(a, FROZEN);
	memset(b, 0, sizeof(*b));
	b->db = strdup(a->db);
	b->clock = FROZEN;
	idl_start(b);
}

START_TEST(test_delivery_across_processes)
{
	struct idenv	 a, b;
	struct sse	 c;
	char		*op;
	json_t		*j;
	long		 st;
	long long	 answered;

	start_two(&a, &b);
	op = operator_token(&a);
	sse_open(&c, &b.s, NULL, NULL);
	ck_assert_msg(sse_wait(&c, "retry: 2000\n", 0), "no stream: %s",
	    c.raw);
	ck_assert_ptr_nonnull(strstr(c.raw, "HTTP/1.1 200"));
	ck_assert_ptr_nonnull(strcasestr(c.raw, "Content-Type: "
	    "text/event-stream"));
	ck_assert_ptr_nonnull(strcasestr(c.raw, "Cache-Control: no-store"));
	/*
	 * A change through A, seen on B's stream within a second of A's
	 * answer (the bound; the test machine is shared, so this is
	 * the bound itself, not a benchmark).
	 */
	set_status(&a, op, LIFT, "on_hold");
	answered = harness_now_ms();
	ck_assert_msg(sse_wait_ms(&c, "event: lift\ndata: {", 0, 1000),
	    "no event within 1 s of the change: %s", c.body);
	ck_assert_int_lt(harness_now_ms() - answered, 1000);
	ck_assert_ptr_nonnull(strstr(c.body, "\"id\":\"" LIFT "\""));
	ck_assert_ptr_nonnull(strstr(c.body, "on_hold"));
	ck_assert_ptr_nonnull(strstr(c.body, "Wind"));
	ck_assert(last_id_of(&c, "lift") > 0);
	/* A slope and the snow report too. */
	j = idl_reqj(&a, "PUT", "/api/v1/slopes/la-butte/status", op,
	    "{\"status\": \"open\"}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	ck_assert(sse_wait(&c, "event: slope\n", 0));
	j = idl_reqj(&a, "PUT", "/api/v1/snow-report", op,
	    "{\"depth_bottom_cm\": 50, \"depth_top_cm\": 120, "
	    "\"fresh_24h_cm\": 5, \"avalanche_risk\": 2, \"avalanche_date\": "
	    "\"2026-12-20\", \"weather\": \"sunny\"}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	ck_assert(sse_wait(&c, "event: snow_report\n", 0));
	/*
	 * A frame longer than the pieces a stream sends at once (a reason
	 * of 200 characters in three languages) comes whole: its data is
	 * the JSON object it was.
	 */
	{
		char	*lon = idl_marker(200), *body, *p, *eol;
		size_t	 from = strlen(c.body);
		json_t	*d;

		body = harness_printf("{\"status\": \"closed\", \"reason\": "
		    "{\"fr\": \"%s\", \"en\": \"%s\", \"it\": \"%s\"}}", lon,
		    lon, lon);
		j = idl_reqj(&a, "PUT", "/api/v1/lifts/sg4-prarial/status", op,
		    body, &st);
		ck_assert_int_eq(st, 200);
		json_decref(j);
		ck_assert(sse_wait(&c, "sg4-prarial", from));
		ck_assert(sse_wait(&c, "}\n\n", from));
		p = strstr(c.body + from, "data: ");
		ck_assert_ptr_nonnull(p);
		eol = strchr(p, '\n');
		*eol = '\0';
		d = json_loads(p + 6, 0, NULL);
		ck_assert_msg(d != NULL, "not JSON: %s", p + 6);
		idl_assert_str(json_object_get(d, "reason"), "it", lon);
		json_decref(d);
		free(body);
		free(lon);
	}
	sse_close(&c);
	free(op);
	idl_stop(&b);
	idl_stop(&a);
}
END_TEST

START_TEST(test_resumption)
{
	struct idenv	 a, b;
	struct sse	 c, d, z;
	unsigned long long first;
	char		*op, *h, *p1, *p2;

	start_two(&a, &b);
	op = operator_token(&a);
	sse_open(&c, &b.s, NULL, NULL);
	ck_assert(sse_wait(&c, "retry:", 0));
	set_status(&a, op, LIFT, "on_hold");
	ck_assert(sse_wait(&c, "event: lift\n", 0));
	first = last_id_of(&c, "lift");
	sse_close(&c);
	/* Missed while away: two changes. */
	set_status(&a, op, "sg4-la-crete", "open");
	set_status(&a, op, "sg4-prarial", "closed");
	/* Back with the id it saw last: exactly the two, in order. */
	h = harness_printf("Last-Event-ID: %llu\r\n", first);
	sse_open(&d, &b.s, NULL, h);
	ck_assert_msg(sse_wait(&d, "sg4-prarial", 0), "not resumed: %s",
	    d.body);
	p1 = strstr(d.body, "sg4-la-crete");
	p2 = strstr(d.body, "sg4-prarial");
	ck_assert_ptr_nonnull(p1);
	ck_assert(p1 < p2);
	/* Not the one it had seen, and no reload. */
	ck_assert_ptr_null(strstr(d.body, LIFT));
	ck_assert_ptr_null(strstr(d.body, "event: reload"));
	ck_assert_int_eq(last_id_of(&d, "lift") > first, 1);
	sse_close(&d);
	free(h);
	/* An id this process never had: reload. */
	sse_open(&z, &b.s, NULL, "Last-Event-ID: 999999999\r\n");
	ck_assert_msg(sse_wait(&z, "event: reload\n", 0), "%s", z.body);
	sse_close(&z);
	free(op);
	idl_stop(&b);
	idl_stop(&a);
}
END_TEST

START_TEST(test_filter_and_many)
{
	struct idenv	 e;
	struct sse	 only, many[50];
	struct http_resp r;
	char		*op;
	json_t		*j;
	size_t		 i;
	long		 st;

	idl_start_new(&e, FROZEN);
	op = operator_token(&e);
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/live?events=Lift", NULL,
	    NULL, &r), 400);
	http_resp_free(&r);
	sse_open(&only, &e.s, "?events=snow_report", NULL);
	ck_assert(sse_wait(&only, "retry:", 0));
	for (i = 0; i < NELEM_MANY(many); i++) {
		sse_open(&many[i], &e.s, "?events=lift,slope", NULL);
		ck_assert(sse_wait(&many[i], "retry:", 0));
	}
	set_status(&e, op, LIFT, "open");
	/* Every stream gets it. */
	for (i = 0; i < NELEM_MANY(many); i++)
		ck_assert_msg(sse_wait(&many[i], "event: lift\n", 0),
		    "stream %zu: %s", i, many[i].body);
	j = idl_reqj(&e, "PUT", "/api/v1/snow-report", op,
	    "{\"depth_bottom_cm\": 50, \"depth_top_cm\": 120, "
	    "\"fresh_24h_cm\": 5, \"avalanche_risk\": 2, \"avalanche_date\": "
	    "\"2026-12-20\", \"weather\": \"sunny\"}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	ck_assert(sse_wait(&only, "event: snow_report\n", 0));
	/* The lift's event was not for it; nor the report for the others. */
	ck_assert_ptr_null(strstr(only.body, "event: lift"));
	ck_assert_ptr_null(strstr(many[0].body, "event: snow_report"));
	/* Stopping with streams open: they end, the server exits cleanly. */
	ck_assert_int_eq(harness_server_stop(&e.s), 0);
	ck_assert(!sse_wait(&only, "never sent", 0));
	ck_assert_msg(only.eof || strstr(only.raw, "\r\n0\r\n\r\n") != NULL,
	    "the stream did not end: %s", only.raw);
	sse_close(&only);
	for (i = 0; i < NELEM_MANY(many); i++)
		sse_close(&many[i]);
	free(op);
	idl_stop(&e);
}
END_TEST

/*
 * sse_open() and the status of its answer.  libmicrohttpd refuses a
 * connection (no answer) while per_ip_connection_limit of this client's
 * are open, and a connection the client closed counts until it has seen
 * the close: tried again for up to 5 s while there is no answer.
 */
static int
open_status(struct sse *c, const struct server *s, const char *query,
    const char *extra)
{
	long long	 until = harness_now_ms() + 5000;
	int		 st;

	for (;;) {
		sse_open(c, s, query, extra);
		if ((st = sse_status(c)) != 0 || harness_now_ms() >= until)
			return (st);
		sse_close(c);
		usleep(50 * 1000);
	}
}

START_TEST(test_limits)
{
	/* Behind a proxy, so that one test client is several addresses. */
	static const char *const args[] = { "--live-limit", "4",
	    "--per-ip-connection-limit", "3", "--trusted-proxy", "127.0.0.1",
	    NULL };
	static const char *const from1 = "X-Forwarded-For: 192.0.2.1\r\n";
	static const char *const from2 = "X-Forwarded-For: 192.0.2.2\r\n";
	struct idenv	 e;
	struct sse	 a[4], b1, b2, more[2];
	long long	 until;
	size_t		 i;
	int		 st, ok;

	memset(&e, 0, sizeof(e));
	e.clock = FROZEN;
	e.extra = args;
	idl_start(&e);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(open_status(&a[i], &e.s, NULL, from1), 200);
	/*
	 * The streams are not libmicrohttpd's connections: three are open
	 * from this client's socket address, its limit, and two requests
	 * more at once are still let in.
	 */
	until = harness_now_ms() + 5000;
	do {
		for (i = 0; i < NELEM_MANY(more); i++)
			sse_open(&more[i], &e.s, "?events=Bad", NULL);
		for (ok = 1, i = 0; i < NELEM_MANY(more); i++) {
			if (sse_status(&more[i]) != 400)
				ok = 0;
			sse_close(&more[i]);
		}
	} while (!ok && harness_now_ms() < until);
	ck_assert_msg(ok, "the streams count among the connections");
	/* A fourth from the same address: refused, with the reason. */
	ck_assert_int_eq(open_status(&a[3], &e.s, NULL, from1), 503);
	ck_assert(raw_wait(&a[3], "\"live_full\""));
	ck_assert_ptr_nonnull(strcasestr(a[3].raw, "\r\nRetry-After: 30\r\n"));
	ck_assert_ptr_nonnull(strcasestr(a[3].raw, "application/problem+json"));
	sse_close(&a[3]);
	/* Another address: one more, then the server's limit (4). */
	ck_assert_int_eq(open_status(&b1, &e.s, NULL, from2), 200);
	ck_assert_int_eq(open_status(&b2, &e.s, NULL, from2), 503);
	ck_assert(raw_wait(&b2, "\"live_full\""));
	sse_close(&b2);
	/* A client that goes away frees its place (the hub sees it close). */
	sse_close(&a[0]);
	until = harness_now_ms() + 5000;
	for (st = 0; st != 200 && harness_now_ms() < until;) {
		if ((st = open_status(&a[0], &e.s, NULL, from1)) != 200) {
			sse_close(&a[0]);
			usleep(100 * 1000);
		}
	}
	ck_assert_int_eq(st, 200);
	ck_assert(sse_wait(&a[0], "retry: 2000\n", 0));
	for (i = 0; i < 3; i++)
		sse_close(&a[i]);
	sse_close(&b1);
	idl_stop(&e);
}
END_TEST

START_TEST(test_http10_and_head)
{
	struct idenv	 e;
	struct sse	 c;
	const char	*req;
	int		 fd;

	idl_start_new(&e, FROZEN);
	/* HTTP/1.0 has no chunks: the stream ends with the connection. */
	memset(&c, 0, sizeof(c));
	c.fd = harness_connect(&e.s);
	ck_assert_int_ge(c.fd, 0);
	ck_assert_int_eq(harness_send_str(c.fd, "GET /api/v1/live HTTP/1.0\r\n"
	    "\r\n"), 0);
	c.cap = 4096;
	c.raw = calloc(1, c.cap);
	c.body = strdup("");
	ck_assert_int_eq(sse_status(&c), 200);
	ck_assert_msg(raw_wait(&c, "\r\n\r\nretry: 2000\n: guichet live\n\n"),
	    "%s", c.raw);
	ck_assert_ptr_null(strcasestr(c.raw, "Transfer-Encoding"));
	ck_assert_ptr_nonnull(strcasestr(c.raw, "\r\nConnection: close\r\n"));
	sse_close(&c);
	/* HEAD: the head of a stream, no body, the connection kept. */
	fd = harness_connect(&e.s);
	ck_assert_int_ge(fd, 0);
	req = "HEAD /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n";
	ck_assert_int_eq(harness_send_str(fd, req), 0);
	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.cap = 4096;
	c.raw = calloc(1, c.cap);
	c.body = strdup("");
	ck_assert_int_eq(sse_status(&c), 200);
	ck_assert_ptr_nonnull(strcasestr(c.raw, "text/event-stream"));
	ck_assert_ptr_nonnull(strcasestr(c.raw, "Cache-Control: no-store"));
	ck_assert(!raw_wait(&c, "retry:"));
	sse_close(&c);
	idl_stop(&e);
}
END_TEST

/*
 * A shuttle alert posted through one process is an event "alert" on a
 * stream held on the other, with what a screen shows (its routes, its
 * periods, its headers); its removal too.  A client that was away gets
 * it by Last-Event-ID.
 */
START_TEST(test_alerts)
{
	struct idenv	 a, b;
	struct sse	 c, d;
	unsigned long long first;
	char		*op, *sh, *id, *id2, *path, *h, *p, *eol;
	size_t		 from;
	json_t		*data;

	start_two(&a, &b);
	op = operator_token(&a);
	sh = shuttles_token(&a);
	sse_open(&c, &b.s, NULL, NULL);
	ck_assert(sse_wait(&c, "retry:", 0));
	id = post_alert(&a, sh, "Snow on the road");
	ck_assert_msg(sse_wait(&c, "event: alert\n", 0), "no alert: %s",
	    c.body);
	ck_assert(sse_wait(&c, "}\n\n", 0));
	p = strstr(strstr(c.body, "event: alert\n"), "data: ");
	ck_assert_ptr_nonnull(p);
	eol = strchr(p, '\n');
	*eol = '\0';
	data = json_loads(p + 6, 0, NULL);
	ck_assert_msg(data != NULL, "not JSON: %s", p + 6);
	*eol = '\n';
	idl_assert_strs(data, "id", id, "action", "posted", "cause", "weather",
	    "effect", "significant_delays", NULL);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(data,
	    "route_ids"), 0)), "N2");
	idl_assert_str(json_object_get(data, "header"), "en",
	    "Snow on the road");
	idl_assert_str(json_object_get(data, "header"), "it",
	    "Neve sulla strada");
	idl_assert_str(json_array_get(json_object_get(data, "active_periods"),
	    0), "start", "2026-12-20T07:00:00Z");
	json_decref(data);
	first = last_id_of(&c, "alert");
	ck_assert(first > 0);
	/* Removed: an event too, saying so. */
	from = strlen(c.body);
	path = harness_printf("/api/v1/shuttles/alerts/%s", id);
	ck_assert_int_eq(idl_status(&a, "DELETE", path, sh, NULL), 204);
	ck_assert(sse_wait(&c, "event: alert\n", from));
	ck_assert(sse_wait(&c, "\"removed\"", from));
	ck_assert_ptr_nonnull(strstr(c.body + from, id));
	sse_close(&c);
	/* Away: a lift's change and another alert; back with the first id. */
	set_status(&a, op, LIFT, "closed");
	id2 = post_alert(&a, sh, "Road closed at Clavière");
	h = harness_printf("Last-Event-ID: %llu\r\n", first);
	sse_open(&d, &b.s, NULL, h);
	ck_assert_msg(sse_wait(&d, "Road closed at Clavi", 0), "not resumed: "
	    "%s", d.body);
	ck_assert_ptr_nonnull(strstr(d.body, "\"removed\""));
	ck_assert_ptr_nonnull(strstr(d.body, id2));
	ck_assert_ptr_nonnull(strstr(d.body, "event: lift\n"));
	ck_assert_ptr_null(strstr(d.body, "event: reload"));
	/* ?events=alert keeps the alerts alone. */
	sse_close(&d);
	sse_open(&d, &b.s, "?events=alert", h);
	ck_assert(sse_wait(&d, id2, 0));
	ck_assert_ptr_null(strstr(d.body, "event: lift"));
	sse_close(&d);
	free(h);
	free(path);
	free(id);
	free(id2);
	free(sh);
	free(op);
	idl_stop(&b);
	idl_stop(&a);
}
END_TEST

/*
 * An idle stream gets a comment line every live_heartbeat seconds (the
 * setting): with 1, one within the second after the first frame, and
 * the next about a second later (each wait allows a second and a half
 * more: the test machine is shared), not at once.
 */
START_TEST(test_heartbeat)
{
	static const char *const args[] = { "--live-heartbeat", "1", NULL };
	struct idenv	 e;
	struct sse	 c;
	long long	 t1;
	size_t		 from;

	memset(&e, 0, sizeof(e));
	e.clock = FROZEN;
	e.extra = args;
	idl_start(&e);
	sse_open(&c, &e.s, NULL, NULL);
	ck_assert(sse_wait(&c, "retry: 2000\n", 0));
	ck_assert_msg(sse_wait_ms(&c, ": heartbeat\n\n", 0, 2500),
	    "no heartbeat within 2.5 s: %s", c.body);
	t1 = harness_now_ms();
	from = strlen(c.body);
	ck_assert_msg(sse_wait_ms(&c, ": heartbeat\n\n", from, 2500),
	    "no second heartbeat: %s", c.body);
	ck_assert_int_ge(harness_now_ms() - t1, 500);
	sse_close(&c);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_delivery_across_processes,
	&test_resumption,
	&test_filter_and_many,
	&test_limits,
	&test_http10_and_head,
	&test_alerts,
	&test_heartbeat,
	NULL
};

const struct test_group test_groups[] = {
	{ "live", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
