/*
 * server.h: the HTTP server (libmicrohttpd) and the request pipeline:
 *   route -> authenticate -> authorize -> read and check the body ->
 *   handler -> response headers -> access log and metrics.
 * The server holds no state of its own beyond the connections; hooks let the
 * application plug authentication and policy in without the http layer
 * depending on them.
 *
 * The slow lane: routes flagged ROUTE_SLOW (password hashing costs ~35 ms
 * of CPU) are not run on the request threads, where they would stall every
 * other connection of that thread.  Their connection is suspended and the
 * request handed to a small pool of workers through a bounded queue; a full
 * queue answers 503 at once.  Reads keep their threads whatever the load of
 * logins.
 */
#ifndef GUICHET_SERVER_H
#define GUICHET_SERVER_H

#include <stddef.h>

struct request;

struct server_config {
	const char	*listen_address;
	int		 port;
	int		 threads;
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
