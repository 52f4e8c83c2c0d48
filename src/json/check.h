/*
 * check.h: the one strict JSON input checker.
 *
 * Two steps, two kinds of error:
 *  1. json_parse_strict(): the bytes must be one JSON value, valid UTF-8,
 *     no duplicate object keys, no NUL escapes (\u0000), nesting no deeper
 *     than 'max_depth'.  Failure is a *malformed* body: HTTP 400.
 *  2. json_check(): the value must match a declarative schema (struct
 *     json_spec): types, required fields, unknown fields refused, string
 *     lengths counted in Unicode characters, enums, formats, integer
 *     bounds, nested objects and arrays.  Failure is a *validation* error:
 *     HTTP 422 with one error object per problem:
 *       {"field": "/employment/contract_start", "code": "format",
 *        "message": "..."}
 *     "field" is a JSON Pointer (RFC 6901) into the request body.
 *     At most JSON_ERRORS_MAX error objects are made: past them, problems
 *     are only counted, so that a body of 80,000 unknown fields costs a
 *     count, not 80,000 objects (and an answer of megabytes).
 * Nothing here knows about HTTP.
 */
#ifndef GUICHET_JSON_CHECK_H
#define GUICHET_JSON_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/lang.h"

enum json_kind {
	JK_END = 0,	/* terminates a field list */
	JK_STRING,
	JK_INTEGER,	/* a JSON number without fraction or exponent */
	JK_NUMBER,
	JK_BOOLEAN,
	JK_OBJECT,	/* checked against 'object' */
	JK_ARRAY,	/* each item checked against 'items' */
};

enum json_format {
	JF_NONE = 0,
	JF_EMAIL,	/* local@domain, one '@', a dot in the domain, no spaces, <= 254 */
	JF_DATE,	/* YYYY-MM-DD, a real calendar date */
	JF_DATETIME,	/* RFC 3339 with Z or offset */
	JF_UUID,	/* 8-4-4-4-12 hex */
	JF_E164,	/* '+' then 8 to 15 digits, first not 0 */
	JF_LANG,	/* fr, en or it */
	JF_INSEE,	/* a commune's INSEE code: 2 chars (digits, 2A, 2B), 3 digits */
	JF_POSTCODE,	/* 3 to 10 letters, digits, spaces or '-' */
};

#define JSON_ERRORS_MAX	50	/* error objects json_check() makes, at most */

#define JF_REQUIRED	0x01
#define JF_NULLABLE	0x02	/* null is accepted in place of the value */

struct json_spec;

struct json_field {
	const char		*name;
	enum json_kind		 kind;
	unsigned		 flags;
	enum json_format	 format;	/* strings only */
	size_t			 min_len;	/* strings: characters; arrays: items */
	size_t			 max_len;	/* 0: no bound */
	long long		 min, max;	/* integers, when min < max */
	const char *const	*one_of;	/* strings: NULL-terminated allowed values */
	const struct json_spec	*object;	/* JK_OBJECT, or JK_ARRAY of objects */
	enum json_kind		 items;		/* JK_ARRAY of scalars: their kind */
};

struct json_spec {
	const char		*name;		/* for documentation */
	const struct json_field	*fields;	/* terminated by { NULL, JK_END } */
	int			 ignore_unknown;	/* only where a protocol says so */
};


struct json_parse_error {
	char	 reason[160];	/* "duplicate key 'email' at byte 52", English */
	size_t	 position;	/* byte offset */
};

/*
 * Parse 'len' bytes.  Returns the value (caller owns a reference) or NULL
 * with 'err' filled.
 */
json_t	*json_parse_strict(const char *, size_t, size_t, struct json_parse_error *);

/*
 * The JSON value of the file 'path' (a file an operator gives guichetctl),
 * parsed as json_parse_strict() does with 'max_depth', at most 'max'
 * bytes.  NULL with why, in English and naming the file, in 'why'.
 */
json_t	*json_read_file(const char *, size_t, size_t, char *, size_t);

/*
 * Check 'value' against 'spec' (the top level must be an object).  Appends
 * one error object per problem to 'errors' (a JSON array) with messages in
 * 'lang', the first JSON_ERRORS_MAX problems only.  Returns the number of
 * problems found, all of them (0 when valid).
 */
size_t	 json_check(const json_t *, const struct json_spec *, enum lang,
	    json_t *);

/* The string member 'k' of 'o', or NULL (not a string, absent, 'o' NULL). */
const char *json_str(const json_t *, const char *);
/* Set member 'k' to the string 'v'; nothing when 'v' is NULL. */
void	 json_set_str(json_t *, const char *, const char *);
/*
 * Set member 'k' to the time 'us' (microseconds since the epoch, the
 * clock's unit) as RFC 3339 in UTC to the second, the API's one
 * precision ("2026-12-20T08:30:00Z"); JSON null when 'us' is 0.
 */
void	 json_set_time(json_t *, const char *, int64_t);

/* Helpers for handlers that add their own semantic errors in the same shape. */
void	 json_error_add(json_t *, const char *, const char *, const char *);

/* Validate one string against a format; 1 when it conforms. */
int	 json_format_ok(enum json_format, const char *);

/* Length of a valid UTF-8 string in characters. */
size_t	 json_utf8_len(const char *);

#endif
