/*
 * live.h: the live stream, below the modules: GET /api/v1/live, Server-
 * Sent Events of what changes (a lift's status, a slope's, the snow
 * report; a bus alert, an incident: any module may publish).
 *
 * Publishing is SQL: PERFORM ops.live_publish(event, data) in the
 * transaction of the change (a trigger, migration 025).  PostgreSQL
 * delivers it at commit, on channel "guichet_live", to every guichetd,
 * with an id drawn from one sequence, so that the ids are the same in
 * every process.  Each process keeps the last LIVE_RING events in a ring
 * and pushes each to its open streams.
 *
 * A stream costs no thread and no libmicrohttpd connection: once its
 * request is answered 200, the server hands its socket over
 * (reply_detach()) and libmicrohttpd forgets it, memory pool and all.
 * One thread of the hub writes to every stream (non-blocking, epoll): the
 * frames it has not sent yet, straight from the ring, one chunk each.  An
 * idle stream is a struct of about a hundred bytes and a socket; bytes a
 * slow client has not taken yet are kept for it alone (when the ring
 * went past it, it gets "reload"), and it is closed when it took nothing
 * for connection_timeout seconds.  A client that reconnects with
 * Last-Event-ID gets the events after that id when the ring still holds
 * it, else an event "reload" (it missed some: fetch the documents
 * again); so does every stream when the listening connection was lost.
 * A comment line every live_heartbeat seconds (the setting; LIVE_HEARTBEAT
 * by default) keeps proxies from closing
 * an idle stream and finds the clients that went away.  At most
 * live_limit streams are open, and per_ip_connection_limit from one
 * address (request_peer_key(): an IPv6 one by its /64; 503 beyond): they
 * no longer count among libmicrohttpd's connections.
 *
 * Invariants:
 *  - one mutex guards the ring, the streams and their state, another
 *    (taken after it, if both) the limits' counts and the streams handed
 *    over; libmicrohttpd's threads take only the second; only the hub's
 *    thread writes to, closes and frees a stream once handed over;
 *  - at shutdown every stream is ended (live_drain(), its last chunk
 *    sent), then closed by live_stop().
 */
#ifndef GUICHET_LIVE_H
#define GUICHET_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct request;

#define LIVE_RING		1024	/* events kept for resumption */
#define LIVE_HEARTBEAT		15	/* seconds between comment lines, by default */
#define LIVE_FRAME_MAX		(16 * 1024)
#define LIVE_EVENT_MAX		48	/* an event's name, at most */

/* Subscribe to the notifications (before notify_start()). */
void	 live_init(void);
/*
 * The limits (server_start(), before any stream): streams open at most,
 * from one address at most (0: no limit), seconds a stream may take
 * nothing of what it is sent.
 */
void	 live_configure(int, int, int);
/* Seconds between heartbeats (setting live_heartbeat), before live_start(). */
void	 live_heartbeat(int);
/* The hub's thread (guichetd): writes, heartbeats. */
void	 live_start(void);
void	 live_stop(void);
/* End every stream (server_stop(), before waiting for the requests). */
void	 live_drain(void);

/* GET /api/v1/live: the handler (routed by the ops module). */
int	 live_handler(struct request *);

/*
 * The SSE frame of one event into 'out' ('len' bytes): "id: ...\n",
 * "event: ...\n", one "data: ...\n" per line of 'data', then a blank
 * line.  The length, or 0 when it does not fit or 'event' is not a name
 * ([a-z][a-z0-9_]*) of at most LIVE_EVENT_MAX characters.
 */
size_t	 live_frame(char *, size_t, uint64_t, const char *, const char *);

/* Open streams, events received, streams refused (limits). */
struct live_stats {
	uint64_t	 streams, events, refused;
};
void	 live_stats(struct live_stats *);

#endif
