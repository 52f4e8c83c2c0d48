/*
 * server.c: libmicrohttpd glue and the request pipeline.
 *
 * MHD calls the access handler several times per request.  The first call
 * only allocates the request, checks it as it was sent (request_check())
 * and routes it: queueing a response on the first call makes MHD close
 * keep-alive connections (measured: 18k -> 118k req/s by deferring).
 * Upload calls append to the body, counting bytes against the route's cap
 * (route.h); an unwanted body, or one whose Content-Length is past the
 * cap, is answered (413/415/404) before it is read; a body without
 * Content-Length is answered 413 as soon as it passes the cap.  The last
 * call runs the pipeline.
 * The completed callback writes the access log line, feeds the metrics and
 * frees the request: the only place a request is freed.  Connections are
 * tracked from their start to their end (connection_notify()), so that a
 * request's head has a deadline and slow heads a cap.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/hook.h"
#include "base/log.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "http/live.h"
#include "http/metrics.h"
#include "http/reply.h"
#include "http/route.h"
#include "http/server.h"
#include "json/check.h"

enum phase { PH_NEW, PH_BODY, PH_QUEUED, PH_READY, PH_DONE };

struct alloc {
	struct alloc	*next;
	/* followed by the memory */
};

static struct MHD_Daemon	*daemon_;
static struct server_config	 cfg;
static char			 trusted_proxy[64];
static server_guard_fn		 guard;
static const struct server_replay *replay_hooks;
static _Atomic long		 inflight;
static _Atomic int		 draining;
static _Atomic size_t		 upload_held;	/* bytes of uploads' buffers */

/*
 * The slow lane: the few threads that hash passwords (~35 ms of CPU
 * each), so that logins cannot take the polling threads from everything
 * else.  Every other route runs on the polling thread that read it
 * (server.h says why).
 *
 * Its queue is shared fairly between client addresses (request_peer(),
 * an IPv6 address counted by its /64, which one subscriber usually
 * holds): each address has its own FIFO of waiting requests, and the
 * workers take one request from each address in turn (deficit round
 * robin where every request costs the same: round robin).  An address
 * holds at most 'share' requests, waiting or running (429 beyond, for it
 * alone); all addresses together at most 'cap' waiting.  When they are
 * full, a request of an address with fewer waiting than the address with
 * the most takes the place of that address's newest one, which is told
 * 429 with Retry-After as if it had come past its share ("displaced"):
 * a few addresses flooding together fill the queue only until anyone
 * else comes, and each address is left its fair part of it.  503 only
 * when no address holds more than the newcomer would.  So a request from
 * a new address waits for at most one request of each address ahead of
 * it, however many addresses flood and however much.
 *
 * A route may also name a second key (struct route's lane_key: the
 * account a sign-in names), which holds at most LANE_KEY_SHARE requests
 * waiting or running, whatever their addresses (429 beyond): flooding
 * one account's sign-ins from many addresses takes one account's part.
 */
#define LANE_KEY_SHARE	4

struct flow {
	unsigned char	 key[17];	/* family, then the address (v6: /64) */
	size_t		 held;		/* waiting or running */
	size_t		 waiting;
	struct request	*head, *tail;	/* waiting, oldest first */
	int		 active;	/* in the round robin */
	STAILQ_ENTRY(flow) turn;	/* the round robin, or the unused */
	struct flow	*chain;		/* hash bucket */
};
STAILQ_HEAD(flows, flow);

/* A route's lane_key and its requests waiting or running (0: unused). */
struct lane_keyed {
	unsigned char	 key[17];
	size_t		 held;
};

struct lane {
	pthread_mutex_t	  mtx;
	pthread_cond_t	  cv;
	struct flow	 *flows;	/* cap + workers: one per held request at most */
	struct flows	  unused;
	struct flow	**buckets;
	size_t		  nbuckets;	/* a power of two */
	struct flows	  turns;	/* the round robin */
	size_t		  len, cap, share, naddr;
	pthread_t	 *workers;
	int		  nworkers;
	int		  stop;
	const char	 *name;		/* "slow", "list" */
	enum metric_counter mc;		/* its counters from here (metrics.h) */
	enum metric_gauge mg;		/* its gauges from here */
	struct lane_keyed *keyed;	/* cap + workers, as the flows */
};

enum lane_result { LANE_QUEUED, LANE_SHARE, LANE_ACCOUNT, LANE_FULL };

#define LANE_INIT(l, n, c, g) { PTHREAD_MUTEX_INITIALIZER, \
	PTHREAD_COND_INITIALIZER, NULL, STAILQ_HEAD_INITIALIZER((l).unused), \
	NULL, 0, STAILQ_HEAD_INITIALIZER((l).turns), 0, 0, 0, 0, NULL, 0, 0, \
	(n), (c), (g), NULL }
static struct lane	slow_lane = LANE_INIT(slow_lane, "slow",
			    MC_SLOW_QUEUED, MG_SLOW_WAITING);
/*
 * The list lane: the routes that read many rows (ROUTE_LIST: the map,
 * Open311's lists, the boards), milliseconds of PostgreSQL and
 * of CPU each.  On the polling threads, a connection waited for every
 * such request of the other connections of its thread: with
 * libmicrohttpd's own accept (before the acceptor below), four
 * connections opened together landed on one thread as often as not and
 * were served one after the other (GET /api/v1/incidents of a thousand
 * reports: 285 instead of 550 to 600 requests a second, wrk -c4 on two
 * cores, in one run out of two); spread over the threads, two of them
 * may still share one.  Here any free worker
 * takes the next one, fairly between client addresses as on the slow
 * lane; the hand-over (suspend, signal, resume) costs tens of
 * microseconds, a few percent of such a request.
 */
static struct lane	list_lane = LANE_INIT(list_lane, "list",
			    MC_LIST_QUEUED, MG_LIST_WAITING);

/*
 * Connections reading a request's head.  libmicrohttpd's timeout counts
 * inactivity and restarts at each byte: a client sending a header line
 * every few seconds kept its connection for ever, and a few thousand of
 * them every slot.  Here a request's line and headers must arrive within
 * header_timeout, counted from the connection for its first request and
 * from the first byte of the next one on a kept-alive connection, and at
 * most header_connection_limit connections may be reading one: a new
 * connection beyond closes the reader that has been at it longest, which
 * a slow client is far likelier to be than anyone else (a browser sends
 * its head in one packet).  An idle kept-alive connection is not reading:
 * connection_timeout alone applies to it.
 *
 * Each connection has a track (its socket context, from the connection's
 * start to its end, in the list under 'mtx') and a state word, gen << 2 |
 * state, that the polling thread moves without a lock:
 *   READING  since track->since: accepted, or bytes of a new request seen
 *   BUSY     from the first access-handler call until the answer is sent
 *   IDLE     kept alive since track->idle_at, waiting for a request
 * READING or IDLE -> BUSY -> IDLE (gen + 1) on the polling thread; IDLE ->
 * READING in the sweep, when the kernel says data came after idle_at
 * (TCP_INFO); READING -> CLOSING under the lock for a reader past the
 * deadline or the longest one, closed with shutdown(2): the polling
 * thread then sees the end and closes the connection.  'reading' counts
 * the READING ones.  libmicrohttpd tells the end of a connection before it
 * closes the descriptor, under the same lock, so a shutdown never reaches
 * a descriptor reused by another connection.
 */
enum { TR_READING, TR_BUSY, TR_IDLE, TR_CLOSING };

struct track {
	_Atomic uint64_t	 word;		/* gen << 2 | state */
	_Atomic int64_t		 idle_at;	/* IDLE from (clock_mono()) */
	int64_t			 since;		/* READING from (under mtx) */
	int			 fd;
	int			 closing;	/* shut down (under mtx) */
	struct track		*prev, *next;
};

static struct {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	struct track	*head, *tail;
	_Atomic long	 reading;
	pthread_t	 sweeper;
	int		 running;
	int		 stop;
} tracks = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
    NULL, 0, 0, 0, 0 };

void
server_set_guard(server_guard_fn fn)
{
	guard = fn;
	hook_note("server-guard");
}

void
server_set_replay(const struct server_replay *r)
{
	replay_hooks = r;
	hook_note("server-replay");
}

long
server_inflight(void)
{
	return (atomic_load(&inflight));
}

/* Request accessors (request.h). */

const char *
request_header(const struct request *req, const char *name)
{
	return (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name));
}

void *
request_alloc(struct request *req, size_t n)
{
	struct alloc	*a;

	a = xcalloc(1, sizeof(*a) + n);
	a->next = req->allocs;
	req->allocs = a;
	return (a + 1);
}

char *
request_strdup(struct request *req, const char *s)
{
	size_t	 n = strlen(s);
	char	*p;

	p = request_alloc(req, n + 1);
	memcpy(p, s, n);
	return (p);
}

/*
 * application/x-www-form-urlencoded decoding of the 'n' bytes at 's' into
 * 'out' (n + 1 bytes; NULL only checks): the length decoded, or -1 when
 * it is not text: a bad %-escape, a NUL byte or invalid UTF-8 (overlong
 * forms, surrogates and code points past U+10FFFF included).
 */
static ssize_t
form_decode(const char *s, size_t n, char *out)
{
	unsigned int	 need = 0, cp = 0, min = 0;
	unsigned char	 b;
	size_t		 i, o = 0;
	int		 h, l;

	for (i = 0; i < n; i++) {
		b = (unsigned char)s[i];
		if (b == '+')
			b = ' ';
		else if (b == '%') {
			if (n - i < 3 || (h = hex_digit((unsigned char)s[i + 1]))
			    == -1 || (l = hex_digit((unsigned char)s[i + 2])) == -1)
				return (-1);
			b = (unsigned char)(h << 4 | l);
			i += 2;
		}
		if (b == '\0')
			return (-1);
		if (need > 0) {
			if ((b & 0xc0) != 0x80)
				return (-1);
			cp = cp << 6 | (b & 0x3f);
			if (--need == 0 && (cp < min || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff)))
				return (-1);
		} else if (b >= 0x80) {
			if ((b & 0xe0) == 0xc0) {
				need = 1;
				cp = b & 0x1f;
				min = 0x80;
			} else if ((b & 0xf0) == 0xe0) {
				need = 2;
				cp = b & 0x0f;
				min = 0x800;
			} else if ((b & 0xf8) == 0xf0) {
				need = 3;
				cp = b & 0x07;
				min = 0x10000;
			} else
				return (-1);
		}
		if (out != NULL)
			out[o++] = (char)b;
	}
	if (need > 0)
		return (-1);
	if (out != NULL)
		out[o] = '\0';
	return ((ssize_t)o);
}

/* The decoded text of 's' in request memory; NULL when it is not text. */
static char *
query_decode(struct request *req, const char *s)
{
	size_t	 n = strlen(s);
	char	*out;

	out = request_alloc(req, n + 1);
	return (form_decode(s, n, out) == -1 ? NULL : out);
}

/*
 * Every query argument was checked on the first call (request_check()),
 * so decoding cannot fail here.  An argument without '=' reads as empty:
 * "?limit" is refused like "?limit=", not taken for no limit at all.
 */
const char *
request_query(const struct request *req, const char *name)
{
	const char	*raw;
	size_t		 len;

	if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND,
	    name, strlen(name), &raw, &len) == MHD_NO)
		return (NULL);
	if (raw == NULL)
		return ("");
	/* The value is decoded into request memory; const-ness is the caller's view. */
	return (query_decode((struct request *)(uintptr_t)req, raw));
}

const char *
request_param(const struct request *req, const char *name)
{
	int	 i;

	for (i = 0; i < req->nparams; i++)
		if (req->params[i].name != NULL &&
		    strcmp(req->params[i].name, name) == 0)
			return (req->params[i].value);
	return (NULL);
}

/*
 * Behind our own reverse proxy, the client is the last address the proxy
 * appended to X-Forwarded-For (earlier ones come from the client and
 * prove nothing).  Left unchanged unless it is a valid address.
 */
static void
forwarded_for(const struct request *req, char *out, size_t len)
{
	const char	*h, *last;
	char		 cand[64];
	unsigned char	 a[16];
	size_t		 n;

	h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    "X-Forwarded-For");
	if (h == NULL)
		return;
	last = strrchr(h, ',');
	last = last != NULL ? last + 1 : h;
	while (*last == ' ')
		last++;
	n = strcspn(last, " ");
	if (n == 0 || n >= sizeof(cand))
		return;
	memcpy(cand, last, n);
	cand[n] = '\0';
	if (inet_pton(AF_INET, cand, a) == 1 || inet_pton(AF_INET6, cand, a) == 1)
		snprintf(out, len, "%s", cand);
}

void
request_peer(const struct request *req, char *out, size_t len)
{
	const union MHD_ConnectionInfo	*ci;
	const struct sockaddr		*sa;

	snprintf(out, len, "%s", "unknown");
	ci = MHD_get_connection_info(req->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)len);
	if (trusted_proxy[0] != '\0' && strcmp(out, trusted_proxy) == 0)
		forwarded_for(req, out, len);
}

/* Request ids. */

static int
request_id_ok(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++) {
		if (n >= REQUEST_ID_MAX - 1)
			return (0);
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' &&
		    s[n] != '_' && s[n] != '.')
			return (0);
	}
	return (n > 0);
}

static void
request_id_generate(char *out)
{
	static _Thread_local uint64_t	 state[2];
	uint8_t				 b[16];
	uint64_t			 x, y;
	int				 i;

	/* xorshift128+ seeded from the kernel: ids need uniqueness, not secrecy. */
	if (state[0] == 0 && state[1] == 0) {
		if (random_fill(state, sizeof(state)) == -1) {
			state[0] = (uint64_t)clock_mono() ^ (uint64_t)getpid();
			state[1] = (uint64_t)(uintptr_t)&state;
		}
		state[0] |= 1;
	}
	for (i = 0; i < 2; i++) {
		x = state[0];
		y = state[1];
		state[0] = y;
		x ^= x << 23;
		state[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
		memcpy(b + 8 * i, &(uint64_t){ state[1] + y }, 8);
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	/* A UUID's 8-4-4-4-12 groups. */
	hex_encode(b, 4, out);
	out[8] = '-';
	hex_encode(b + 4, 2, out + 9);
	out[13] = '-';
	hex_encode(b + 6, 2, out + 14);
	out[18] = '-';
	hex_encode(b + 8, 2, out + 19);
	out[23] = '-';
	hex_encode(b + 10, 6, out + 24);
}

/* Accept-Language: the best of fr, en, it by q-value; fr by default. */
static enum lang
lang_negotiate(const char *h)
{
	enum lang	 best = LANG_FR;
	double		 bestq = -1, q;
	const char	*p = h, *e, *qp;
	enum lang	 l;
	int		 known;

	if (h == NULL)
		return (LANG_FR);
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		known = 1;
		if (strncasecmp(p, "fr", 2) == 0)
			l = LANG_FR;
		else if (strncasecmp(p, "en", 2) == 0)
			l = LANG_EN;
		else if (strncasecmp(p, "it", 2) == 0)
			l = LANG_IT;
		else {
			known = 0;
			l = LANG_FR;
		}
		if (known && (p[2] == '-' || p[2] == ';' || p[2] == ',' ||
		    p[2] == ' ' || p[2] == '\0')) {
			q = 1.0;
			qp = strstr(p, ";q=");
			if (qp != NULL && qp < e)
				q = strtod(qp + 3, NULL);
			if (q > bestq) {
				bestq = q;
				best = l;
			}
		}
		p = e;
	}
	return (best);
}

/* Body checks decided on the first call, answered on the next. */

static int
content_type_is_json(const char *ct)
{
	size_t	 n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return (0);
	ct += n;
	while (*ct == ' ')
		ct++;
	if (*ct == '\0')
		return (1);
	if (*ct != ';')
		return (0);
	ct++;
	while (*ct == ' ')
		ct++;
	return (strncasecmp(ct, "charset=utf-8", 13) == 0 &&
	    (ct[13] == '\0' || ct[13] == ' ' || ct[13] == ';'));
}

static int
content_type_is_form(const char *ct)
{
	size_t	 n = strlen("application/x-www-form-urlencoded");

	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded",
	    n) != 0)
		return (0);
	ct += n;
	while (*ct == ' ')
		ct++;
	return (*ct == '\0' || *ct == ';');
}

/*
 * A form body becomes a JSON object of strings, so that one checker
 * validates both encodings.  NULL with a reason when malformed.
 */
json_t *
request_form_fields(struct request *req, const char **why)
{
	json_t		*o;
	char		*copy, *pair, *save = NULL, *eq, *k, *v;
	json_t		*kv;

	o = json_array();
	if (req->body.len == 0)
		return (o);
	copy = request_strdup(req, req->body.data);
	if (strlen(copy) != req->body.len) {
		*why = "NUL byte in the form";
		goto bad;
	}
	for (pair = strtok_r(copy, "&", &save); pair != NULL;
	    pair = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(pair, '=')) == NULL) {
			*why = "form field without '='";
			goto bad;
		}
		*eq = '\0';
		if ((k = query_decode(req, pair)) == NULL ||
		    (v = query_decode(req, eq + 1)) == NULL ||
		    (kv = json_pack("[s, s]", k, v)) == NULL) {
			*why = "a form field is not text (a bad %-escape, a "
			    "NUL byte or invalid UTF-8)";
			goto bad;
		}
		json_array_append_new(o, kv);
	}
	return (o);
bad:
	json_decref(o);
	return (NULL);
}

static json_t *
form_to_json(struct request *req, const char **why)
{
	json_t		*fields, *o;
	const json_t	*kv;
	const char	*k;
	size_t		 i;

	if ((fields = request_form_fields(req, why)) == NULL)
		return (NULL);
	o = json_object();
	json_array_foreach(fields, i, kv) {
		k = json_string_value(json_array_get(kv, 0));
		if (json_object_get(o, k) != NULL) {
			*why = "duplicate form field";
			json_decref(fields);
			json_decref(o);
			return (NULL);
		}
		json_object_set(o, k, json_array_get(kv, 1));
	}
	json_decref(fields);
	return (o);
}

static int
has_body(struct MHD_Connection *conn)
{
	const char	*cl, *te;

	te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (te != NULL)
		return (1);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	return (cl != NULL && strtoull(cl, NULL, 10) > 0);
}

/*
 * The request as it came on the wire, checked on the first call from what
 * libmicrohttpd 0.9.75 parsed.  It keeps the request line and the header
 * fields in place in the connection's memory, [method, method + header
 * size): each query argument, header name and value points there, and
 * what separated them (' ', '?', '&', '=', ':', CR, LF) became NUL bytes.
 * Any other byte between two of them was hidden by a NUL byte sent inside
 * a line (the strings stop there), or belongs to an obsolete folded line:
 * such a request is refused, not read as something the client did not
 * send.  The walk also prices the request in connection memory and reads
 * its framing headers, so that every problem is answered here, at once,
 * with its own status.
 */
#define FIELD_COST	64	/* libmicrohttpd's record of one field */
#define REPLY_ROOM	2048	/* connection memory our answers need */

struct wire {
	const char	*hi;		/* end of the request's head */
	const char	*at;		/* end of the last piece seen */
	const char	*version;
	int		 in_headers;
	int		 hidden;	/* a NUL byte inside a line, or obs-fold */
	int		 bad_query;
	size_t		 cost;		/* connection memory used */
	const char	*cl;		/* the first Content-Length */
	size_t		 cl_len;
	int		 cl_conflict;
	int		 te;		/* 0 none, 1 "chunked", 2 other codings */
};

/*
 * The piece [p, p + n) follows the last one, with only NUL bytes between
 * (and spaces or tabs when 'ws'); -1 otherwise.
 */
static int
wire_next(struct wire *w, const char *p, size_t n, int ws)
{
	const char	*q;

	if ((uintptr_t)p < (uintptr_t)w->at ||
	    (uintptr_t)p + n > (uintptr_t)w->hi)
		return (-1);
	for (q = w->at; q < p; q++)
		if (*q != '\0' && (!ws || (*q != ' ' && *q != '\t')))
			return (-1);
	w->at = p + n;
	return (0);
}

static enum MHD_Result
wire_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen,
    const char *value, size_t vlen)
{
	struct wire	*w = cls;

	w->cost += FIELD_COST;
	if (kind == MHD_GET_ARGUMENT_KIND) {
		if (wire_next(w, key, klen, 0) == -1 || (value != NULL &&
		    wire_next(w, value, vlen, 0) == -1))
			w->hidden = 1;
		if (form_decode(key, klen, NULL) == -1 || (value != NULL &&
		    form_decode(value, vlen, NULL) == -1))
			w->bad_query = 1;
		return (MHD_YES);
	}
	if (kind != MHD_HEADER_KIND)
		return (MHD_YES);
	if (!w->in_headers) {
		w->in_headers = 1;
		if (wire_next(w, w->version, strlen(w->version), 0) == -1)
			w->hidden = 1;
	}
	if (wire_next(w, key, klen, 0) == -1 ||
	    wire_next(w, value, vlen, 1) == -1)
		w->hidden = 1;
	if (klen == sizeof(MHD_HTTP_HEADER_CONTENT_LENGTH) - 1 &&
	    strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (w->cl == NULL) {
			w->cl = value;
			w->cl_len = vlen;
		} else if (vlen != w->cl_len || memcmp(value, w->cl, vlen) != 0)
			w->cl_conflict = 1;
	} else if (klen == sizeof(MHD_HTTP_HEADER_TRANSFER_ENCODING) - 1 &&
	    strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		w->te = w->te == 0 && strcasecmp(value, "chunked") == 0 ? 1 : 2;
	else if (klen == sizeof(MHD_HTTP_HEADER_COOKIE) - 1 &&
	    strcasecmp(key, MHD_HTTP_HEADER_COOKIE) == 0)
		w->cost += vlen + 1;	/* parsed from a copy */
	return (MHD_YES);
}

enum check { CHECK_OK, CHECK_REFUSED, CHECK_TOO_LARGE };

/* CHECK_OK when the request may be routed; otherwise a problem is set. */
static enum check
request_check(struct request *req, struct MHD_Connection *conn,
    const char *method, const char *url, const char *version)
{
	const union MHD_ConnectionInfo	*ci;
	struct wire			 w;
	size_t				 line;
	char				 cap[24];

	ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci == NULL)
		return (CHECK_OK);
	memset(&w, 0, sizeof(w));
	w.hi = method + ci->header_size;
	w.at = method;
	w.version = version;
	w.cost = ci->header_size;
	if (wire_next(&w, method, strlen(method), 0) == -1 ||
	    wire_next(&w, url, strlen(url), 1) == -1)
		w.hidden = 1;
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND |
	    MHD_GET_ARGUMENT_KIND | MHD_COOKIE_KIND, wire_field, &w);
	if (!w.in_headers && wire_next(&w, version, strlen(version), 0) == -1)
		w.hidden = 1;
	if (wire_next(&w, w.hi, 0, 0) == -1)
		w.hidden = 1;
	if (w.cost > (size_t)cfg.connection_memory_limit) {
		/* 414 when the line is the larger part, 431 otherwise. */
		line = (size_t)(version + strlen(version) - method);
		snprintf(cap, sizeof(cap), "%d", cfg.connection_memory_limit);
		reply_error(req, HTTP_ERR(line > ci->header_size - line ?
		    HE_URI_TOO_LONG : HE_HEADERS_TOO_LARGE), cap);
		return (CHECK_TOO_LARGE);
	}
	if (w.hidden)
		reply_error(req, HTTP_ERR(HE_NUL_IN_HEAD));
	else if (w.te == 2)
		reply_error(req, HTTP_ERR(HE_TRANSFER_CODING));
	else if (w.te == 1 && w.cl != NULL)
		reply_error(req, HTTP_ERR(HE_LENGTH_AND_CHUNKED));
	else if (w.cl_conflict)
		reply_error(req, HTTP_ERR(HE_LENGTH_CONFLICT));
	else if (w.bad_query)
		reply_error(req, HTTP_ERR(HE_QUERY_NOT_TEXT));
	else
		return (CHECK_OK);
	return (CHECK_REFUSED);
}

static void
reply_body_too_large(struct request *req)
{
	char	 cap[24];

	snprintf(cap, sizeof(cap), "%zu", req->body_cap);
	reply_error(req, HTTP_ERR(HE_BODY_TOO_LARGE), cap);
}

/*
 * 1 when the media type of the Content-Type 'ct' (what comes before any
 * ';', without spaces) is one of the space-separated 'list', in any case.
 */
static int
media_type_in(const char *ct, const char *list)
{
	const char	*p;
	size_t		 n;

	if (ct == NULL)
		return (0);
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	for (p = ct + n; *p == ' ' || *p == '\t'; p++)
		;
	if (*p != '\0' && *p != ';')
		return (0);
	return (media_type_listed(list, ct, n));
}

/* The cap of a route's body (route.h). */
static size_t
route_body_cap(const struct route *r)
{
	if (r->body_types == NULL)
		return (r->body_max > 0 ? r->body_max : cfg.body_max);
	return (r->body_max > 0 && r->body_max < cfg.upload_max ?
	    r->body_max : cfg.upload_max);
}

static void
route_request(struct request *req, struct MHD_Connection *conn)
{
	const struct route	*r;
	char			 allow[64];
	const char		*cl, *ct;
	unsigned long long	 n;

	switch (route_match(req->method, req->path, req, &req->route_index,
	    allow, sizeof(allow))) {
	case ROUTE_NOT_FOUND:
		reply_error(req, HTTP_ERR(HE_NO_ROUTE));
		req->early = 1;
		return;
	case ROUTE_BAD_METHOD:
		reply_error(req, HTTP_ERR(HE_METHOD), allow);
		reply_header(req, "Allow", allow);
		req->early = 1;
		return;
	case ROUTE_FOUND:
		break;
	}
	r = req->route = router_at((size_t)req->route_index);
	if (!(r->flags & ROUTE_BODY)) {
		if (has_body(conn)) {
			reply_error(req, HTTP_ERR(HE_BODY_NOT_ALLOWED));
			req->early = 1;
		}
		return;
	}
	req->body_cap = route_body_cap(r);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && (n = strtoull(cl, NULL, 10)) > req->body_cap) {
		reply_body_too_large(req);
		req->early = 1;
		return;
	}
	if (cl != NULL)
		req->body_expect = (size_t)n;
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (r->body_types != NULL) {
		if (!media_type_in(ct, r->body_types)) {
			reply_error(req, HTTP_ERR(HE_MEDIA_TYPE_OTHER),
			    r->body_types);
			req->early = 1;
		}
	} else if ((r->flags & ROUTE_BODY_OPTIONAL) && !has_body(conn)) {
		/* Nothing to type-check. */
	} else if ((r->flags & ROUTE_FORM) && content_type_is_form(ct)) {
		req->form = 1;
	} else if (!content_type_is_json(ct)) {
		reply_error(req, HTTP_ERR((r->flags & ROUTE_FORM) ?
		    HE_MEDIA_TYPE_FORM : HE_MEDIA_TYPE));
		req->early = 1;
	}
}

/* reply.h, "Conditional GET": after the handler of a public GET. */
static void
conditional_get(struct request *req)
{
	struct reply	*rp = &req->reply;
	const char	*cc, *etag;
	char		 computed[40];

	if (rp->status != 200 || rp->stream != NULL || rp->detach != NULL ||
	    req->route->perm != PERM_PUBLIC ||
	    (strcmp(req->method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(req->method, MHD_HTTP_METHOD_HEAD) != 0))
		return;
	cc = reply_header_get(req, "Cache-Control");
	if (cc != NULL && strstr(cc, "no-store") != NULL)
		return;
	if ((etag = reply_header_get(req, "ETag")) == NULL) {
		if (rp->static_body != NULL)
			etag_of(rp->static_body, rp->static_len, computed);
		else
			etag_of(rp->body.data != NULL ? rp->body.data : "",
			    rp->body.len, computed);
		reply_header(req, "ETag", computed);
		etag = computed;
	}
	/*
	 * A signed-in caller's answer may depend on them (the language of
	 * their account): no shared cache keeps it.
	 */
	if (cc == NULL)
		reply_header(req, "Cache-Control", req->principal != NULL ?
		    "private, no-cache" : "public, no-cache");
	if (etag_match(request_header(req, "If-None-Match"), etag)) {
		/* RFC 9110 15.4.5: the headers of the 200, without content. */
		rp->status = 304;
		rp->static_body = NULL;
		rp->static_len = 0;
		buf_reset(&rp->body);
		rp->content_type = NULL;
	}
}

/*
 * Parse and check the route's JSON input into req->json: 0, or -1 with
 * the reply set.
 */
static int
input_or_reply(struct request *req)
{
	const struct route	*r = req->route;
	struct json_parse_error	 perr;
	json_t			*errors;
	size_t			 nerr;
	const char		*why = NULL;

	if (req->body.len == 0 && !(r->flags & ROUTE_BODY_OPTIONAL)) {
		reply_error(req, HTTP_ERR(HE_BODY_REQUIRED));
		return (-1);
	}
	if (req->body.len == 0)
		req->json = json_object();
	else if (req->form) {
		if ((req->json = form_to_json(req, &why)) == NULL) {
			reply_error(req, HTTP_ERR(HE_MALFORMED_FORM), why);
			return (-1);
		}
	} else
		req->json = json_parse_strict(req->body.data, req->body.len,
		    cfg.json_max_depth, &perr);
	if (req->json == NULL) {
		reply_error(req, HTTP_ERR(HE_MALFORMED_JSON), perr.reason);
		return (-1);
	}
	errors = json_array();
	nerr = json_check(req->json, r->input, req->lang, errors);
	if (nerr > 0) {
		reply_validation(req, errors, nerr);
		return (-1);
	}
	json_decref(errors);
	return (0);
}

/* The pipeline, once the whole body is in. */
static void
run(struct request *req)
{
	const struct route	*r = req->route;

	if (guard != NULL && guard(req) == -1)
		return;
	/* The one authorization choke point: every route passes here. */
	switch (policy_allows(req->principal, r->perm, r->scope,
	    r->department)) {
	case POLICY_ALLOW:
		break;
	case POLICY_UNAUTHENTICATED:
		reply_error(req, HTTP_ERR(HE_UNAUTHENTICATED));
		return;
	case POLICY_FORBIDDEN:
		log_info("request %s: %s %s denied to %s (needs %s)", req->id,
		    r->method, r->pattern, req->principal_id, perm_name(r->perm));
		reply_error(req, HTTP_ERR(HE_FORBIDDEN));
		return;
	}
	if (r->input != NULL && req->json == NULL && input_or_reply(req) == -1)
		return;
	if (replay_hooks != NULL && replay_hooks->begin(req) != 0)
		return;
	r->handler(req);
	if (req->reply.status == 0) {
		log_warnx("request %s: handler for %s %s set no reply",
		    req->id, r->method, r->pattern);
		reply_error(req, HTTP_ERR(HE_NO_REPLY));
	}
	if (replay_hooks != NULL)
		replay_hooks->end(req);
	conditional_get(req);
}

struct stream_ctx {
	long		(*next)(void *, char *, size_t);
	void		*cls;
	void		(*done)(void *);
	size_t		*sent;		/* the request's counter (outlives us) */
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_ctx	*sc = cls;
	long			 n;

	(void)pos;
	n = sc->next(sc->cls, buf, max);
	if (n < 0)
		return (MHD_CONTENT_READER_END_WITH_ERROR);
	if (n == 0)
		return (MHD_CONTENT_READER_END_OF_STREAM);
	*sc->sent += (size_t)n;
	return ((ssize_t)n);
}

static void
stream_free(void *cls)
{
	struct stream_ctx	*sc = cls;

	if (sc->done != NULL)
		sc->done(sc->cls);
	free(sc);
}

/* What every response says besides X-Request-Id (and no-store by default). */
static const char *const std_headers[][2] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
};
#define NSTD_HEADERS	(sizeof(std_headers) / sizeof(std_headers[0]))

/*
 * The head of an answer written to the socket by us rather than by
 * libmicrohttpd ('framing': its Content-Length or Transfer-Encoding
 * line, or NULL): the same headers as queue()'s, and the connection
 * closes after it.
 */
static void
head_raw(struct buf *b, const struct request *req, const char *framing)
{
	const struct reply	*rp = &req->reply;
	struct tm		 tm;
	char			 date[64];
	time_t			 now = time(NULL);
	size_t			 i;
	int			 has_cache = 0;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_addf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n"
	    "Content-Type: %s\r\n", rp->status,
	    MHD_get_reason_phrase_for((unsigned int)rp->status), date,
	    rp->content_type);
	if (framing != NULL)
		buf_addf(b, "%s\r\n", framing);
	buf_addf(b, "X-Request-Id: %s\r\n", req->id);
	for (i = 0; i < NSTD_HEADERS; i++)
		buf_addf(b, "%s: %s\r\n", std_headers[i][0], std_headers[i][1]);
	for (i = 0; i < (size_t)rp->nheaders; i++) {
		if (strcasecmp(rp->headers[i].name, "Cache-Control") == 0)
			has_cache = 1;
		buf_addf(b, "%s: %s\r\n", rp->headers[i].name,
		    rp->headers[i].value);
	}
	if (!has_cache)
		buf_adds(b, "Cache-Control: no-store\r\n");
	buf_adds(b, "\r\n");
}

/*
 * The answer to a request that filled the connection's memory: the
 * problem set by request_check(), written to the socket here, then the
 * connection is closed, as libmicrohttpd does with its own 414 and 431.
 * libmicrohttpd 0.9.75 builds a response's head in that memory and,
 * finding no room, would close the connection without a word.  The
 * request has been read whole and nothing was sent for it yet.  Also the
 * answer in the middle of a body (answer_now()).
 */
static enum MHD_Result
answer_raw(struct request *req, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo	*ci;
	struct reply			*rp = &req->reply;
	struct buf			 b;
	char				 framing[64];

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return (MHD_NO);
	snprintf(framing, sizeof(framing), "Content-Length: %zu",
	    rp->body.len);
	buf_init(&b);
	head_raw(&b, req, framing);
	if (strcmp(req->method, MHD_HTTP_METHOD_HEAD) != 0) {
		buf_add(&b, rp->body.data, rp->body.len);
		rp->sent = rp->body.len;
	}
	/* A few hundred bytes: the socket takes them at once. */
	if (send(ci->connect_fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)b.len)
		rp->sent = 0;
	buf_cleanup(&b);
	return (MHD_NO);
}

/*
 * A reply that leaves libmicrohttpd (reply_detach(), the live stream):
 * its head and a duplicate of the socket go to the reply's 'attach', and
 * MHD_NO makes libmicrohttpd close the connection, which frees its memory
 * pool (connection_memory_limit, touched for the most part: an idle
 * stream kept there cost 16 KiB, measured) while the socket stays open
 * through the duplicate.  With MHD_USE_TURBO, libmicrohttpd closes its
 * descriptor without shutdown(2), after taking it out of its epoll set,
 * and writes nothing more.  The access log line says 200, written now.
 */
static enum MHD_Result
detach(struct MHD_Connection *conn, struct request *req)
{
	const union MHD_ConnectionInfo	*ci;
	struct reply			*rp = &req->reply;
	reply_detach_fn			 attach = rp->detach;
	void				*cls = rp->detach_cls;
	struct buf			 b;
	size_t				 len;
	char				*head;
	int				 fd = -1, chunked = !req->http10;

	rp->detach = NULL;
	rp->detach_cls = NULL;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		fd = fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0);
	if (fd == -1) {
		log_warnx("request %s: could not keep its connection: %s",
		    req->id, strerror(errno));
		rp->status = 500;
		attach(cls, -1, NULL, 0, 0);
		return (MHD_NO);
	}
	buf_init(&b);
	/* HTTP/1.0: the body ends when the connection does. */
	head_raw(&b, req, chunked ? "Transfer-Encoding: chunked" : NULL);
	head = buf_detach(&b, &len);
	attach(cls, fd, head, len, chunked);
	return (MHD_NO);
}

/*
 * The answer in the middle of a body (libmicrohttpd queues a response
 * only before the body or after it): answer_raw() writes it and the
 * connection closes, the rest of the body unread.  What the client has
 * already sent is read and dropped first (up to 64 KiB), so that the
 * close is less likely to be a reset, which could destroy the answer
 * before the client reads it.
 */
static enum MHD_Result
answer_now(struct request *req, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo	*ci;
	char				 sink[4096];
	size_t				 dropped = 0;
	ssize_t				 n;

	req->phase = PH_DONE;
	(void)answer_raw(req, conn);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL) {
		shutdown(ci->connect_fd, SHUT_WR);
		while (dropped < 64 * 1024 && (n = recv(ci->connect_fd, sink,
		    sizeof(sink), MSG_DONTWAIT)) > 0)
			dropped += (size_t)n;
	}
	return (MHD_NO);
}

/*
 * Append to an upload's body.  Its buffer grows by doubling up to what the
 * request can hold (its Content-Length, else its cap), and its capacity
 * counts against upload_memory, which all uploads being received share:
 * -1 (nothing changed) when the growth does not fit.  So memory for
 * uploads is at most upload_memory, whatever the number of connections,
 * and one upload holds at most its cap.
 */
static int
upload_append(struct request *req, const char *p, size_t n)
{
	struct buf	*b = &req->body;
	size_t		 want = b->len + n + 1, ncap, limit, cur, more;

	if (want > b->cap) {
		limit = (req->body_expect > 0 ? req->body_expect :
		    req->body_cap) + 1;
		ncap = b->cap < 64 * 1024 ? 64 * 1024 : b->cap * 2;
		if (ncap > limit)
			ncap = limit;
		if (ncap < want)
			ncap = want;
		more = ncap - req->body_held;
		cur = atomic_load(&upload_held);
		do {
			if (cur + more > cfg.upload_memory) {
				metrics_count(MC_UPLOAD_REFUSED);
				return (-1);
			}
		} while (!atomic_compare_exchange_weak(&upload_held, &cur,
		    cur + more));
		req->body_held += more;
		metrics_gauge_add(MG_UPLOAD_BYTES, (long)more);
		buf_reserve(b, ncap);
	}
	buf_add(b, p, n);
	return (0);
}

/* Free the body, and give back the upload memory it held. */
static void
body_drop(struct request *req)
{
	buf_cleanup(&req->body);
	if (req->body_held > 0) {
		atomic_fetch_sub(&upload_held, req->body_held);
		metrics_gauge_add(MG_UPLOAD_BYTES, -(long)req->body_held);
		req->body_held = 0;
	}
}

static enum MHD_Result
queue(struct MHD_Connection *conn, struct request *req)
{
	struct MHD_Response	*resp;
	struct reply		*rp = &req->reply;
	enum MHD_Result		 ret;
	size_t			 len;
	char			*body;
	int			 i, has_cache = 0;

	if (rp->detach != NULL)
		return (detach(conn, req));
	if (rp->stream != NULL) {
		struct stream_ctx	*sc = xcalloc(1, sizeof(*sc));

		/* The response owns the producer from here on. */
		sc->next = rp->stream;
		sc->cls = rp->stream_cls;
		sc->done = rp->stream_done;
		sc->sent = &rp->sent;
		rp->stream = NULL;
		rp->stream_cls = NULL;
		rp->stream_done = NULL;
		resp = MHD_create_response_from_callback(rp->stream_len ==
		    UINT64_MAX ? MHD_SIZE_UNKNOWN : rp->stream_len,
		    32 * 1024,
		    stream_read, sc, stream_free);
	} else if (rp->static_body != NULL) {
		rp->sent = rp->static_len;
		resp = MHD_create_response_from_buffer(rp->static_len,
		    (void *)(uintptr_t)rp->static_body, MHD_RESPMEM_PERSISTENT);
	} else {
		body = buf_detach(&rp->body, &len);
		rp->sent = len;
		resp = MHD_create_response_from_buffer(len, body,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (resp == NULL)
		return (MHD_NO);
	if (rp->content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    rp->content_type);
	MHD_add_response_header(resp, "X-Request-Id", req->id);
	for (i = 0; i < (int)NSTD_HEADERS; i++)
		MHD_add_response_header(resp, std_headers[i][0],
		    std_headers[i][1]);
	for (i = 0; i < rp->nheaders; i++) {
		if (strcasecmp(rp->headers[i].name, "Cache-Control") == 0)
			has_cache = 1;
		MHD_add_response_header(resp, rp->headers[i].name,
		    rp->headers[i].value);
	}
	if (!has_cache)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (rp->content_type != NULL &&
	    strncmp(rp->content_type, "text/html", 9) == 0) {
		MHD_add_response_header(resp, "Content-Security-Policy",
		    "default-src 'self'; script-src 'self'; object-src 'none'; "
		    "frame-ancestors 'none'; base-uri 'none'");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
	if (req->draining || atomic_load(&draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	ret = MHD_queue_response(conn, (unsigned int)rp->status, resp);
	MHD_destroy_response(resp);
	return (ret);
}

static void	run(struct request *);

/* request.h */
void
request_peer_key(const struct request *req, unsigned char *key)
{
	char		 peer[64];
	struct in6_addr	 a6;

	memset(key, 0, 17);
	request_peer(req, peer, sizeof(peer));
	if (inet_pton(AF_INET, peer, key + 1) == 1)
		key[0] = AF_INET;
	else if (inet_pton(AF_INET6, peer, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			key[0] = AF_INET;
			memcpy(key + 1, a6.s6_addr + 12, 4);
		} else {
			key[0] = AF_INET6;
			memcpy(key + 1, a6.s6_addr, 8);
		}
	}
}

/* request.h: request_peer_key() as text. */
void
request_peer_group(const struct request *req, char *out, size_t len)
{
	unsigned char	 key[17];
	struct in6_addr	 a6;
	char		 t[INET6_ADDRSTRLEN];

	request_peer_key(req, key);
	if (key[0] == AF_INET && inet_ntop(AF_INET, key + 1, t,
	    sizeof(t)) != NULL)
		snprintf(out, len, "%s", t);
	else if (key[0] == AF_INET6) {
		memset(&a6, 0, sizeof(a6));
		memcpy(a6.s6_addr, key + 1, 8);
		if (inet_ntop(AF_INET6, &a6, t, sizeof(t)) != NULL)
			snprintf(out, len, "%s/64", t);
		else
			snprintf(out, len, "%s", "unknown");
	} else
		snprintf(out, len, "%s", "unknown");
}

static struct flow **
flow_slot(struct lane *l, const unsigned char *key)
{
	struct flow	**fp;
	uint32_t	  h = 2166136261u;
	int		  i;

	for (i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	for (fp = &l->buckets[h & (l->nbuckets - 1)]; *fp != NULL;
	    fp = &(*fp)->chain)
		if (memcmp((*fp)->key, key, 17) == 0)
			break;
	return (fp);
}

/*
 * The entry of a route's lane_key 'key' (under the lane's lock): the one
 * in use, else an unused one when 'add', else NULL.
 */
static struct lane_keyed *
keyed_slot(struct lane *l, const unsigned char *key, int add)
{
	struct lane_keyed	*k, *unused = NULL;
	size_t			 i, n = l->cap + (size_t)l->nworkers;

	for (i = 0; i < n; i++) {
		k = &l->keyed[i];
		if (k->held == 0) {
			if (unused == NULL)
				unused = k;
		} else if (memcmp(k->key, key, 17) == 0)
			return (k);
	}
	if (add && unused != NULL)
		memcpy(unused->key, key, 17);
	return (add ? unused : NULL);
}

/* A request leaves the lane: what it held (under the lane's lock). */
static void
lane_release(struct lane *l, struct flow *f, struct request *req)
{
	struct flow		**fp;
	struct lane_keyed	 *k;

	if (req->lane_keyed && (k = keyed_slot(l, req->lane_key, 0)) != NULL)
		k->held--;
	if (--f->held == 0) {
		fp = flow_slot(l, f->key);
		*fp = f->chain;
		STAILQ_INSERT_HEAD(&l->unused, f, turn);
		metrics_gauge(l->mg + 1, (long)--l->naddr);
	}
}

static void *
lane_worker(void *arg)
{
	struct lane	*l = arg;
	struct request	*req;
	struct flow	*f;

	for (;;) {
		pthread_mutex_lock(&l->mtx);
		while (STAILQ_EMPTY(&l->turns) && !l->stop)
			pthread_cond_wait(&l->cv, &l->mtx);
		if (STAILQ_EMPTY(&l->turns)) {
			pthread_mutex_unlock(&l->mtx);
			break;
		}
		/* The next address in turn gives its oldest request. */
		f = STAILQ_FIRST(&l->turns);
		STAILQ_REMOVE_HEAD(&l->turns, turn);
		req = f->head;
		f->waiting--;
		if ((f->head = req->lane_next) == NULL) {
			f->tail = NULL;
			f->active = 0;
		} else
			STAILQ_INSERT_TAIL(&l->turns, f, turn);
		l->len--;
		metrics_gauge(l->mg, (long)l->len);
		pthread_mutex_unlock(&l->mtx);
		run(req);
		pthread_mutex_lock(&l->mtx);
		lane_release(l, f, req);
		pthread_mutex_unlock(&l->mtx);
		req->phase = PH_READY;
		MHD_resume_connection(req->conn);
	}
	return (NULL);
}

/*
 * The queue is full: take the newest waiting request of the address with
 * the most waiting, if it has at least two more than 'mine' (the
 * newcomer's address would then still have fewer).  NULL when none has.
 */
static struct request *
lane_displace(struct lane *l, size_t mine)
{
	struct flow	*f, *most = NULL;
	struct request	*req, *prev = NULL;

	STAILQ_FOREACH(f, &l->turns, turn)
		if (most == NULL || f->waiting > most->waiting)
			most = f;
	if (most == NULL || most->waiting < mine + 2)
		return (NULL);
	for (req = most->head; req->lane_next != NULL; req = req->lane_next)
		prev = req;
	/* At least two waiting: the newest is not the only one. */
	prev->lane_next = NULL;
	most->tail = prev;
	most->waiting--;
	l->len--;
	lane_release(l, most, req);
	return (req);
}

/* A route's lane_key as a key of the lane: apart from any address's. */
static void
lane_key_of(const char *k, unsigned char *key)
{
	unsigned char	 md[SHA256_LEN];

	sha256(k, strlen(k), md);
	key[0] = 0xff;
	memcpy(key + 1, md, 16);
}

/* Hand 'req' to a lane, unless its address, its key or the lane is full. */
static enum lane_result
lane_submit(struct lane *l, struct request *req)
{
	unsigned char		 key[17];
	struct flow		**fp, *f;
	struct lane_keyed	 *k = NULL;
	struct request		 *out = NULL;

	request_peer_key(req, key);
	pthread_mutex_lock(&l->mtx);
	if (l->stop) {
		pthread_mutex_unlock(&l->mtx);
		metrics_count(l->mc + 2);
		return (LANE_FULL);
	}
	fp = flow_slot(l, key);
	if ((f = *fp) != NULL && f->held >= l->share) {
		pthread_mutex_unlock(&l->mtx);
		metrics_count(l->mc + 1);
		return (LANE_SHARE);
	}
	if (req->lane_keyed && (k = keyed_slot(l, req->lane_key, 0)) != NULL &&
	    k->held >= (l->share < LANE_KEY_SHARE ? l->share :
	    LANE_KEY_SHARE)) {
		pthread_mutex_unlock(&l->mtx);
		metrics_count(l->mc + 4);
		return (LANE_ACCOUNT);
	}
	if (l->len == l->cap &&
	    (out = lane_displace(l, f != NULL ? f->waiting : 0)) == NULL) {
		pthread_mutex_unlock(&l->mtx);
		metrics_count(l->mc + 2);
		return (LANE_FULL);
	}
	/* A displaced request was another flow's (it held more): f, fp stand. */
	if (f == NULL) {
		/* Never empty: cap waiting and nworkers running at most. */
		f = *fp = STAILQ_FIRST(&l->unused);
		STAILQ_REMOVE_HEAD(&l->unused, turn);
		memcpy(f->key, key, sizeof(key));
		f->chain = NULL;
		f->held = f->waiting = 0;
		f->head = f->tail = NULL;
		f->active = 0;
		metrics_gauge(l->mg + 1, (long)++l->naddr);
	}
	/* Never NULL: as many entries as flows. */
	if (req->lane_keyed && (k = keyed_slot(l, req->lane_key, 1)) != NULL)
		k->held++;
	req->phase = PH_QUEUED;
	MHD_suspend_connection(req->conn);
	req->lane_next = NULL;
	if (f->tail != NULL)
		f->tail->lane_next = req;
	else
		f->head = req;
	f->tail = req;
	f->held++;
	f->waiting++;
	if (!f->active) {
		f->active = 1;
		STAILQ_INSERT_TAIL(&l->turns, f, turn);
	}
	l->len++;
	metrics_gauge(l->mg, (long)l->len);
	metrics_count(l->mc);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mtx);
	if (out != NULL) {
		metrics_count(l->mc + 3);
		reply_error(out, HTTP_ERR(HE_SLOW_LANE_DISPLACED));
		reply_header(out, "Retry-After", "1");
		out->phase = PH_READY;
		MHD_resume_connection(out->conn);
	}
	return (LANE_QUEUED);
}

static void
lane_start(struct lane *l, int nworkers, int queue, int share)
{
	size_t	 i, nflows;

	l->cap = (size_t)(queue > 0 ? queue : 1);
	l->share = (size_t)(share > 0 ? share : 1);
	l->nworkers = nworkers > 0 ? nworkers : 1;
	nflows = l->cap + (size_t)l->nworkers;
	l->flows = xcalloc(nflows, sizeof(*l->flows));
	for (i = 0; i < nflows; i++)
		STAILQ_INSERT_HEAD(&l->unused, &l->flows[i], turn);
	for (l->nbuckets = 16; l->nbuckets < 2 * nflows; l->nbuckets *= 2)
		;
	l->buckets = xcalloc(l->nbuckets, sizeof(*l->buckets));
	l->keyed = xcalloc(nflows, sizeof(*l->keyed));
	l->workers = xcalloc((size_t)l->nworkers, sizeof(*l->workers));
	for (i = 0; i < (size_t)l->nworkers; i++)
		if (pthread_create(&l->workers[i], NULL, lane_worker, l) != 0)
			fatalx("could not start the %s lane", l->name);
}

static void
lane_stop(struct lane *l)
{
	int	 i;

	pthread_mutex_lock(&l->mtx);
	l->stop = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mtx);
	for (i = 0; i < l->nworkers; i++)
		pthread_join(l->workers[i], NULL);
}

/*
 * After the daemon stopped: until then a kept-alive connection may still
 * send a request, which lane_submit() refuses (503) on a stopped lane.
 */
static void
lane_free(struct lane *l)
{
	free(l->workers);
	free(l->buckets);
	free(l->flows);
	free(l->keyed);
	l->keyed = NULL;
	l->workers = NULL;
	l->buckets = NULL;
	l->flows = NULL;
}

/* Data came on an idle connection after it fell idle: 1. */
static int
track_data_since(const struct track *t, int64_t now)
{
	struct tcp_info	 ti;
	socklen_t	 len = sizeof(ti);

	if (getsockopt(t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return (0);
	/* The kernel counts in jiffies: a margin for its rounding. */
	return (now - (int64_t)ti.tcpi_last_data_recv * 1000 >
	    atomic_load(&t->idle_at) + 20000);
}

/* Close a reader (under mtx), unless its head came in meanwhile. */
static void
track_close(struct track *t, enum metric_counter why)
{
	uint64_t	 w = atomic_load(&t->word);

	if ((w & 3) != TR_READING || !atomic_compare_exchange_strong(&t->word,
	    &w, (w & ~(uint64_t)3) | TR_CLOSING))
		return;
	atomic_fetch_sub(&tracks.reading, 1);
	t->closing = 1;
	shutdown(t->fd, SHUT_RDWR);
	metrics_count(why);
}

/* The reader that has been at it longest (under mtx), or NULL. */
static struct track *
track_longest_reader(void)
{
	struct track	*t, *old = NULL;

	for (t = tracks.head; t != NULL; t = t->next)
		if (!t->closing && (atomic_load(&t->word) & 3) == TR_READING &&
		    (old == NULL || t->since < old->since))
			old = t;
	return (old);
}

/* The sweep: deadlines of the readers, and idle connections that read. */
static void *
track_sweep(void *arg)
{
	struct track	*t;
	struct timespec	 ts;
	uint64_t	 w;
	int64_t		 now, limit = (int64_t)cfg.header_timeout * 1000000;

	(void)arg;
	pthread_mutex_lock(&tracks.mtx);
	while (!tracks.stop) {
		now = clock_mono();
		for (t = tracks.head; t != NULL; t = t->next) {
			if (t->closing)
				continue;
			w = atomic_load(&t->word);
			if ((w & 3) == TR_IDLE && track_data_since(t, now) &&
			    atomic_compare_exchange_strong(&t->word, &w,
			    (w & ~(uint64_t)3) | TR_READING)) {
				t->since = now;
				atomic_fetch_add(&tracks.reading, 1);
			} else if ((w & 3) == TR_READING && now - t->since > limit)
				track_close(t, MC_HEADER_TIMEOUTS);
		}
		metrics_gauge(MG_READING_HEADERS, atomic_load(&tracks.reading));
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000 * 1000;
		if (ts.tv_nsec >= 1000 * 1000 * 1000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_cond_timedwait(&tracks.cv, &tracks.mtx, &ts);
	}
	pthread_mutex_unlock(&tracks.mtx);
	return (NULL);
}

static void
connection_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo	*ci;
	struct track			*t, *old;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		t = xcalloc(1, sizeof(*t));
		t->fd = ci != NULL ? ci->connect_fd : -1;
		pthread_mutex_lock(&tracks.mtx);
		t->since = clock_mono();
		/* Room for this one: the longest reader goes. */
		if (atomic_load(&tracks.reading) >=
		    cfg.header_connection_limit &&
		    (old = track_longest_reader()) != NULL)
			track_close(old, MC_HEADER_EVICTIONS);
		atomic_store(&t->word, TR_READING);
		atomic_fetch_add(&tracks.reading, 1);
		t->next = NULL;
		if ((t->prev = tracks.tail) != NULL)
			tracks.tail->next = t;
		else
			tracks.head = t;
		tracks.tail = t;
		pthread_mutex_unlock(&tracks.mtx);
		*socket_ctx = t;
		return;
	}
	if ((t = *socket_ctx) == NULL)
		return;
	pthread_mutex_lock(&tracks.mtx);
	if ((atomic_load(&t->word) & 3) == TR_READING)
		atomic_fetch_sub(&tracks.reading, 1);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		tracks.head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	else
		tracks.tail = t->prev;
	pthread_mutex_unlock(&tracks.mtx);
	free(t);
	*socket_ctx = NULL;
}

static struct track *
track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo	*ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return (ci != NULL ? ci->socket_context : NULL);
}

/* The first access-handler call: the request's head is in. */
static void
track_busy(struct MHD_Connection *conn)
{
	struct track	*t;
	uint64_t	 w;

	if ((t = track_of(conn)) == NULL)
		return;
	w = atomic_load(&t->word);
	w = atomic_exchange(&t->word, (w & ~(uint64_t)3) | TR_BUSY);
	if ((w & 3) == TR_READING)
		atomic_fetch_sub(&tracks.reading, 1);
}

/* The answer is sent: the connection waits for the next request. */
static void
track_idle(struct MHD_Connection *conn, int64_t now)
{
	struct track	*t;
	uint64_t	 w;

	if ((t = track_of(conn)) == NULL)
		return;
	w = atomic_load(&t->word);
	atomic_store(&t->idle_at, now);
	atomic_store(&t->word, ((w >> 2) + 1) << 2 | TR_IDLE);
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct request	*req = *con_cls;
	const char	*rid;

	(void)cls;
	if (req == NULL) {
		track_busy(conn);
		req = xcalloc(1, sizeof(*req));
		req->started = clock_mono();
		req->conn = conn;
		req->method = method;
		req->path = url;
		req->route_index = -1;
		buf_init(&req->body);
		buf_init(&req->reply.body);
		rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "X-Request-Id");
		if (rid != NULL && request_id_ok(rid))
			snprintf(req->id, sizeof(req->id), "%s", rid);
		else
			request_id_generate(req->id);
		req->lang = lang_negotiate(MHD_lookup_connection_value(conn,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
		req->draining = atomic_load(&draining);
		req->http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
		atomic_fetch_add(&inflight, 1);
		*con_cls = req;
		switch (request_check(req, conn, method, url, version)) {
		case CHECK_OK:
			route_request(req, conn);
			break;
		case CHECK_REFUSED:
			req->early = 1;
			break;
		case CHECK_TOO_LARGE:
			req->phase = PH_DONE;
			return (answer_raw(req, conn));
		}
		req->phase = PH_BODY;
		/*
		 * libmicrohttpd accepts a response before the body is read or
		 * after it ended, not in between: a refused body is answered
		 * now (the connection then closes, its body unread).  Without
		 * a body, answer on the next call to keep the connection.
		 */
		if (req->early && has_body(conn)) {
			req->phase = PH_DONE;
			return (queue(conn, req));
		}
		return (MHD_YES);
	}
	if (req->phase == PH_DONE || req->phase == PH_QUEUED)
		return (MHD_YES);
	if (req->phase == PH_READY) {
		req->phase = PH_DONE;
		return (queue(conn, req));
	}
	if (req->early) {
		/* Answer now: the rest of the body is never read. */
		*upload_size = 0;
		req->phase = PH_DONE;
		return (queue(conn, req));
	}
	if (*upload_size > 0) {
		size_t	 n = *upload_size;

		req->body_seen += n;
		*upload_size = 0;
		/*
		 * Past the cap: only a body without Content-Length gets here
		 * (libmicrohttpd reads no more than Content-Length, which
		 * route_request() checked).  Answered now, the rest unread.
		 */
		if (req->body_seen > req->body_cap) {
			body_drop(req);
			reply_body_too_large(req);
			return (answer_now(req, conn));
		}
		if (req->route->body_types == NULL)
			buf_add(&req->body, upload_data, n);
		else if (upload_append(req, upload_data, n) == -1) {
			body_drop(req);
			reply_error(req, HTTP_ERR(HE_UPLOAD_MEMORY));
			return (answer_now(req, conn));
		}
		return (MHD_YES);
	}
	if (req->route->flags & (ROUTE_SLOW | ROUTE_LIST)) {
		/*
		 * A route's second share needs its input: read before the
		 * queue (bad input is answered at once, without a place).
		 */
		if (req->route->lane_key != NULL) {
			char	 k[256];

			if (req->route->input != NULL &&
			    input_or_reply(req) == -1) {
				req->phase = PH_DONE;
				return (queue(conn, req));
			}
			if (req->route->lane_key(req, k, sizeof(k)) == 1) {
				req->lane_keyed = 1;
				lane_key_of(k, req->lane_key);
			}
		}
		switch (lane_submit(req->route->flags & ROUTE_SLOW ?
		    &slow_lane : &list_lane, req)) {
		case LANE_QUEUED:
			return (MHD_YES);
		case LANE_SHARE:
			reply_error(req, HTTP_ERR(HE_SLOW_LANE_SHARE));
			reply_header(req, "Retry-After", "1");
			break;
		case LANE_ACCOUNT:
			reply_error(req, HTTP_ERR(HE_SLOW_LANE_ACCOUNT));
			reply_header(req, "Retry-After", "1");
			break;
		case LANE_FULL:
			reply_error(req, HTTP_ERR(HE_SLOW_LANE_FULL));
			break;
		}
		req->phase = PH_DONE;
		return (queue(conn, req));
	}
	run(req);
	req->phase = PH_DONE;
	return (queue(conn, req));
}

static void
access_log(struct request *req, int64_t us)
{
	struct buf	 b;
	buf_init(&b);
	log_line_begin(&b, "info");
	buf_adds(&b, ",\"type\":\"access\",\"request_id\":");
	buf_add_json_str(&b, req->id);
	buf_adds(&b, ",\"method\":");
	buf_add_json_str(&b, req->method);
	buf_adds(&b, ",\"path\":");
	buf_add_json_str(&b, req->path);
	buf_addf(&b, ",\"status\":%d,\"bytes\":%zu,\"duration_us\":%lld",
	    req->reply.status, req->reply.sent, (long long)us);
	if (req->principal_id[0] != '\0') {
		buf_adds(&b, ",\"principal\":");
		buf_add_json_str(&b, req->principal_id);
	}
	log_line_end(&b);
	buf_cleanup(&b);
}

static void
request_free(struct request *req)
{
	struct alloc	*a, *next;
	int		 i;

	body_drop(req);

	for (i = 0; i < ROUTE_PARAMS_MAX; i++) {
		free((char *)(uintptr_t)req->params[i].name);
		free(req->params[i].value);
	}
	for (a = req->allocs; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	json_decref(req->json);
	reply_reset(req);
	free(req);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request	*req = *con_cls;
	int64_t		 now, us;

	(void)cls;
	if (req == NULL)
		return;
	now = clock_mono();
	track_idle(conn, now);
	us = now - req->started;
	if (req->reply.status == 0)
		/* The client went away before an answer: 499 as nginx says. */
		req->reply.status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ?
		    408 : 499;
	if (log_get_level() <= LOG_LEVEL_INFO)
		access_log(req, us);
	metrics_observe(req->route_index, req->reply.status, us);
	request_free(req);
	*con_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

/* Keep the path as sent: the router decodes each segment itself. */
static size_t
unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return (strlen(s));
}

static void	mhd_log(void *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 msg[512];
	size_t	 n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

/*
 * The acceptor: one thread accepts the connections and hands each to
 * libmicrohttpd (MHD_add_connection()), which gives it to the polling
 * thread its descriptor picks (descriptor modulo threads, the next one
 * when that thread holds its share of connection_limit): new
 * connections spread over the threads.  libmicrohttpd's own accept let
 * the thread that woke first take up to ten connections in a row, so a
 * burst of them (a browser's six, a partner's pool) landed on one or two
 * threads while the others idled, and every request of those waited for
 * its thread's others: GET /api/v1/lifts, 64 connections, p99 from 1.3
 * to 8.5 ms from one burst to the next.
 */
static int		 listen_fd = -1;
static pthread_t	 acceptor;
static _Atomic int	 accepting;

/* libmicrohttpd holds connection_limit connections: 1. */
static int
at_limit(void)
{
	const union MHD_DaemonInfo	*i;

	i = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return (i != NULL && i->num_connections >=
	    (unsigned int)cfg.connection_limit);
}

static void *
accept_loop(void *arg)
{
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	struct timespec		 pause = { 0, 50 * 1000 * 1000 };
	socklen_t		 len;
	int			 fd, n, told = 0;

	(void)arg;
	pfd.fd = listen_fd;
	pfd.events = POLLIN;
	while (atomic_load(&accepting)) {
		/*
		 * At the limit, new connections wait in the backlog, as
		 * they did when libmicrohttpd accepted them itself.
		 */
		if (at_limit()) {
			nanosleep(&pause, NULL);
			continue;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		for (n = 0; n < 64 && atomic_load(&accepting); n++) {
			len = sizeof(ss);
			fd = accept4(listen_fd, (struct sockaddr *)&ss, &len,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd == -1) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				/* Out of descriptors, or worse: a pause. */
				if (!told) {
					told = 1;
					log_warnx("accept: %s", strerror(errno));
				}
				nanosleep(&pause, NULL);
				break;
			}
			/* It closes the socket when it refuses it. */
			(void)MHD_add_connection(daemon_, fd,
			    (struct sockaddr *)&ss, len);
		}
	}
	return (NULL);
}

/* The listening socket on 'sa': 0, or -1 (logged). */
static int
listen_on(const struct sockaddr *sa, socklen_t salen)
{
	int	 one = 1;

	if ((listen_fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	(void)setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one));
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(listen_fd, sa, salen) == -1 || listen(listen_fd, 1024) ==
	    -1) {
		int	 e = errno;

		close(listen_fd);
		listen_fd = -1;
		errno = e;
		return (-1);
	}
	return (0);
}

int
server_start(const struct server_config *c)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr		*sa;
	unsigned int		 flags;

	cfg = *c;
	/* One upload of the largest size must fit. */
	if (cfg.upload_memory < cfg.upload_max + 1)
		cfg.upload_memory = cfg.upload_max + 1;
	snprintf(trusted_proxy, sizeof(trusted_proxy), "%s",
	    c->trusted_proxy != NULL ? c->trusted_proxy : "");
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
	    MHD_USE_NO_LISTEN_SOCKET;
	if (inet_pton(AF_INET, c->listen_address, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)c->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, c->listen_address,
	    &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)c->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		log_warnx("listen_address '%s' is not an IPv4 or IPv6 address",
		    c->listen_address);
		return (-1);
	}
	/*
	 * Request bodies (up to body_max) and their parse trees are the large
	 * allocations here.  glibc raises its mmap threshold to the size of
	 * the first large block freed, after which such blocks come from the
	 * thread's arena and stay in the process once freed (measured: 41 MiB
	 * kept instead of 21 after 288 bodies of 870 KB, 48 at a time).  A
	 * fixed threshold gives each one back to the kernel when freed.
	 * Setting it also fixes the trim threshold at 128 KiB: every list of
	 * a thousand reports (a libpq result and an answer of 0.5 to 1 MB in
	 * small blocks) then gave its thread's heap back (madvise) and took
	 * it again on the next request, page faults and TLB shootdowns that
	 * were 7 to 11 % of guichetd's time on the map.  Up to 2 MiB of free
	 * heap stays per arena: 1.31 ms of guichetd's CPU per map request
	 * instead of 1.54 to 1.65, 1.76 instead of 2.36 to 2.68 per Open311
	 * XML list (wrk -c4, a million reports).
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024);
	live_configure(c->live_limit, c->per_ip_connection_limit,
	    c->connection_timeout);
	metrics_init();
	lane_start(&slow_lane, c->slow_threads, c->slow_queue,
	    c->slow_queue_per_address);
	lane_start(&list_lane, c->list_threads, c->list_queue,
	    c->list_queue_per_address);
	if (listen_on(sa, sa->sa_family == AF_INET6 ? sizeof(sin6) :
	    sizeof(sin)) == -1) {
		log_warnx("could not listen on %s port %d (address in use, or "
		    "not permitted): %s", c->listen_address, c->port,
		    strerror(errno));
		return (-1);
	}
	daemon_ = MHD_start_daemon(flags, 0, NULL, NULL,
	    access_handler, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)c->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->connection_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)c->per_ip_connection_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)c->connection_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)c->connection_memory_limit + REPLY_ROOM,
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, connection_notify, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_END);
	if (daemon_ == NULL) {
		log_warnx("could not start the HTTP server on %s port %d",
		    c->listen_address, c->port);
		close(listen_fd);
		listen_fd = -1;
		return (-1);
	}
	atomic_store(&accepting, 1);
	if (pthread_create(&acceptor, NULL, accept_loop, NULL) != 0)
		fatalx("could not start the acceptor");
	if (pthread_create(&tracks.sweeper, NULL, track_sweep, NULL) != 0)
		fatalx("could not start the connection sweep");
	tracks.running = 1;
	return (0);
}

void
server_stop(int timeout)
{
	int64_t		 deadline;
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };

	if (daemon_ == NULL)
		return;
	atomic_store(&draining, 1);
	/* Streams end now: suspended connections would stop nothing. */
	live_drain();
	/* No new connections from here on; requests in flight go on. */
	atomic_store(&accepting, 0);
	pthread_join(acceptor, NULL);
	close(listen_fd);
	listen_fd = -1;
	deadline = clock_mono() + (int64_t)timeout * 1000000;
	while (atomic_load(&inflight) > 0 && clock_mono() < deadline)
		nanosleep(&ts, NULL);
	if (atomic_load(&inflight) > 0)
		log_warnx("stopping with %ld requests still in flight",
		    atomic_load(&inflight));
	lane_stop(&slow_lane);
	lane_stop(&list_lane);
	MHD_stop_daemon(daemon_);
	lane_free(&slow_lane);
	lane_free(&list_lane);
	daemon_ = NULL;
	if (tracks.running) {
		pthread_mutex_lock(&tracks.mtx);
		tracks.stop = 1;
		pthread_cond_signal(&tracks.cv);
		pthread_mutex_unlock(&tracks.mtx);
		pthread_join(tracks.sweeper, NULL);
		tracks.running = 0;
	}
}
