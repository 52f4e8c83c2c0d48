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
/* Bytes that outlive the request (constants): no copy. */
void	 reply_static(struct request *, int, const char *, const void *, size_t);
void	 reply_problem(struct request *, enum problem, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * A 422 (or other) with an "errors" array; steals 'errors'.  Past
 * JSON_ERRORS_MAX (json/check.h) entries, the rest are dropped and counted
 * in "errors_omitted".
 */
void	 reply_problem_errors(struct request *, enum problem, json_t *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
/*
 * The 422 of json_check(): 'errors' (stolen) holds the first of the
 * 'total' problems found, "errors_omitted" counts the rest.
 */
void	 reply_validation(struct request *, json_t *, size_t);
void	 reply_header(struct request *, const char *, const char *);
/* The value of a header of the reply (case-insensitive name), or NULL. */
const char *reply_header_get(const struct request *, const char *);

/*
 * Conditional GET (API.md: public GETs send ETag and Cache-Control;
 * If-None-Match -> 304).  The server does it for every public GET answered
 * 200 with a body in memory, unless the reply says Cache-Control: no-store:
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
/* "\"<32 hex digits>\"": a strong ETag for 'len' bytes (into >= 35 bytes). */
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
/* db_exec() on the thread's connection; on failure the problem is set: -1. */
int	 reply_exec(struct request *, const struct db_stmt *,
	    const char *const *, struct db_res **);
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
/* Forget a reply already set (the server's safety net uses it). */
void	 reply_reset(struct request *);

/* Content types. */
#define CT_JSON		"application/json"
#define CT_PROBLEM	"application/problem+json"
#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_HTML		"text/html; charset=utf-8"
#define CT_XML		"text/xml; charset=utf-8"
#define CT_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"

#endif
