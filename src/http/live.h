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
 * A stream costs no thread: between events its connection is suspended
 * in libmicrohttpd (server_park()) and resumed (server_wake()) when an
 * event or a heartbeat comes; the producer of its body (reply_stream())
 * copies frames from the ring.  A client that reconnects with
 * Last-Event-ID gets the events after that id when the ring still holds
 * it, else an event "reload" (it missed some: fetch the documents
 * again); so does every stream when the listening connection was lost.
 * A comment line every LIVE_HEARTBEAT seconds keeps proxies from closing
 * an idle stream and finds the clients that went away.
 *
 * Invariants:
 *  - the hub's mutex is taken before libmicrohttpd's (suspend inside the
 *    producer, resume from the listener and the heartbeat), never after;
 *  - a parked stream is woken exactly once per park;
 *  - at shutdown every stream is ended (live_drain()) before the daemon
 *    stops: libmicrohttpd must not stop with suspended connections.
 */
#ifndef GUICHET_LIVE_H
#define GUICHET_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct request;

#define LIVE_RING		1024	/* events kept for resumption */
#define LIVE_HEARTBEAT		15	/* seconds between comment lines */
#define LIVE_FRAME_MAX		(16 * 1024)
#define LIVE_EVENT_MAX		48	/* an event's name, at most */
#define LIVE_BLOCK		256	/* bytes a stream's producer gives at once */

/* Subscribe to the notifications (before notify_start()). */
void	 live_init(void);
/* The heartbeat thread (guichetd). */
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

/* Open streams, events received (for /metrics and tests). */
struct live_stats {
	uint64_t	 streams, events, parked, wakes;
};
void	 live_stats(struct live_stats *);

#endif
