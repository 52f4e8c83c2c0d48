/*
 * test_reply.c: problem documents (RFC 9457) and the database error mapping.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/digest.h"
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

/* A code of this test's own, with a placeholder in each language. */
static const struct errcode	 no_case = { "test_no_case", PROB_NOT_FOUND,
    { "aucun dossier %s", "no case %s", "nessuna pratica %s" } };

START_TEST(test_reply_problem_shape)
{
	struct request	 r;
	json_t		*o;

	req_init(&r, LANG_EN);
	reply_error(&r, &no_case, "7");
	ck_assert_int_eq(r.reply.status, 404);
	ck_assert_str_eq(r.reply.content_type, "application/problem+json");
	o = json_loads(r.reply.body.data, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")),
	    "/problems/not-found");
	ck_assert_str_eq(json_string_value(json_object_get(o, "title")), "Not found");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 404);
	ck_assert_str_eq(json_string_value(json_object_get(o, "code")),
	    "test_no_case");
	ck_assert_str_eq(json_string_value(json_object_get(o, "detail")), "no case 7");
	ck_assert_str_eq(json_string_value(json_object_get(o, "instance")),
	    "/api/v1/things");
	ck_assert_str_eq(json_string_value(json_object_get(o, "request_id")), "req-42");
	ck_assert_ptr_null(json_object_get(o, "errors"));
	json_decref(o);
	reply_reset(&r);
}
END_TEST

/* Title and detail follow the caller's language; the code does not. */
START_TEST(test_reply_problem_translated)
{
	static const struct { enum lang l; const char *title, *detail; } w[] = {
		{ LANG_FR, "Introuvable", "aucun dossier 7" },
		{ LANG_EN, "Not found", "no case 7" },
		{ LANG_IT, "Non trovato", "nessuna pratica 7" },
	};
	struct request	 r;
	json_t		*o;
	size_t		 i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		req_init(&r, w[i].l);
		reply_error(&r, &no_case, "7");
		o = json_loads(r.reply.body.data, 0, NULL);
		ck_assert_str_eq(json_string_value(json_object_get(o, "title")),
		    w[i].title);
		ck_assert_str_eq(json_string_value(json_object_get(o,
		    "detail")), w[i].detail);
		ck_assert_str_eq(json_string_value(json_object_get(o, "code")),
		    "test_no_case");
		json_decref(o);
		reply_reset(&r);
	}
}
END_TEST

START_TEST(test_reply_problem_errors)
{
	struct request	 r;
	json_t		*errors, *o, *e;

	req_init(&r, LANG_EN);
	errors = json_pack("[{s:s, s:s, s:s}]", "field", "/email", "code",
	    "required", "message", "this field is required");
	reply_error_fields(&r, HTTP_ERR(HE_VALIDATION), errors, "1");
	ck_assert_int_eq(r.reply.status, 422);
	o = json_loads(r.reply.body.data, 0, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(o, "errors")), 1);
	json_decref(o);
	reply_reset(&r);
	/* A 422 without fields still has its "errors": the whole request. */
	reply_error(&r, HTTP_ERR(HE_EMPTY_PATCH));
	o = json_loads(r.reply.body.data, 0, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(o, "errors")), 1);
	e = json_array_get(json_object_get(o, "errors"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
	    "empty_patch");
	json_decref(o);
	reply_reset(&r);
}
END_TEST

/*
 * The registry refuses a malformed code: a bad name, texts whose '%s'
 * differ in number, a conversion other than '%s', a code twice.
 */
START_TEST(test_errcode_register_checks)
{
	static const struct errcode bad[] = {
		{ "Bad-Name", PROB_CONFLICT, { "a", "a", "a" } },
		{ "args_differ", PROB_CONFLICT, { "%s", "%s %s", "%s" } },
		{ "not_s", PROB_CONFLICT, { "%d", "%d", "%d" } },
		{ "no_italian", PROB_CONFLICT, { "a", "a", NULL } },
	};
	static const struct errcode twice[] = {
		{ "test_twice", PROB_CONFLICT, { "a", "a", "a" } },
		{ "test_twice", PROB_GONE, { "b", "b", "b" } },
	};
	char	 err[256];
	size_t	 i;

	errcode_register_builtin();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(errcode_register(&bad[i], 1, err, sizeof(err)) ==
		    -1, "%s was accepted", bad[i].code);
	ck_assert_int_eq(errcode_register(twice, 2, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "test_twice"));
	ck_assert_int_eq(errcode_nargs("a %s and %s, 100%%"), 2);
	ck_assert_int_eq(errcode_nargs("%zu"), -1);
}
END_TEST

/* Every code of the http layer is well formed and distinct. */
START_TEST(test_errcode_builtin_valid)
{
	char	 err[256];
	size_t	 i, j;

	for (i = 0; i < HE__COUNT; i++) {
		ck_assert_ptr_nonnull(http_errors[i].code);
		for (j = i + 1; j < HE__COUNT; j++)
			ck_assert_str_ne(http_errors[i].code,
			    http_errors[j].code);
	}
	/* Registered as a table, each passes the registry's checks. */
	if (errcode_count() == 0)
		ck_assert_msg(errcode_register(http_errors, HE__COUNT, err,
		    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_ge(errcode_count(), HE__COUNT);
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
	reply_error(&r, HTTP_ERR(HE_DB_UNAVAILABLE));
	ck_assert_ptr_nonnull(header(&r, "Retry-After"));
	reply_reset(&r);
	reply_error(&r, HTTP_ERR(HE_UNAUTHENTICATED));
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
	reply_error(&r, HTTP_ERR(HE_INTERNAL));
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
	unsigned char	 h[HASH128_LEN];
	char		 a[40], b[40], hex[2 * HASH128_LEN + 1];

	etag_of("hello", 5, a);
	/* hash128("hello") in hex, quoted. */
	hash128("hello", 5, h);
	hex_encode(h, sizeof(h), hex);
	ck_assert_int_eq(strlen(a), 34);
	ck_assert_int_eq(a[0], '"');
	ck_assert_int_eq(a[33], '"');
	ck_assert_int_eq(strncmp(a + 1, hex, 32), 0);
	etag_of("hellp", 5, b);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(etag_match(a, a), 1);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_reply_problem_shape,
	&test_reply_problem_translated,
	&test_reply_problem_errors,
	&test_errcode_register_checks,
	&test_errcode_builtin_valid,
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
