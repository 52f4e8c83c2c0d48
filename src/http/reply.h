/*
 * reply.h: the one way to answer a request.
 *
 * A handler sets one reply: JSON, text/bytes with their own content type, or
 * a problem document (RFC 9457).  Every error of every module goes through
 * reply_problem(), so every error body has the same shape:
 *   {"type","title","status","detail","instance","request_id"[,"errors"]}
 * Titles are translated (fr, en, it); details are written by the caller.
 * Helpers named *_or_reply() set the problem themselves and return -1; the
 * caller just returns.
 */
#ifndef GUICHET_REPLY_H
#define GUICHET_REPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

enum problem {
	PROB_MALFORMED,		/* 400 */
	PROB_BAD_REQUEST,	/* 400 */
	PROB_UNAUTHORIZED,	/* 401 */
	PROB_FORBIDDEN,		/* 403 */
	PROB_NOT_FOUND,		/* 404 */
	PROB_METHOD,		/* 405 */
	PROB_NOT_ACCEPTABLE,	/* 406 */
	PROB_CONFLICT,		/* 409 */
	PROB_GONE,		/* 410 */
	PROB_TOO_LARGE,		/* 413 */
	PROB_URI_TOO_LONG,	/* 414 */
	PROB_MEDIA_TYPE,	/* 415 */
	PROB_VALIDATION,	/* 422 */
	PROB_TOO_MANY,		/* 429 */
	PROB_HEADERS_TOO_LARGE,	/* 431 */
	PROB_INTERNAL,		/* 500 */
	PROB_NOT_IMPLEMENTED,	/* 501 */
	PROB_UNAVAILABLE,	/* 503 */
	PROB_TIMEOUT,		/* 503: the database took too long */
	PROB__COUNT
};

/* The HTTP status of a problem type. */
int	 problem_status(enum problem);
/* "/problems/not-found" */
const char *problem_type(enum problem);
const char *problem_title(enum problem, enum lang);

void	 reply_json(struct request *, int, json_t *);	/* steals the reference */
void	 reply_bytes(struct request *, int, const char *, const void *, size_t);
/* The body of a reply of 'ctype', for an answer written in place. */
struct buf *reply_body(struct request *, int, const char *);
/* Bytes that outlive the request (constants): no copy. */
void	 reply_static(struct request *, int, const char *, const void *, size_t);
/*
 * A problem code: one per kind of failure, stable, machine-readable, sent
 * as the "code" member of the problem document (an RFC 9457 extension)
 * and listed in the OpenAPI document, so that a partner app can tell two
 * 409s apart without reading the text.  Each module declares its codes in
 * a table (core/module.h); the http layer's own are http_errors[] below.
 * 'detail' is the text of the "detail" member in fr, en and it; '%s' in it
 * takes the next string argument of reply_error(), and each language has
 * as many as the others (t/unit/test_reply checks).
 */
struct errcode {
	const char	*code;		/* snake_case, unique across modules */
	enum problem	 problem;	/* the status and the "type" */
	const char	*detail[3];	/* fr, en, it */
};

/* Register a module's codes (core/module.c); -1 on a duplicate or a bad one. */
int	 errcode_register(const struct errcode *, size_t, char *, size_t);
/* The http layer's own codes: registered first. */
void	 errcode_register_builtin(void);
size_t	 errcode_count(void);
const struct errcode *errcode_at(size_t);
/* The number of '%s' of a detail text; -1 for another conversion. */
int	 errcode_nargs(const char *);

/* The problem document of 'code'; the variable arguments are strings. */
void	 reply_error(struct request *, const struct errcode *, ...);
/*
 * The same with one more string member 'name' (an extension member,
 * RFC 9457 3.2: the state a 409 found, say); a standard member's name is
 * ignored.
 */
void	 reply_error_member(struct request *, const char *, const char *,
	    const struct errcode *, ...);
/*
 * A module's operation refused with problem 'e' and its two arguments: a
 * conflict (a 409) names the 'state' it found as the member "state"
 * (ARCHITECTURE.md, API conventions), any other problem is as it is.
 */
void	 reply_refused(struct request *, const struct errcode *,
	    const char *, const char *, const char *);
/* The same with an "errors" array (a 422, say); steals 'errors'. */
void	 reply_error_fields(struct request *, const struct errcode *, json_t *,
	    ...);

/*
 * A module's own error format for the paths under 'prefix' (Open311's
 * list of {code, description}, say): every problem of such a request,
 * whoever raises it (the router's 404 and 405, the body's 413 and 415,
 * the policy's 401 and 403, the lanes' and rate limits' 429 and 503, a
 * handler's), is handed to 'fn' with its HTTP status, problem code and
 * detail instead of being written as problem+json; 'fn' sets the reply
 * itself (reply_bytes()), at the status it chooses.  A problem raised
 * while 'fn' runs is problem+json.  Retry-After (503) and
 * WWW-Authenticate (401) are added after it as for any problem.
 * 'prefix' matches the path up to a '/' or its end.  Called at module
 * init, before the server starts (again: the prefix's writer is
 * replaced); -1 past REPLY_WRITERS_MAX.
 */
#define REPLY_WRITERS_MAX	4
typedef void	(*reply_error_writer)(struct request *, int, const char *,
	    const char *);
int	 reply_error_writer_add(const char *, reply_error_writer);

/* The codes of the server itself: routing, bodies, credentials, database. */
enum http_err {
	HE_NO_ROUTE,		/* 404: no resource at this path */
	HE_METHOD,		/* 405: %s = the methods allowed */
	HE_BODY_NOT_ALLOWED,	/* 415: the route takes no body */
	HE_BODY_TOO_LARGE,	/* 413: %s = the cap in bytes */
	HE_MEDIA_TYPE,		/* 415: the body must be JSON */
	HE_MEDIA_TYPE_FORM,	/* 415: JSON or a form */
	HE_MEDIA_TYPE_OTHER,	/* 415: %s = the types an upload route takes */
	HE_MALFORMED_JSON,	/* 400: %s = where and why */
	HE_MALFORMED_FORM,	/* 400: %s = why */
	HE_BODY_REQUIRED,	/* 400 */
	HE_VALIDATION,		/* 422: %s = how many fields */
	HE_UNAUTHENTICATED,	/* 401: no credentials, the route needs some */
	HE_TOKEN_INVALID,	/* 401: a bearer token that does not verify */
	HE_FORBIDDEN,		/* 403 */
	HE_SLOW_LANE_FULL,	/* 503 */
	HE_NO_REPLY,		/* 500: a handler set no reply */
	HE_DB_UNAVAILABLE,	/* 503 */
	HE_DB_TIMEOUT,		/* 503 */
	HE_DB_BUSY,		/* 503: serialization failures past the retries */
	HE_DB_CONFLICT,		/* 409: a unique or foreign key */
	HE_DB_CHECK,		/* 422: a value the database refused */
	HE_INTERNAL,		/* 500 */
	HE_BAD_LIMIT,		/* 400: ?limit= */
	HE_BAD_CURSOR,		/* 400: ?cursor= */
	HE_BAD_QUERY,		/* 400: %s = the parameter */
	HE_RATE_LIMITED,	/* 429: %s = seconds to wait */
	HE_EMPTY_PATCH,		/* 422: a PATCH that changes nothing */
	HE_URI_TOO_LONG,	/* 414: %s = the cap in bytes */
	HE_HEADERS_TOO_LARGE,	/* 431: %s = the cap in bytes */
	HE_NUL_IN_HEAD,		/* 400 */
	HE_TRANSFER_CODING,	/* 501 */
	HE_LENGTH_AND_CHUNKED,	/* 400 */
	HE_LENGTH_CONFLICT,	/* 400 */
	HE_QUERY_NOT_TEXT,	/* 400 */
	HE_SLOW_LANE_SHARE,	/* 429: the address's share of a lane */
	HE_SLOW_LANE_ACCOUNT,	/* 429: the account's share of the slow lane */
	HE_SLOW_LANE_DISPLACED,	/* 429: its place given to another address */
	HE_UPLOAD_MEMORY,	/* 503: the uploads being received fill upload_memory */
	HE_LIVE_FULL,		/* 503: live_limit, or per_ip_connection_limit, streams */
	HE__COUNT
};
extern const struct errcode	http_errors[HE__COUNT];
#define HTTP_ERR(x)	(&http_errors[(x)])

/*
 * The 422 of json_check(): 'errors' (stolen) holds the first of the
 * 'total' problems found, "errors_omitted" counts the rest.
 */
void	 reply_validation(struct request *, json_t *, size_t);
void	 reply_header(struct request *, const char *, const char *);
/* The value of a header of the reply (case-insensitive name), or NULL. */
const char *reply_header_get(const struct request *, const char *);

/*
 * Conditional GET (ARCHITECTURE.md, "API conventions": public GETs send
 * ETag and Cache-Control; If-None-Match -> 304).  The server does it for
 * every public GET answered 200 with a body in memory, unless the reply
 * says Cache-Control: no-store:
 * the ETag is the handler's (a cheaper validator it knows) or a hash of
 * the body; Cache-Control defaults to "public, no-cache" (revalidate each
 * time); a matching If-None-Match turns the reply into a 304 without body.
 * A handler that can skip work for a 304 asks etag_match() itself.
 *
 * etag_match: 1 when the If-None-Match value 'inm' matches 'etag' by the
 * weak comparison of RFC 9110 13.1.2 ("*", or one tag of the list equal
 * to ours once any W/ is set aside), 0 otherwise (also for NULL 'inm').
 */
int	 etag_match(const char *, const char *);
/*
 * "\"<32 hex digits>\"": a strong ETag for 'len' bytes, their hash128()
 * (into >= 35 bytes).
 */
void	 etag_of(const void *, size_t, char *);
/*
 * The problem for a database failure: 503 with Retry-After when the
 * database is unreachable or too slow, 409 for a conflict, 422 for a value
 * the database refused, 500 otherwise.  The SQL error itself is logged by
 * the db layer, never sent.
 */
struct db_error;
struct db_res;
struct db_stmt;
void	 reply_db_error(struct request *, const struct db_error *);
/*
 * The answer to a module's business operation that did not succeed
 * (ARCHITECTURE.md, "Rules a module keeps"): OP_REFUSED is problem 'e'
 * through reply_refused() ('state' and the two arguments), OP_INVALID the
 * field errors 'errors' (422), OP_DB the database error 'err'.  Steals
 * 'errors' whatever the failure.
 */
enum op_failure { OP_REFUSED, OP_INVALID, OP_DB };
void	 reply_op_failure(struct request *, enum op_failure,
	    const struct errcode *, const char *, const char *, const char *,
	    json_t *, const struct db_error *);
/* db_exec() on the thread's connection; on failure the problem is set: -1. */
int	 reply_exec(struct request *, const struct db_stmt *,
	    const char *const *, struct db_res **);
/*
 * reply_exec() of a statement that reads one row: when it reads none (or
 * more), 'none' is replied and -1 returned, the result freed.
 */
int	 reply_exec_row(struct request *, const struct db_stmt *,
	    const char *const *, struct db_res **, const struct errcode *);
/*
 * A body produced while it is sent (chunked): 'next' writes at most 'max'
 * bytes into 'buf' and returns how many, 0 at the end, -1 to abort the
 * transfer (the client sees a cut connection: decide errors before
 * streaming).  It runs on the request's worker thread, after the handler
 * returned; 'done' (may be NULL) frees 'cls' when the transfer ends.
 */
typedef long	(*reply_stream_fn)(void *, char *, size_t);
void	 reply_stream(struct request *, int, const char *, reply_stream_fn,
	    void *, void (*)(void *));
/*
 * The same with the length known ('len' bytes, sent as Content-Length):
 * 'next' must produce exactly that many, or the connection is cut.
 */
void	 reply_stream_len(struct request *, int, const char *, uint64_t,
	    reply_stream_fn, void *, void (*)(void *));
/*
 * A body that never ends and leaves libmicrohttpd (http/live.c only):
 * once the handler returned, the server writes the head of the answer
 * (status, 'ctype', the standard headers and reply_header()'s, chunked
 * for HTTP/1.1, Connection: close) into a buffer, duplicates the
 * connection's socket and calls 'attach' with both, on the request's
 * thread; libmicrohttpd then closes its own descriptor and frees the
 * connection, its memory pool with it.  'attach' owns the descriptor
 * (non-blocking; -1 when it could not be had) and the head (free()), and
 * writes both itself; it is called exactly once, also when the reply is
 * replaced or the request ends before (fd -1, head NULL).
 */
typedef void	(*reply_detach_fn)(void *, int, char *, size_t, int);
void	 reply_detach(struct request *, int, const char *, reply_detach_fn,
	    void *);
/*
 * The path parameter 'name' when it is a UUID; otherwise 'notfound' (a
 * 404 code of the caller's) is replied and NULL returned: the caller just
 * returns.
 */
const char *param_uuid_or_reply(struct request *, const char *,
	    const struct errcode *);
/* Forget a reply already set (the server's safety net uses it). */
void	 reply_reset(struct request *);

/* Content types. */
#define CT_JSON		"application/json"
#define CT_PROBLEM	"application/problem+json"
#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_HTML		"text/html; charset=utf-8"
#define CT_XML		"text/xml; charset=utf-8"
#define CT_EVENT_STREAM	"text/event-stream"
#define CT_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"

#endif
