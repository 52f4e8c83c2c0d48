/*
 * request.h: what a handler sees of an HTTP request, and how it answers.
 *
 * Handlers never include <microhttpd.h>: they read the request through the
 * accessors below and set exactly one reply through reply.h.  Everything
 * with request lifetime hangs off struct request and is freed by the server
 * when the response has been sent; handlers never free it.
 */
#ifndef GUICHET_REQUEST_H
#define GUICHET_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/lang.h"

#define REQUEST_ID_MAX		65	/* 64 characters and the NUL */
#define ROUTE_PARAMS_MAX	4
#define REPLY_HEADERS_MAX	12

struct route;
struct principal;


struct route_param {
	const char	*name;
	char		*value;		/* percent-decoded, owned by the request */
};

struct reply_header {
	char	*name;
	char	*value;
};

struct reply {
	int			 status;	/* 0 until a reply is set */
	const char		*content_type;	/* static string */
	struct buf		 body;
	const void		*static_body;	/* when set, sent as is, not copied */
	size_t			 static_len;
	struct reply_header	 headers[REPLY_HEADERS_MAX];
	int			 nheaders;
	size_t			 sent;		/* body bytes queued, for the access log */
	long			(*stream)(void *, char *, size_t);	/* reply_stream() */
	uint64_t		 stream_len;	/* UINT64_MAX: unknown (chunked) */
	void			*stream_cls;
	void			(*stream_done)(void *);
	void			(*detach)(void *, int, char *, size_t, int);	/* reply_detach() */
	void			*detach_cls;
};

struct request {
	void			*conn;		/* the HTTP connection (opaque) */
	const char		*method;
	const char		*path;		/* decoded path, no query string */
	char			 id[REQUEST_ID_MAX];
	enum lang		 lang;
	int64_t			 started;	/* clock_mono() at arrival */

	const struct route	*route;		/* NULL when no route matched */
	int			 route_index;	/* -1 when no route matched */
	struct route_param	 params[ROUTE_PARAMS_MAX];
	int			 nparams;

	/*
	 * The body as received: JSON before it is parsed, or the bytes of an
	 * upload (route->body_types), which handlers read here (body.data,
	 * body.len; NUL bytes included).
	 */
	struct buf		 body;
	size_t			 body_seen;	/* bytes received */
	size_t			 body_cap;	/* the route's cap (route.h) */
	size_t			 body_expect;	/* Content-Length, 0: unknown */
	size_t			 body_held;	/* upload memory counted (server.c) */
	json_t			*json;		/* the checked body, when the route has a schema */

	const struct principal	*principal;	/* NULL: anonymous; set by the guard */
	char			 principal_id[40];	/* for the access log */

	struct reply		 reply;
	int			 draining;	/* server shutting down: close after reply */
	int			 phase;		/* server-private state */
	int			 early;		/* a problem decided before the body ended */
	int			 form;		/* the body is form-urlencoded */
	int			 http10;	/* an HTTP/1.0 request (no chunked answer) */
	struct request		*lane_next;	/* server-private: slow lane queue */
	unsigned char		 lane_key[17];	/* server-private: route's lane_key */
	int			 lane_keyed;	/* server-private: lane_key is set */
	void			*replay;	/* the replay hook's state (server.h) */
	uint64_t		 cache_epoch;	/* set by cache_reply() (cache.h) */
	void			*allocs;	/* request_alloc() list */
};

const char	*request_header(const struct request *, const char *);
/* The raw value of query argument 'name', or NULL. */
const char	*request_query(const struct request *, const char *);
/*
 * The fields of a form body (application/x-www-form-urlencoded: a route
 * with ROUTE_FORM and no 'input' keeps its body raw) in their order, as
 * an array of [name, value] arrays of decoded strings: repeated names
 * (Open311's attribute[code][]) are kept, unlike the checked body of a
 * route with an input schema.  NULL with a reason when it is not a form
 * of text (caller decrefs).
 */
json_t		*request_form_fields(struct request *, const char **);
/* A path parameter captured by the route pattern, or NULL. */
const char	*request_param(const struct request *, const char *);
/* The client's address as text (for throttling and the access log). */
void		 request_peer(const struct request *, char *, size_t);
/*
 * The client's address as a key of 17 bytes, for counting per address:
 * the family, then an IPv4 address, or the /64 of an IPv6 one (what one
 * subscriber usually holds; an IPv4-mapped one is IPv4); zeros when
 * unknown.
 */
void		 request_peer_key(const struct request *, unsigned char *);
/*
 * The same as text, for budgets kept by name (http/ratelimit.h, the
 * sign-in throttle): an IPv4 address as request_peer() writes it, an IPv6
 * one as its /64 ("2001:db8:1:2::/64"), so that every limit per client
 * address counts the addresses of one subscriber together.
 */
void		 request_peer_group(const struct request *, char *, size_t);
/* Memory that lives as long as the request (zeroed); never freed by the caller. */
void		*request_alloc(struct request *, size_t);
char		*request_strdup(struct request *, const char *);

#endif
