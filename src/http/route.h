/*
 * route.h: the router.
 *
 * One table, assembled from the modules' own tables (core/module.h), lists
 * every route: method, pattern, handler, permission, input schema and
 * flags.  Patterns are
 * literal segments and "{name}" parameters ("/api/v1/cases/{id}").  A path
 * with no route is 404; a path whose routes all have other methods is 405
 * with an Allow header.  The OpenAPI document and the authorization matrix
 * test are checked against this table.
 */
#ifndef GUICHET_ROUTE_H
#define GUICHET_ROUTE_H

#include <stddef.h>

#include "http/request.h"

#include "auth/policy.h"	/* enum perm: what a route requires */

struct json_spec;

#define ROUTE_BODY	0x01	/* accepts a request body (JSON, or raw: body_types) */
#define ROUTE_SLOW	0x02	/* CPU-heavy (password hashing): runs on the slow lane */
#define ROUTE_FORM	0x04	/* also accepts application/x-www-form-urlencoded */
#define ROUTE_BODY_OPTIONAL 0x08	/* an empty body reads as {} */
#define ROUTE_NO_REPLAY	0x10	/* the answer holds a secret: never stored for Idempotency-Key */
#define ROUTE_STREAM	0x20	/* the answer is a stream that does not end
				   (http/live.h): a caller of every route
				   asks it what makes it answer at once */
#define ROUTE_LIST	0x40	/* reads many rows (a list of up to a
				   thousand): runs on the list lane (server.h) */

/* Returns 0; a handler sets exactly one reply on every path. */
typedef int	(*route_handler)(struct request *);

struct route {
	const char		*method;
	const char		*pattern;
	route_handler		 handler;
	enum perm		 perm;
	const struct json_spec	*input;		/* NULL: no JSON body expected */
	unsigned		 flags;
	const char		*scope;		/* PERM_SCOPE, PERM_OPERATOR: the scope it needs */
	const char		*department;	/* PERM_OPERATOR: whose staff may */
	/*
	 * An upload (with ROUTE_BODY, without 'input'): the body is kept as
	 * bytes (req->body), never parsed, and its Content-Type must be one
	 * of these media types, separated by spaces ("application/pdf
	 * image/jpeg image/png"; parameters after ';' are ignored), 415
	 * otherwise.
	 */
	const char		*body_types;
	/*
	 * The largest body in bytes, 413 past it (before the body is read
	 * when Content-Length says so, as soon as the cap is passed
	 * otherwise).  0: the setting body_max for JSON, upload_max for an
	 * upload; an upload is never allowed more than upload_max.
	 */
	size_t			 body_max;
	/*
	 * A ROUTE_SLOW route's second share (server.h): the key of what a
	 * request names beside its client address (a sign-in: the account,
	 * by the key of its address), written in 'out' ('len' bytes) from
	 * req->json, which is parsed and checked before the request is
	 * queued.  1 when a key was written, 0 when the request names none.
	 */
	int			(*lane_key)(const struct request *, char *out,
				    size_t len);
};

/*
 * 1 when the media type 'type' ('len' bytes) is one of 'list', media types
 * separated by spaces (a route's body_types), in any case.
 */
int	 media_type_listed(const char *, const char *, size_t);

/* Install the table (done once, before the server starts). */
void	 router_init(const struct route *, size_t);
size_t	 router_count(void);
const struct route *router_at(size_t);

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/*
 * Match 'method' and 'path'.  On ROUTE_FOUND, *index is the route's
 * position and the parameters are stored in 'req' (values allocated).
 * On ROUTE_BAD_METHOD, 'allow' receives the "GET, HEAD" style list.
 */
enum route_result route_match(const char *, const char *, struct request *,
	    int *, char *, size_t);

#endif
