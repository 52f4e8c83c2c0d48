/*
 * live.c: the live stream's hub (live.h).
 *
 * One mutex guards the ring of events and the list of streams.  The
 * listener thread (db/notify.c) appends an event and wakes the parked
 * streams; the heartbeat thread marks every stream for a comment line and
 * wakes them; libmicrohttpd's threads run each stream's producer, which
 * copies what the stream has not sent yet into the response's buffer, or,
 * when there is nothing, parks the connection.  A stream is a struct of a
 * hundred bytes and a suspended connection: no thread, no timer.
 */
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "db/notify.h"
#include "http/live.h"
#include "http/reply.h"
#include "http/request.h"
#include "http/server.h"

struct slot {
	uint64_t	 id;		/* the event's id (the database's) */
	char		 event[LIVE_EVENT_MAX + 1];
	char		*frame;		/* the whole SSE frame */
	size_t		 len;
};

struct stream {
	struct stream	*next, *prev;
	void		*conn;		/* the request's connection */
	uint64_t	 pos;		/* the next event to send (ring sequence) */
	int		 parked;	/* suspended: wake it for anything new */
	int		 hello;		/* the first frame is due */
	int		 reload;	/* an event "reload" is due */
	int		 heartbeat;	/* a comment line is due */
	int		 closing;	/* end the stream */
	char		*filter;	/* ",lift,slope,", or NULL for every event */
	char		*out;		/* a frame not yet sent whole */
	size_t		 outlen, outoff;
};

static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 hb_cv = PTHREAD_COND_INITIALIZER;
static struct slot	 ring[LIVE_RING];	/* mtx */
static uint64_t		 head;		/* mtx: events appended so far */
static uint64_t		 base;		/* mtx: the oldest still in the ring */
static struct stream	*streams;	/* mtx */
static int		 draining;	/* mtx */
static int		 hb_stop, hb_running;	/* mtx */
static pthread_t	 hb_thread;
static struct live_stats st;		/* mtx */

static const char	 hello[] = "retry: 2000\n: guichet live\n\n";
static const char	 beat[] = ": heartbeat\n\n";
static const char	 reload[] = "event: reload\ndata: "
			    "{\"reason\":\"events were missed: fetch the "
			    "documents again\"}\n\n";

static int
event_name_ok(const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > LIVE_EVENT_MAX || !islower((unsigned char)s[0]))
		return (0);
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_')
			return (0);
	return (1);
}

size_t
live_frame(char *out, size_t len, uint64_t id, const char *event,
    const char *data)
{
	const char	*p, *nl;
	size_t		 n, k;
	int		 r;

	if (!event_name_ok(event))
		return (0);
	r = snprintf(out, len, "id: %llu\nevent: %s\n", (unsigned long long)id,
	    event);
	if (r < 0 || (size_t)r >= len)
		return (0);
	n = (size_t)r;
	/* One "data:" line per line of the data (a CR is a line end too). */
	for (p = data;; p = nl + 1) {
		nl = p + strcspn(p, "\r\n");
		k = (size_t)(nl - p);
		if (n + 6 + k + 1 >= len)
			return (0);
		memcpy(out + n, "data: ", 6);
		memcpy(out + n + 6, p, k);
		n += 6 + k;
		out[n++] = '\n';
		if (*nl == '\0')
			break;
		if (nl[0] == '\r' && nl[1] == '\n')
			nl++;
	}
	if (n + 2 > len)
		return (0);
	out[n++] = '\n';
	out[n] = '\0';
	return (n);
}

/* mtx held: wake every parked stream. */
static void
wake_all(void)
{
	struct stream	*s;

	for (s = streams; s != NULL; s = s->next)
		if (s->parked) {
			s->parked = 0;
			st.parked--;
			st.wakes++;
			server_wake(s->conn);
		}
}

static int
wanted(const struct stream *s, const char *event)
{
	char	 w[LIVE_EVENT_MAX + 3];

	if (s->filter == NULL)
		return (1);
	snprintf(w, sizeof(w), ",%s,", event);
	return (strstr(s->filter, w) != NULL);
}

/* A notification: {"id": N, "event": "...", "data": {...}}. */
static void
on_payload(const char *payload)
{
	json_t		*j;
	const char	*event;
	char		*data, *frame;
	struct slot	*sl;
	size_t		 n;
	json_int_t	 id;

	if ((j = json_loads(payload, 0, NULL)) == NULL)
		return;
	event = json_string_value(json_object_get(j, "event"));
	id = json_integer_value(json_object_get(j, "id"));
	data = json_dumps(json_object_get(j, "data"), JSON_COMPACT |
	    JSON_ENCODE_ANY);
	frame = xmalloc(LIVE_FRAME_MAX);
	n = data != NULL && id > 0 ? live_frame(frame, LIVE_FRAME_MAX,
	    (uint64_t)id, event, data) : 0;
	if (n == 0) {
		log_warnx("live: an event that is not one was ignored");
		free(frame);
		free(data);
		json_decref(j);
		return;
	}
	pthread_mutex_lock(&mtx);
	sl = &ring[head % LIVE_RING];
	free(sl->frame);
	sl->id = (uint64_t)id;
	snprintf(sl->event, sizeof(sl->event), "%s", event);
	sl->frame = frame;
	sl->len = n;
	head++;
	if (head - base > LIVE_RING)
		base = head - LIVE_RING;
	st.events++;
	wake_all();
	pthread_mutex_unlock(&mtx);
	free(data);
	json_decref(j);
}

/*
 * The listening connection was lost or is back: events may have been
 * missed; every stream is told to reload, and no Last-Event-ID from
 * before can be trusted.
 */
static void
on_reset(int listening)
{
	struct stream	*s;

	(void)listening;
	pthread_mutex_lock(&mtx);
	base = head;
	for (s = streams; s != NULL; s = s->next) {
		s->reload = 1;
		s->pos = head;
	}
	wake_all();
	pthread_mutex_unlock(&mtx);
}

static const struct notify_sub sub = {
	"guichet_live", on_payload, on_reset
};

void
live_init(void)
{
	notify_subscribe(&sub);
}

static void *
heartbeat(void *arg)
{
	struct stream	*s;
	struct timespec	 ts;

	(void)arg;
	pthread_mutex_lock(&mtx);
	while (!hb_stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += LIVE_HEARTBEAT;
		pthread_cond_timedwait(&hb_cv, &mtx, &ts);
		if (hb_stop)
			break;
		for (s = streams; s != NULL; s = s->next)
			s->heartbeat = 1;
		wake_all();
	}
	pthread_mutex_unlock(&mtx);
	return (NULL);
}

void
live_start(void)
{
	pthread_mutex_lock(&mtx);
	hb_stop = 0;
	draining = 0;
	pthread_mutex_unlock(&mtx);
	if (pthread_create(&hb_thread, NULL, heartbeat, NULL) != 0)
		fatalx("could not start the live stream's heartbeat");
	hb_running = 1;
}

void
live_stop(void)
{
	if (!hb_running)
		return;
	pthread_mutex_lock(&mtx);
	hb_stop = 1;
	pthread_cond_signal(&hb_cv);
	pthread_mutex_unlock(&mtx);
	pthread_join(hb_thread, NULL);
	hb_running = 0;
}

void
live_drain(void)
{
	struct stream	*s;

	pthread_mutex_lock(&mtx);
	draining = 1;
	for (s = streams; s != NULL; s = s->next)
		s->closing = 1;
	wake_all();
	pthread_mutex_unlock(&mtx);
}

/* mtx held: the next frame 's' should send, or NULL (*len). */
static const char *
next_frame(struct stream *s, size_t *len)
{
	const struct slot	*sl;

	for (;;) {
		if (s->hello) {
			s->hello = 0;
			*len = sizeof(hello) - 1;
			return (hello);
		}
		if (s->reload) {
			s->reload = 0;
			*len = sizeof(reload) - 1;
			return (reload);
		}
		if (s->pos < base) {
			/* Too slow a reader: the ring went past it. */
			s->reload = 1;
			s->pos = head;
			continue;
		}
		if (s->pos < head) {
			sl = &ring[s->pos % LIVE_RING];
			s->pos++;
			if (!wanted(s, sl->event))
				continue;
			*len = sl->len;
			return (sl->frame);
		}
		if (s->heartbeat) {
			s->heartbeat = 0;
			*len = sizeof(beat) - 1;
			return (beat);
		}
		return (NULL);
	}
}

/* The stream's body (reply_stream()): on a libmicrohttpd thread. */
static long
produce(void *cls, char *buf, size_t max)
{
	struct stream	*s = cls;
	const char	*f;
	size_t		 n = 0, k, len;

	pthread_mutex_lock(&mtx);
	if (s->closing && s->outoff == s->outlen) {
		pthread_mutex_unlock(&mtx);
		return (0);
	}
	while (n < max) {
		if (s->outoff < s->outlen) {
			k = s->outlen - s->outoff;
			if (k > max - n)
				k = max - n;
			memcpy(buf + n, s->out + s->outoff, k);
			s->outoff += k;
			n += k;
			if (s->outoff == s->outlen) {
				/* Idle streams hold nothing. */
				free(s->out);
				s->out = NULL;
				s->outlen = s->outoff = 0;
			}
			continue;
		}
		if ((f = next_frame(s, &len)) == NULL)
			break;
		if (len <= max - n) {
			memcpy(buf + n, f, len);
			n += len;
			continue;
		}
		/* Kept whole: the ring may reuse its slot meanwhile. */
		free(s->out);
		s->out = xmalloc(len);
		memcpy(s->out, f, len);
		s->outlen = len;
		s->outoff = 0;
	}
	if (n > 0) {
		pthread_mutex_unlock(&mtx);
		return ((long)n);
	}
	s->parked = 1;
	st.parked++;
	server_park(s->conn);
	pthread_mutex_unlock(&mtx);
	return (REPLY_STREAM_PARKED);
}

static void
done(void *cls)
{
	struct stream	*s = cls;

	pthread_mutex_lock(&mtx);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (s->parked)
		st.parked--;
	st.streams--;
	pthread_mutex_unlock(&mtx);
	free(s->out);
	free(s->filter);
	free(s);
}

/* ?events=lift,slope: "" for none, ",lift,slope," into 'out'; -1 if bad. */
static int
filter_of(const char *q, char *out, size_t len)
{
	char	 copy[128], *t, *save = NULL;
	size_t	 n;

	out[0] = '\0';
	if (q == NULL)
		return (0);
	if (strlen(q) >= sizeof(copy) - 2 || strlen(q) + 2 >= len)
		return (-1);
	snprintf(copy, sizeof(copy), "%s", q);
	snprintf(out, len, ",");
	for (t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (!event_name_ok(t))
			return (-1);
		n = strlen(out);
		snprintf(out + n, len - n, "%s,", t);
	}
	return (strcmp(out, ",") == 0 ? -1 : 0);
}

/* Last-Event-ID: the id, 0 when absent, -1 when not a number. */
static int
last_id(const struct request *req, uint64_t *id)
{
	const char		*h = request_header(req, "Last-Event-ID");
	char			*end;
	unsigned long long	 v;

	*id = 0;
	if (h == NULL || *h == '\0')
		return (0);
	if (!isdigit((unsigned char)*h))
		return (-1);
	v = strtoull(h, &end, 10);
	if (*end != '\0')
		return (-1);
	*id = (uint64_t)v;
	return (0);
}

int
live_handler(struct request *req)
{
	struct stream	*s;
	uint64_t	 last, q;
	char		 filter[128];

	if (filter_of(request_query(req, "events"), filter,
	    sizeof(filter)) == -1) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY),
		    "events=<name>[,<name>...]");
		return (0);
	}
	if (last_id(req, &last) == -1) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "Last-Event-ID");
		return (0);
	}
	s = xcalloc(1, sizeof(*s));
	s->conn = req->conn;
	s->hello = 1;
	/* Most screens want everything: no filter, no memory for one. */
	s->filter = filter[0] != '\0' ? xstrdup(filter) : NULL;
	pthread_mutex_lock(&mtx);
	s->pos = head;
	if (last != 0) {
		/* After the event it saw last, when the ring still has it. */
		s->reload = 1;
		for (q = base; q < head; q++)
			if (ring[q % LIVE_RING].id == last) {
				s->pos = q + 1;
				s->reload = 0;
				break;
			}
	}
	s->closing = draining;
	if ((s->next = streams) != NULL)
		streams->prev = s;
	streams = s;
	st.streams++;
	pthread_mutex_unlock(&mtx);
	reply_stream(req, 200, CT_EVENT_STREAM, produce, s, done);
	/*
	 * Each open stream holds its response's buffer: small pieces (a
	 * frame longer is sent over several calls, from s->out).
	 */
	reply_stream_block(req, LIVE_BLOCK);
	/* No proxy buffering: each event goes at once. */
	reply_header(req, "X-Accel-Buffering", "no");
	return (0);
}

void
live_stats(struct live_stats *out)
{
	pthread_mutex_lock(&mtx);
	*out = st;
	pthread_mutex_unlock(&mtx);
}
