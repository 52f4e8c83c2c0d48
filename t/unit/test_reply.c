/*
 * test_reply.c: problem documents (RFC 9457) and the database error mapping.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "http/reply.h"
#include "unit.h"

static void
req_init(struct request *r, enum lang l)
{
	memset(r, 0, sizeof(*r));
	r->path = "/api/v1/things";
	strcpy(r->id, "req-42");
	r->lang = l;
	buf_init(&r->reply.body);
}

static const char *
header(const struct request *r, const char *name)
{
	int	 i;

	for (i = 0; i < r->reply.nheaders; i++)
		if (strcmp(r->reply.headers[i].name, name) == 0)
			return (r->reply.headers[i].value);
	return (NULL);
}

START_TEST(test_reply_problem_shape)
{
	struct request	 r;
	json_t		*o;

	req_init(&r, LANG_EN);
	reply_problem(&r, PROB_NOT_FOUND, "no case %d", 7);
	ck_assert_int_eq(r.reply.status, 404);
	ck_assert_str_eq(r.reply.content_type, "application/problem+json");
	o = json_loads(r.reply.body.data, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")),
	    "/problems/not-found");
	ck_assert_str_eq(json_string_value(json_object_get(o, "title")), "Not found");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 404);
	ck_assert_str_eq(json_string_value(json_object_get(o, "detail")), "no case 7");
	ck_assert_str_eq(json_string_value(json_object_get(o, "instance")),
	    "/api/v1/things");
	ck_assert_str_eq(json_string_value(json_object_get(o, "request_id")), "req-42");
	ck_assert_ptr_null(json_object_get(o, "errors"));
	json_decref(o);
	reply_reset(&r);
}
END_TEST

START_TEST(test_reply_problem_translated)
{
	struct request	 fr, en, it;

	req_init(&fr, LANG_FR);
	req_init(&en, LANG_EN);
	req_init(&it, LANG_IT);
	reply_problem(&fr, PROB_VALIDATION, "x");
	reply_problem(&en, PROB_VALIDATION, "x");
	reply_problem(&it, PROB_VALIDATION, "x");
	ck_assert_ptr_nonnull(strstr(fr.reply.body.data, "Requête invalide"));
	ck_assert_ptr_nonnull(strstr(en.reply.body.data, "Invalid request"));
	ck_assert_ptr_nonnull(strstr(it.reply.body.data, "Richiesta non valida"));
	reply_reset(&fr);
	reply_reset(&en);
	reply_reset(&it);
}
END_TEST

START_TEST(test_reply_problem_errors)
{
	struct request	 r;
	json_t		*errors, *o;

	req_init(&r, LANG_EN);
	errors = json_pack("[{s:s, s:s, s:s}]", "field", "/email", "code",
	    "required", "message", "this field is required");
	reply_problem_errors(&r, PROB_VALIDATION, errors, "1 field is invalid");
	ck_assert_int_eq(r.reply.status, 422);
	o = json_loads(r.reply.body.data, 0, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(o, "errors")), 1);
	json_decref(o);
	reply_reset(&r);
}
END_TEST

START_TEST(test_reply_statuses)
{
	int	 p;

	for (p = 0; p < PROB__COUNT; p++) {
		ck_assert_int_ge(problem_status(p), 400);
		ck_assert_int_le(problem_status(p), 599);
		ck_assert_ptr_nonnull(problem_type(p));
		ck_assert_int_eq(strncmp(problem_type(p), "/problems/", 10), 0);
		ck_assert_ptr_nonnull(problem_title(p, LANG_FR));
		ck_assert_ptr_nonnull(problem_title(p, LANG_EN));
		ck_assert_ptr_nonnull(problem_title(p, LANG_IT));
	}
	ck_assert_int_eq(problem_status(PROB_TOO_LARGE), 413);
	ck_assert_int_eq(problem_status(PROB_MEDIA_TYPE), 415);
	ck_assert_int_eq(problem_status(PROB_METHOD), 405);
	ck_assert_int_eq(problem_status(PROB_UNAVAILABLE), 503);
}
END_TEST

START_TEST(test_reply_unavailable_retry_after)
{
	struct request	 r;

	req_init(&r, LANG_FR);
	reply_problem(&r, PROB_UNAVAILABLE, "down");
	ck_assert_ptr_nonnull(header(&r, "Retry-After"));
	reply_reset(&r);
	reply_problem(&r, PROB_UNAUTHORIZED, "who are you");
	ck_assert_str_eq(header(&r, "WWW-Authenticate"), "Bearer");
	ck_assert_ptr_null(header(&r, "Retry-After"));
	reply_reset(&r);
}
END_TEST

START_TEST(test_reply_db_error_mapping)
{
	static const struct { enum db_err e; int status; } map[] = {
		{ DB_E_UNAVAILABLE, 503 }, { DB_E_TIMEOUT, 503 },
		{ DB_E_UNIQUE, 409 }, { DB_E_FOREIGN_KEY, 409 },
		{ DB_E_CHECK, 422 }, { DB_E_SERIALIZATION, 503 },
		{ DB_E_INTERNAL, 500 },
	};
	struct request	 r;
	struct db_error	 e;
	size_t		 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		req_init(&r, LANG_EN);
		memset(&e, 0, sizeof(e));
		e.code = map[i].e;
		strcpy(e.sqlstate, "XX000");
		reply_db_error(&r, &e);
		ck_assert_int_eq(r.reply.status, map[i].status);
		/* Never the SQL state or any database text in the body. */
		ck_assert_ptr_null(strstr(r.reply.body.data, "XX000"));
		reply_reset(&r);
	}
}
END_TEST

START_TEST(test_reply_replaces_previous)
{
	struct request	 r;

	req_init(&r, LANG_EN);
	reply_header(&r, "X-One", "1");
	reply_bytes(&r, 200, CT_TEXT, "hello", 5);
	reply_problem(&r, PROB_INTERNAL, "oops");
	ck_assert_int_eq(r.reply.status, 500);
	ck_assert_ptr_null(strstr(r.reply.body.data, "hello"));
	reply_reset(&r);
}
END_TEST

/* RFC 9110 13.1.2 weak comparison, as If-None-Match uses it. */
START_TEST(test_etag_match)
{
	const char	*tag = "\"5d41402abc4b2a76\"";

	ck_assert_int_eq(etag_match(NULL, tag), 0);
	ck_assert_int_eq(etag_match("", tag), 0);
	ck_assert_int_eq(etag_match("*", tag), 1);
	ck_assert_int_eq(etag_match(tag, tag), 1);
	ck_assert_int_eq(etag_match("W/\"5d41402abc4b2a76\"", tag), 1);
	ck_assert_int_eq(etag_match(tag, "W/\"5d41402abc4b2a76\""), 1);
	ck_assert_int_eq(etag_match("\"x\", W/\"y\",\t\"5d41402abc4b2a76\"",
	    tag), 1);
	ck_assert_int_eq(etag_match("\"x\",\"5d41402abc4b2a76\"", tag), 1);
	/* Not a substring search: a longer or shorter tag is another tag. */
	ck_assert_int_eq(etag_match("\"5d41402abc4b2a76ff\"", tag), 0);
	ck_assert_int_eq(etag_match("\"5d41402abc4b2a7\"", tag), 0);
	ck_assert_int_eq(etag_match("\"a\"5d41402abc4b2a76\"\"", tag), 0);
	/* Unquoted or unterminated tags match nothing, and stop nothing. */
	ck_assert_int_eq(etag_match("5d41402abc4b2a76", tag), 0);
	ck_assert_int_eq(etag_match("\"5d41402abc4b2a76", tag), 0);
	ck_assert_int_eq(etag_match("junk, \"5d41402abc4b2a76\"", tag), 1);
	ck_assert_int_eq(etag_match("*x", tag), 0);
}
END_TEST

START_TEST(test_etag_of)
{
	char	 a[40], b[40];

	etag_of("hello", 5, a);
	/* The first 128 bits of SHA-256("hello"), quoted. */
	ck_assert_str_eq(a, "\"2cf24dba5fb0a30e26e83b2ac5b9e29e\"");
	etag_of("hellp", 5, b);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(etag_match(a, a), 1);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_reply_problem_shape,
	&test_reply_problem_translated,
	&test_reply_problem_errors,
	&test_reply_statuses,
	&test_reply_unavailable_retry_after,
	&test_reply_db_error_mapping,
	&test_reply_replaces_previous,
	&test_etag_match,
	&test_etag_of,
	NULL
};

const struct test_group test_groups[] = {
	{ "problem", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
