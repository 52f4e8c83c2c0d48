/*
 * server.h: the HTTP server (libmicrohttpd) and the request pipeline:
 *   route -> authenticate -> authorize -> read and check the body ->
 *   handler -> response headers -> access log and metrics.
 * The server holds no state of its own beyond the connections; hooks let the
 * application plug authentication and policy in without the http layer
 * depending on them.
 *
 * Lanes: a few polling threads (one per CPU) parse and answer; every
 * route that may block (on PostgreSQL) runs on the database lane, a pool of
 * workers each with its own connection, and CPU-heavy routes (ROUTE_SLOW:
 * password hashing, ~35 ms) on the small slow lane.  The connection is
 * suspended meanwhile and resumed with the answer; a full queue answers 503
 * at once.  Only ROUTE_INLINE routes (no database) run on the polling
 * threads.  So logins cannot starve reads, and reads cannot stall /healthz.
 */
#ifndef GUICHET_SERVER_H
#define GUICHET_SERVER_H

#include <stddef.h>

struct request;

struct server_config {
	const char	*listen_address;
	int		 port;
	int		 threads;		/* polling threads (libmicrohttpd) */
	int		 db_threads;		/* the database lane's workers */
	int		 connection_limit;
	int		 per_ip_connection_limit;
	int		 connection_timeout;
	int		 connection_memory_limit;
	size_t		 body_max;
	size_t		 json_max_depth;
	int		 slow_threads;	/* the slow lane's workers */
	int		 slow_queue;	/* requests waiting for it, at most */
	const char	*trusted_proxy;	/* believe its X-Forwarded-For; NULL/"": none */
};

/*
 * Called for every routed request before the body is checked: resolves the
 * principal and decides whether the route's permission is granted.
 * Returns 0 to go on, -1 after setting a reply (401/403/503).
 */
typedef int	(*server_guard_fn)(struct request *);
void	 server_set_guard(server_guard_fn);

int	 server_start(const struct server_config *);
/* Stop accepting, let requests in flight finish (up to 'timeout' s), stop. */
void	 server_stop(int);
/* Requests being processed now. */
long	 server_inflight(void);

#endif
