/*
 * live.c: the live stream's hub (live.h).
 *
 * One mutex guards the ring of events, the list of streams and their
 * state.  The listener thread (db/notify.c) appends an event and marks
 * every stream due; the hub's thread (loop()) waits on epoll for the
 * streams' sockets and its eventfd, marks every stream for a comment
 * line each live_heartbeat seconds, and writes to the due streams what
 * they have not sent yet, holding the mutex.  libmicrohttpd's threads
 * never wait for it: the handler checks the request and the limits, and
 * attach() hands the socket over once the server has made the head of
 * the answer (reply_detach()), both under a lock of their own (cnt_mtx),
 * and the hub's thread moves the new streams in.  A stream is a struct
 * of about a hundred bytes: no thread, no timer, no libmicrohttpd
 * connection, no buffer while idle.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
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

/* Streams open from one address (request_peer_key()). */
struct peer {
	struct peer	*next;		/* hash chain */
	unsigned char	 key[17];	/* family, then the address */
	unsigned int	 n;
};
#define PEER_BUCKETS	1024

struct stream {
	struct stream	*next, *prev;	/* the attached streams */
	struct stream	*due_next;	/* the due list */
	struct peer	*peer;		/* its address's count */
	char		*filter;	/* ",lift,slope,", or NULL for every event */
	char		*out;		/* bytes the socket did not take yet */
	size_t		 outlen, outoff;
	uint64_t	 pos;		/* the next event to send (ring sequence) */
	uint64_t	 last;		/* Last-Event-ID, 0: none */
	int64_t		 stalled;	/* clock_mono() since output waits, or 0 */
	int		 fd;
	unsigned int	 due:1;		/* in the due list */
	unsigned int	 hello:1;	/* the first frame is due */
	unsigned int	 reload:1;	/* an event "reload" is due */
	unsigned int	 heartbeat:1;	/* a comment line is due */
	unsigned int	 closing:1;	/* end the stream (its last chunk) */
	unsigned int	 dead:1;	/* the client went away: close */
	unsigned int	 chunked:1;	/* HTTP/1.1: one chunk per frame */
	unsigned int	 pollout:1;	/* waits for EPOLLOUT */
};

static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;
static struct slot	 ring[LIVE_RING];	/* mtx */
static uint64_t		 head;		/* mtx: events appended so far */
static uint64_t		 base;		/* mtx: the oldest still in the ring */
static struct stream	*streams;	/* mtx: attached */
static struct stream	*due_head;	/* mtx: streams with something to do */
/*
 * The counts and the streams handed over, not yet the hub's: their own
 * lock, so that libmicrohttpd's threads never wait for the hub's mutex,
 * which the hub's thread holds while it writes (after it if both).
 */
static pthread_mutex_t	 cnt_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct peer	*peers[PEER_BUCKETS];	/* cnt_mtx */
static uint64_t		 nopen;		/* cnt_mtx: streams counted */
static struct stream	*incoming;	/* cnt_mtx: attached, not yet moved in */
static uint64_t		 refused;	/* cnt_mtx: past a limit */
static int		 draining;	/* mtx */
static int		 stopping;	/* mtx */
static int		 opened;	/* mtx: streams attached since the last trim */
static struct live_stats st;		/* mtx */
static int		 limit = 10000, per_peer, stall_after = 30;	/* cnt_mtx */
static int		 beat_every = LIVE_HEARTBEAT;	/* before live_start() */
static int		 ep = -1, kick_fd = -1;
static pthread_t	 thread;
static int		 running;

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

/* Wake the hub's thread. */
static void
kick(void)
{
	uint64_t	 one = 1;

	if (kick_fd != -1 && write(kick_fd, &one, sizeof(one)) == -1 &&
	    errno != EAGAIN)
		log_warnx("live: could not wake the hub: %s", strerror(errno));
}

/* mtx held: 's' has something to do. */
static void
due(struct stream *s)
{
	if (s->due)
		return;
	s->due = 1;
	s->due_next = due_head;
	due_head = s;
}

/* mtx held: every stream has something to do. */
static void
wake_all(void)
{
	struct stream	*s;

	for (s = streams; s != NULL; s = s->next)
		due(s);
	kick();
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

void
live_configure(int max, int per_address, int timeout)
{
	pthread_mutex_lock(&cnt_mtx);
	limit = max;
	per_peer = per_address;
	stall_after = timeout;
	pthread_mutex_unlock(&cnt_mtx);
}

void
live_heartbeat(int seconds)
{
	beat_every = seconds > 0 ? seconds : LIVE_HEARTBEAT;
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

static unsigned int
peer_hash(const unsigned char *key)
{
	unsigned int	 h = 2166136261u;	/* FNV-1a */
	size_t		 i;

	for (i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return (h % PEER_BUCKETS);
}

/* cnt_mtx held: the count of the address 'key', made when missing. */
static struct peer *
peer_of(const unsigned char *key)
{
	struct peer	*p;
	unsigned int	 h = peer_hash(key);

	for (p = peers[h]; p != NULL; p = p->next)
		if (memcmp(p->key, key, sizeof(p->key)) == 0)
			return (p);
	p = xcalloc(1, sizeof(*p));
	memcpy(p->key, key, sizeof(p->key));
	p->next = peers[h];
	peers[h] = p;
	return (p);
}

/* A stream no longer counts, nor for its address. */
static void
uncount(struct stream *s)
{
	struct peer	*p = s->peer, **q;

	pthread_mutex_lock(&cnt_mtx);
	nopen--;
	s->peer = NULL;
	if (p != NULL && --p->n == 0) {
		for (q = &peers[peer_hash(p->key)]; *q != p; q = &(*q)->next)
			;
		*q = p->next;
		free(p);
	}
	pthread_mutex_unlock(&cnt_mtx);
}

static void
stream_free(struct stream *s)
{
	free(s->out);
	free(s->filter);
	free(s);
}

/* mtx held, the hub's thread: close 's' and forget it. */
static void
stream_end(struct stream *s)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	uncount(s);
	st.streams--;
	stream_free(s);
}

/* mtx held: 's' waits for its socket to take more (EPOLLOUT). */
static int
wait_out(struct stream *s)
{
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLRDHUP |
				    EPOLLOUT, .data.ptr = s };

	if (!s->pollout && epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev) == 0)
		s->pollout = 1;
	if (s->stalled == 0)
		s->stalled = clock_mono();
	return (0);
}

/* mtx held: what the socket did not take of 'iov' is kept in s->out. */
static void
keep_rest(struct stream *s, const struct iovec *iov, int n, size_t done)
{
	size_t	 total = 0, k;
	int	 i;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	s->out = xmalloc(total - done);
	s->outlen = 0;
	s->outoff = 0;
	for (i = 0; i < n; i++) {
		k = iov[i].iov_len;
		if (done >= k) {
			done -= k;
			continue;
		}
		memcpy(s->out + s->outlen, (const char *)iov[i].iov_base + done,
		    k - done);
		s->outlen += k - done;
		done = 0;
	}
}

/*
 * mtx held, the hub's thread: write what 's' has to send, as far as its
 * socket takes it.  -1 when the stream is over.
 */
static int
service(struct stream *s)
{
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLRDHUP,
				    .data.ptr = s };
	struct iovec		 iov[3];
	struct msghdr		 mh;
	const char		*f;
	char			 hdr[24];
	size_t			 len, total;
	ssize_t			 n;

	if (s->dead)
		return (-1);
	for (;;) {
		if (s->outoff < s->outlen) {
			n = send(s->fd, s->out + s->outoff, s->outlen -
			    s->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n == -1)
				return (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR ? wait_out(s) : -1);
			s->stalled = 0;
			s->outoff += (size_t)n;
			if (s->outoff < s->outlen)
				return (wait_out(s));
			/* Idle streams hold nothing. */
			free(s->out);
			s->out = NULL;
			s->outlen = s->outoff = 0;
			continue;
		}
		if (s->closing) {
			/* The last chunk: a clean end, if the socket takes it. */
			if (s->chunked)
				(void)send(s->fd, "0\r\n\r\n", 5, MSG_NOSIGNAL |
				    MSG_DONTWAIT);
			return (-1);
		}
		if ((f = next_frame(s, &len)) == NULL)
			break;
		/* One frame, one chunk, one system call. */
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		if (s->chunked) {
			iov[0].iov_base = hdr;
			iov[0].iov_len = (size_t)snprintf(hdr, sizeof(hdr),
			    "%zx\r\n", len);
			iov[1].iov_base = (void *)(uintptr_t)f;
			iov[1].iov_len = len;
			iov[2].iov_base = (void *)(uintptr_t)"\r\n";
			iov[2].iov_len = 2;
			mh.msg_iovlen = 3;
		} else {
			iov[0].iov_base = (void *)(uintptr_t)f;
			iov[0].iov_len = len;
			mh.msg_iovlen = 1;
		}
		total = iov[0].iov_len + (s->chunked ? len + 2 : 0);
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				return (-1);
			n = 0;
		}
		if (n > 0)
			s->stalled = 0;
		if ((size_t)n < total) {
			/* Kept whole: the ring may reuse its slot meanwhile. */
			keep_rest(s, iov, (int)mh.msg_iovlen, (size_t)n);
			return (wait_out(s));
		}
	}
	s->stalled = 0;
	if (s->pollout && epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev) == 0)
		s->pollout = 0;
	return (0);
}

/* The client's side: what it sends is dropped; 1 when it went away. */
static int
gone(struct stream *s, uint32_t events)
{
	char	 sink[512];
	ssize_t	 n;
	int	 i;

	if (events & (EPOLLERR | EPOLLHUP))
		return (1);
	for (i = 0; i < 64; i++) {
		n = recv(s->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0)
			return (1);
		return (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : 1);
	}
	return (0);
}

/*
 * The hub's thread: the sockets, the wake-ups, the heartbeat.  After a
 * burst of new streams, the memory libmicrohttpd's connections held
 * while the requests were read (freed when their sockets came here, but
 * scattered among what is still in use) is given back to the system.
 */
static void	 move_in(void);

static void *
loop(void *arg)
{
	struct epoll_event	 evs[256];
	struct stream		*s;
	int64_t			 now, next_beat, stall, quiet = 0;
	uint64_t		 v;
	int			 n, i, wait_ms;

	(void)arg;
	next_beat = clock_mono() + (int64_t)beat_every * 1000000;
	for (;;) {
		now = clock_mono();
		wait_ms = next_beat > now ?
		    (int)((next_beat - now) / 1000) + 1 : 0;
		if (quiet != 0 && wait_ms > 200)
			wait_ms = 200;
		n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    wait_ms);
		pthread_mutex_lock(&mtx);
		for (i = 0; i < n; i++) {
			if ((s = evs[i].data.ptr) == NULL) {
				while (read(kick_fd, &v, sizeof(v)) > 0)
					;
				continue;
			}
			if ((evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
			    EPOLLERR)) && gone(s, evs[i].events))
				s->dead = 1;
			due(s);
		}
		move_in();
		now = clock_mono();
		if (now >= next_beat) {
			next_beat = now + (int64_t)beat_every * 1000000;
			pthread_mutex_lock(&cnt_mtx);
			stall = (int64_t)stall_after * 1000000;
			pthread_mutex_unlock(&cnt_mtx);
			for (s = streams; s != NULL; s = s->next) {
				s->heartbeat = 1;
				/* Took nothing for connection_timeout: gone. */
				if (s->stalled != 0 && now - s->stalled > stall)
					s->dead = 1;
				due(s);
			}
		}
		while ((s = due_head) != NULL) {
			due_head = s->due_next;
			s->due = 0;
			if (service(s) == -1)
				stream_end(s);
		}
		if (stopping) {
			move_in();
			while (streams != NULL)
				stream_end(streams);
			pthread_mutex_unlock(&mtx);
			break;
		}
		/* 200 ms without a new stream after some: trim. */
		if (opened > 0) {
			opened = 0;
			quiet = now;
		} else if (quiet != 0 && now - quiet >= 200000) {
			quiet = 0;
			pthread_mutex_unlock(&mtx);
			malloc_trim(0);
			continue;
		}
		pthread_mutex_unlock(&mtx);
	}
	return (NULL);
}

void
live_start(void)
{
	struct epoll_event	 ev = { .events = EPOLLIN, .data.ptr = NULL };

	pthread_mutex_lock(&mtx);
	stopping = 0;
	draining = 0;
	pthread_mutex_unlock(&mtx);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, kick_fd, &ev) == -1)
		fatal("live: epoll");
	if (pthread_create(&thread, NULL, loop, NULL) != 0)
		fatalx("could not start the live stream's thread");
	running = 1;
}

void
live_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mtx);
	stopping = 1;
	kick();
	pthread_mutex_unlock(&mtx);
	pthread_join(thread, NULL);
	running = 0;
	close(kick_fd);
	close(ep);
	kick_fd = ep = -1;
}

/*
 * The socket of an answered stream (reply_detach()), on the request's
 * thread: handed to the hub, the head of the answer first.
 */
static void
attach(void *cls, int fd, char *hd, size_t len, int chunked)
{
	struct stream	*s = cls;

	if (fd == -1) {
		uncount(s);
		free(hd);
		stream_free(s);
		return;
	}
	s->fd = fd;
	s->out = hd;
	s->outlen = len;
	s->chunked = chunked != 0;
	pthread_mutex_lock(&cnt_mtx);
	s->next = incoming;
	incoming = s;
	pthread_mutex_unlock(&cnt_mtx);
	kick();
}

/* mtx held, the hub's thread: the streams handed over become its own. */
static void
move_in(void)
{
	struct epoll_event	 ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct stream		*s, *next;
	uint64_t		 q;

	pthread_mutex_lock(&cnt_mtx);
	s = incoming;
	incoming = NULL;
	pthread_mutex_unlock(&cnt_mtx);
	for (; s != NULL; s = next) {
		next = s->next;
		ev.data.ptr = s;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) == -1) {
			log_warnx("live: epoll: %s", strerror(errno));
			close(s->fd);
			uncount(s);
			stream_free(s);
			continue;
		}
		s->pos = head;
		if (s->last != 0) {
			/* After the event it saw last, if the ring has it. */
			s->reload = 1;
			for (q = base; q < head; q++)
				if (ring[q % LIVE_RING].id == s->last) {
					s->pos = q + 1;
					s->reload = 0;
					break;
				}
		}
		s->closing = draining;
		s->prev = NULL;
		if ((s->next = streams) != NULL)
			streams->prev = s;
		streams = s;
		st.streams++;
		opened++;
		due(s);
	}
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
	struct peer	*p = NULL;
	uint64_t	 last;
	unsigned char	 key[17];
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
	if (strcmp(req->method, "HEAD") == 0) {
		/* The head of a stream, without one. */
		reply_static(req, 200, CT_EVENT_STREAM, "", 0);
		reply_header(req, "Cache-Control", "no-store");
		reply_header(req, "X-Accel-Buffering", "no");
		return (0);
	}
	request_peer_key(req, key);
	pthread_mutex_lock(&cnt_mtx);
	if (nopen < (uint64_t)limit) {
		p = peer_of(key);
		if (per_peer > 0 && p->n >= (unsigned int)per_peer)
			p = NULL;	/* it has some: p->n > 0, kept */
	}
	if (p == NULL) {
		refused++;
		pthread_mutex_unlock(&cnt_mtx);
		reply_error(req, HTTP_ERR(HE_LIVE_FULL));
		reply_header(req, "Retry-After", "30");
		return (0);
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	s->peer = p;
	p->n++;
	nopen++;
	pthread_mutex_unlock(&cnt_mtx);
	s->hello = 1;
	s->last = last;
	/* Most screens want everything: no filter, no memory for one. */
	s->filter = filter[0] != '\0' ? xstrdup(filter) : NULL;
	reply_detach(req, 200, CT_EVENT_STREAM, attach, s);
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
	pthread_mutex_lock(&cnt_mtx);
	out->refused = refused;
	pthread_mutex_unlock(&cnt_mtx);
}
