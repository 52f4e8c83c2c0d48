/*
 * server.h: the HTTP server (libmicrohttpd) and the request pipeline:
 *   route -> authenticate -> authorize -> read and check the body ->
 *   handler -> response headers -> access log and metrics.
 * The server holds no state of its own beyond the connections; hooks let the
 * application plug authentication and policy in without the http layer
 * depending on them.
 *
 * Threads: libmicrohttpd's pool of polling threads (server_config.threads,
 * by default four per CPU) reads the connections and runs each request on
 * the thread that read it, database calls included: each thread has its
 * own PostgreSQL connection and blocks on it, so the pool is larger than
 * the number of CPUs.  Handing each request to a separate database worker
 * and back (suspend, signal, resume) was measured at 0.7x the throughput
 * of this (GET /readyz 35k vs 48-58k req/s, GET /api/v1/me 31k vs 35-48k
 * on the 2-core box): the extra wake-ups cost more than they saved.  The
 * price is that a connection waits while another request of the same
 * thread waits on PostgreSQL: up to statement_timeout, or, while the
 * database cannot be reached, up to db_connect_timeout per statement
 * (with a local socket a refused connection fails at once).  CPU-heavy
 * routes (ROUTE_SLOW: password hashing, ~35 ms) run on the small slow lane
 * while their connection is suspended; its queue is shared fairly between
 * client addresses (server.c), an address past its share gets 429 and a
 * full queue 503 at once, so logins cannot starve reads, and one address
 * cannot starve the others' logins.  Routes that read many rows
 * (ROUTE_LIST: the map, Open311's lists, the boards: each milliseconds
 * of PostgreSQL) run on the list lane the same way, any of
 * its workers taking the next one: on the polling threads a connection
 * waited for every such request of the others of its thread.
 *
 * One thread, the acceptor, accepts the connections and hands each to
 * libmicrohttpd, which gives it to a polling thread by its descriptor:
 * a burst of new connections spreads over the threads (libmicrohttpd's
 * own accept gave up to ten in a row to the thread that woke first).
 */
#ifndef GUICHET_SERVER_H
#define GUICHET_SERVER_H

#include <stddef.h>

struct request;

struct server_config {
	const char	*listen_address;
	int		 port;
	int		 threads;		/* polling threads (libmicrohttpd) */
	int		 connection_limit;
	int		 per_ip_connection_limit;
	int		 connection_timeout;
	int		 connection_memory_limit;
	int		 header_timeout;	/* seconds for a request's head */
	int		 header_connection_limit;	/* reading a head, at most */
	size_t		 body_max;		/* a JSON body's cap */
	size_t		 upload_max;		/* an upload's cap (route.h) */
	size_t		 upload_memory;		/* all uploads' bodies together */
	size_t		 json_max_depth;
	int		 slow_threads;	/* the slow lane's workers */
	int		 slow_queue;	/* requests waiting for it, at most */
	int		 slow_queue_per_address;	/* of one address, waiting or running */
	int		 list_threads;	/* the list lane's workers */
	int		 list_queue;	/* requests waiting for it, at most */
	int		 list_queue_per_address;	/* of one address, waiting or running */
	const char	*trusted_proxy;	/* believe its X-Forwarded-For; NULL/"": none */
	int		 live_limit;	/* live streams open at once, at most */
};

/*
 * Called for every routed request before the body is checked: resolves the
 * principal and decides whether the route's permission is granted.
 * Returns 0 to go on, -1 after setting a reply (401/403/503).
 */
typedef int	(*server_guard_fn)(struct request *);
void	 server_set_guard(server_guard_fn);

/*
 * The replay hook (Idempotency-Key, src/ops/idempotency.c): begin() runs
 * after authorization and the input checks, just before the handler; 1
 * means it answered (a stored answer, or a problem) and the handler does
 * not run; 0 runs the handler, after which end() runs.  Both run on the
 * thread that runs the request, with its database connection.
 */
struct server_replay {
	int	(*begin)(struct request *);
	void	(*end)(struct request *);
};
void	 server_set_replay(const struct server_replay *);

int	 server_start(const struct server_config *);
/* Stop accepting, let requests in flight finish (up to 'timeout' s), stop. */
void	 server_stop(int);
/* Requests being processed now. */
long	 server_inflight(void);

#endif
