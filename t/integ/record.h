/*
 * record.h: the record of the HTTP exchanges of an integration test
 * program, for t/openapi/responses.sh (see record.c).  Used by harness.c
 * only: the tests record through harness_http() and harness_raw_read().
 */
#ifndef GUICHET_RECORD_H
#define GUICHET_RECORD_H

#include <stddef.h>

#include "harness.h"

/* Start this program's record afresh (in main, before any test). */
void	 record_init(const char *, const char *);
/* Mark the next exchange of this process as not to check (harness.h). */
void	 record_unchecked(const char *);

/* One exchange: the request's head as sent, the response as received. */
struct record_exchange {
	const char			*via;	/* "curl" or "raw" */
	const char			*method;
	const char			*target;	/* path and query */
	const char			*request_head;	/* line, headers */
	size_t				 request_head_len;
	long				 status;
	const struct http_header	*headers;
	size_t				 nheaders;
	const char			*body;
	size_t				 body_len;
};
void	 record_exchange(const struct record_exchange *);

/*
 * The header fields of an HTTP head (a start line, then "Name: value"
 * lines up to an empty line or the end): *n of them into a new array,
 * freed with record_headers_free().
 */
struct http_header *record_parse_headers(const char *, size_t, size_t *);
void	 record_headers_free(struct http_header *, size_t);

#endif
