/*
 * test_json_check.c: the strict JSON parser and the schema checker
 * (src/json/check.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/check.h"
#include "unit.h"

#define DEPTH	32

/* Specs used across the tests. */

static const char *const colors[] = { "red", "green", "blue", NULL };

static const struct json_field employment_fields[] = {
	{ .name = "employer", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 80 },
	{ .name = "contract_start", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	{ .name = "hours", .kind = JK_INTEGER, .min = 1, .max = 48 },
	{ .name = NULL },
};
static const struct json_spec employment_spec = {
	"employment", employment_fields, 0 };

static const struct json_field child_fields[] = {
	{ .name = "name", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .max_len = 40 },
	{ .name = NULL },
};
static const struct json_spec child_spec = { "child", child_fields, 0 };

static const struct json_field person_fields[] = {
	{ .name = "name", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 80 },
	{ .name = "email", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_EMAIL },
	{ .name = "age", .kind = JK_INTEGER, .min = 0, .max = 150 },
	{ .name = "score", .kind = JK_NUMBER },
	{ .name = "active", .kind = JK_BOOLEAN },
	{ .name = "lang", .kind = JK_STRING, .format = JF_LANG },
	{ .name = "phone", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .format = JF_E164 },
	{ .name = "color", .kind = JK_STRING, .one_of = colors },
	{ .name = "birth", .kind = JK_STRING, .format = JF_DATE },
	{ .name = "seen_at", .kind = JK_STRING, .format = JF_DATETIME },
	{ .name = "id", .kind = JK_STRING, .format = JF_UUID },
	{ .name = "code", .kind = JK_STRING, .min_len = 3, .max_len = 5 },
	{ .name = "employment", .kind = JK_OBJECT, .flags = JF_NULLABLE,
	  .object = &employment_spec },
	{ .name = "tags", .kind = JK_ARRAY, .items = JK_STRING,
	  .max_len = 4 },
	{ .name = "levels", .kind = JK_ARRAY, .items = JK_INTEGER,
	  .min = 1, .max = 5 },
	{ .name = "langs", .kind = JK_ARRAY, .items = JK_STRING,
	  .format = JF_LANG },
	{ .name = "children", .kind = JK_ARRAY, .min_len = 1,
	  .object = &child_spec },
	{ .name = "extra", .kind = JK_OBJECT },	/* free-form */
	{ .name = NULL },
};
static const struct json_spec person_spec = { "person", person_fields, 0 };

static const struct json_field odd_fields[] = {
	{ .name = "a/b", .kind = JK_STRING, .flags = JF_REQUIRED },
	{ .name = "m~n", .kind = JK_STRING, .flags = JF_REQUIRED },
	{ .name = NULL },
};
static const struct json_spec odd_spec = { "odd", odd_fields, 0 };

/* Helpers. */

static json_t *
parse_ok(const char *s)
{
	struct json_parse_error	 err;
	json_t			*v;

	memset(&err, 0, sizeof(err));
	v = json_parse_strict(s, strlen(s), DEPTH, &err);
	ck_assert_msg(v != NULL, "refused %s: %s", s, err.reason);
	return (v);
}

/* The value, or NULL; for the depth tests. */
static json_t *
parse_depth(const char *s, size_t depth)
{
	struct json_parse_error	 err;

	return (json_parse_strict(s, strlen(s), depth, &err));
}

/* Refused; the reason is returned in 'err'. */
static void
parse_bad_len(const char *s, size_t len, size_t depth,
    struct json_parse_error *err)
{
	json_t	*v;

	memset(err, 0, sizeof(*err));
	v = json_parse_strict(s, len, depth, err);
	ck_assert_msg(v == NULL, "accepted %.*s", (int)len, s);
	ck_assert_msg(err->reason[0] != '\0', "no reason for %.*s", (int)len,
	    s);
	json_decref(v);
}

static void
parse_bad(const char *s)
{
	struct json_parse_error	 err;

	parse_bad_len(s, strlen(s), DEPTH, &err);
}

/* Parse 'doc' (which must be well-formed) and check it; errors in *out. */
static size_t
check_text(const struct json_spec *spec, const char *doc,
    enum lang lang, json_t **out)
{
	json_t	*v, *errors;
	size_t	 n;

	v = parse_ok(doc);
	errors = json_array();
	n = json_check(v, spec, lang, errors);
	ck_assert_msg(n == json_array_size(errors),
	    "count %zu but %zu errors for %s", n, json_array_size(errors),
	    doc);
	json_decref(v);
	*out = errors;
	return (n);
}

static const json_t *
find_error(const json_t *errors, const char *field, const char *code)
{
	const json_t	*e;
	size_t		 i;

	for (i = 0; i < json_array_size(errors); i++) {
		e = json_array_get(errors, i);
		if (strcmp(json_string_value(json_object_get(e, "field")),
		    field) == 0 && strcmp(json_string_value(
		    json_object_get(e, "code")), code) == 0)
			return (e);
	}
	return (NULL);
}

static const char *
message_of(const json_t *e)
{
	return (json_string_value(json_object_get(e, "message")));
}

/*
 * A valid person plus 'extra' members; when 'extra' starts with "name" or
 * "email", it replaces that member (duplicate keys would not parse).
 */
static char *
person(const char *extra)
{
	const char	*name = "\"name\": \"Ana\", ";
	const char	*email = "\"email\": \"ana@example.fr\", ";
	char		*doc;

	if (strncmp(extra, "\"name\":", 7) == 0)
		name = "";
	if (strncmp(extra, "\"email\":", 8) == 0)
		email = "";
	if (asprintf(&doc, "{%s%s%s}", name, email, extra) == -1)
		abort();
	/* No extra: drop the trailing ", ". */
	if (extra[0] == '\0')
		memcpy(doc + strlen(doc) - 3, "}", 2);
	return (doc);
}

/* A person with 'extra' members has no errors. */
static void
person_ok(const char *extra)
{
	json_t	*errors;
	char	*doc = person(extra);
	size_t	 n;

	n = check_text(&person_spec, doc, LANG_EN, &errors);
	ck_assert_msg(n == 0, "%zu errors for %s, first: %s", n, doc,
	    n > 0 ? json_string_value(json_object_get(json_array_get(errors,
	    0), "code")) : "");
	json_decref(errors);
	free(doc);
}

/*
 * A person with 'extra' members has exactly one error, at 'field' with
 * 'code'; its English message is returned (to be freed) for closer looks.
 */
static char *
person_bad(const char *extra, const char *field, const char *code)
{
	const json_t	*e;
	json_t		*errors;
	char		*doc = person(extra), *m;
	size_t		 n;

	n = check_text(&person_spec, doc, LANG_EN, &errors);
	e = find_error(errors, field, code);
	ck_assert_msg(e != NULL, "no %s error at '%s' for %s", code, field,
	    doc);
	ck_assert_msg(n == 1, "%zu errors for %s (want 1)", n, doc);
	ck_assert_msg(message_of(e) != NULL && message_of(e)[0] != '\0',
	    "empty message");
	m = strdup(message_of(e));
	json_decref(errors);
	free(doc);
	return (m);
}

static void
person_bad1(const char *extra, const char *field, const char *code)
{
	free(person_bad(extra, field, code));
}

/* person_bad1() for each entry of a table. */
struct bad_member {
	const char	*extra, *field, *code;
};

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static void
persons_bad(const struct bad_member *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		person_bad1(b[i].extra, b[i].field, b[i].code);
}

/* 'depth' nested arrays, or objects {"a": ...}, with a 1 at the bottom. */
static char *
nest(size_t depth, int objects)
{
	char	*s, *p;
	size_t	 i;

	p = s = malloc(depth * 6 + 2);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < depth; i++) {
		if (objects) {
			memcpy(p, "{\"a\":", 5);
			p += 5;
		} else
			*p++ = '[';
	}
	*p++ = '1';
	for (i = 0; i < depth; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return (s);
}

/* json_parse_strict */

START_TEST(test_json_parse_valid)
{
	static const char *const docs[] = {
		"{}", "[]", "{\"a\": 1, \"b\": [true, false, null], "
		"\"c\": {\"d\": \"e\"}}", "42", "-0.5e3", "\"text\"", "null",
		"true", " \n\t{\"a\" : [ 1 , 2 ]}\r\n ",
		"\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		"\"\\ud83d\\ude00 \\u00e9 \\\" \\\\ \\/ \\n\"",
		"{\"a\": {\"a\": 1}}",		/* same key, other object */
		"[{\"a\": 1}, {\"a\": 2}]",
		NULL
	};
	size_t	 i;
	json_t	*v;

	for (i = 0; docs[i] != NULL; i++) {
		v = parse_ok(docs[i]);
		json_decref(v);
	}
	v = parse_ok("{\"k\": [1, \"x\"]}");
	ck_assert_int_eq(json_integer_value(json_array_get(
	    json_object_get(v, "k"), 0)), 1);
	ck_assert_str_eq(json_string_value(json_array_get(
	    json_object_get(v, "k"), 1)), "x");
	json_decref(v);
}
END_TEST

START_TEST(test_json_parse_malformed)
{
	static const char *const docs[] = {
		"{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "{'a': 1}",
		"{a: 1}", "[1 2]", "nul", "01", "NaN", "-", "+1", "[,1]",
		"{\"a\":1,}", "\"unterminated", "\"bad \\x escape\"",
		"\"tab\there\"", "\"\\u12\"", "/* comment */ {}", "\xef\xbb\xbf{}",
		NULL
	};
	size_t	 i;

	for (i = 0; docs[i] != NULL; i++)
		parse_bad(docs[i]);
}
END_TEST

START_TEST(test_json_parse_trailing_garbage)
{
	struct json_parse_error	 err;

	parse_bad("{} x");
	parse_bad("{}{}");
	parse_bad("[1]]");
	parse_bad("1 2");
	parse_bad("{\"a\": 1} ,");
	parse_bad_len("{}\0", 3, DEPTH, &err);	/* a NUL byte after the value */
	json_decref(parse_ok("{}\n"));
}
END_TEST

START_TEST(test_json_parse_duplicate_keys)
{
	struct json_parse_error	 err;
	const char		*s;

	s = "{\"email\": \"a@b.fr\", \"email\": \"c@d.fr\"}";
	parse_bad_len(s, strlen(s), DEPTH, &err);
	ck_assert_msg(strstr(err.reason, "duplicate") != NULL, "%s",
	    err.reason);
	ck_assert_msg(strstr(err.reason, "email") != NULL, "%s", err.reason);
	ck_assert_uint_gt(err.position, 0);
	ck_assert_uint_le(err.position, strlen(s));

	s = "{\"x\": {\"b\": 1, \"c\": 2, \"b\": 3}}";
	parse_bad_len(s, strlen(s), DEPTH, &err);
	ck_assert_msg(strstr(err.reason, "duplicate") != NULL, "%s",
	    err.reason);
	parse_bad("[{\"a\": 1}, {\"a\": 1, \"a\": 1}]");
	/* The same key spelled with an escape is still the same key. */
	parse_bad("{\"a\": 1, \"\\u0061\": 2}");
}
END_TEST

START_TEST(test_json_parse_reason_hides_values)
{
	struct json_parse_error	 err;
	const char		*s;

	s = "{\"password\": \"hunter2";
	parse_bad_len(s, strlen(s), DEPTH, &err);
	ck_assert_msg(strstr(err.reason, "hunter2") == NULL, "%s", err.reason);
	s = "{\"password\": hunter2}";
	parse_bad_len(s, strlen(s), DEPTH, &err);
	ck_assert_msg(strstr(err.reason, "hunter2") == NULL, "%s", err.reason);
	ck_assert_msg(strstr(err.reason, "byte") != NULL, "%s", err.reason);
	/* A key that does not look like a field name is not repeated. */
	s = "{\"jean.dupont@example.fr \": 1, \"jean.dupont@example.fr \": 2}";
	parse_bad_len(s, strlen(s), DEPTH, &err);
	ck_assert_msg(strstr(err.reason, "dupont") == NULL, "%s", err.reason);
}
END_TEST

START_TEST(test_json_parse_invalid_utf8)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} docs[] = {
#define D(x)	{ x, sizeof(x) - 1 }
		D("\"\x80\""),			/* lone continuation byte */
		D("\"\xc3\""),			/* truncated two-byte */
		D("\"\xe2\x82\""),		/* truncated three-byte */
		D("\"\xc0\xaf\""),		/* overlong '/' */
		D("\"\xc1\xbf\""),		/* overlong */
		D("\"\xe0\x80\xaf\""),		/* overlong, three bytes */
		D("\"\xf0\x80\x80\xaf\""),	/* overlong, four bytes */
		D("\"\xed\xa0\x80\""),		/* encoded high surrogate */
		D("\"\xed\xbf\xbf\""),		/* encoded low surrogate */
		D("\"\xf4\x90\x80\x80\""),	/* above U+10FFFF */
		D("\"\xf5\x80\x80\x80\""),
		D("\"\xfe\""),
		D("\"\xff\""),
		D("{\"k\xe9y\": 1}"),		/* Latin-1 in a key */
		D("[1]\x80"),			/* outside any string */
		D("\"\\ud800\""),		/* lone high surrogate escape */
		D("\"\\udc00\""),		/* lone low surrogate escape */
		D("\"\\ud800\\u0041\""),	/* high not followed by low */
#undef D
	};
	struct json_parse_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		parse_bad_len(docs[i].s, docs[i].len, DEPTH, &err);
}
END_TEST

START_TEST(test_json_parse_nul_refused)
{
	struct json_parse_error	 err;
	const char		 raw[] = "\"a\0b\"";

	parse_bad("\"\\u0000\"");
	parse_bad("\"abc\\u0000def\"");
	parse_bad("{\"\\u0000\": 1}");
	parse_bad("{\"a\\u0000\": 1}");
	parse_bad_len(raw, sizeof(raw) - 1, DEPTH, &err);
}
END_TEST

START_TEST(test_json_parse_depth_cap)
{
	static const struct {
		const char	*doc;
		int		 depth, ok;
	} caps[] = {
		/* Arrays and objects count together. */
		{ "[{\"a\": [{}]}]", 4, 1 },
		{ "[{\"a\": [{\"b\": []}]}]", 4, 0 },
		/* Depth is nesting, not a count of containers. */
		{ "[[], [], {}, [[]], {\"a\": {}}]", 3, 1 },
		/* A cap of 1 still takes a flat object. */
		{ "{\"a\": 1, \"b\": 2}", 1, 1 },
		{ "{\"a\": []}", 1, 0 },
		/* Scalars have no depth. */
		{ "7", 0, 1 },
	};
	struct json_parse_error	 err;
	char			*s;
	json_t			*v;
	size_t			 i;
	int			 objects;

	for (objects = 0; objects <= 1; objects++) {
		s = nest(DEPTH, objects);
		v = parse_ok(s);
		json_decref(v);
		free(s);
		s = nest(DEPTH + 1, objects);
		parse_bad_len(s, strlen(s), DEPTH, &err);
		ck_assert_msg(strstr(err.reason, "nest") != NULL, "%s",
		    err.reason);
		/* The refusal points at the bracket past the cap. */
		ck_assert_uint_eq(err.position, objects ? 5 * DEPTH : DEPTH);
		free(s);
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		v = parse_depth(caps[i].doc, caps[i].depth);
		ck_assert_msg((v != NULL) == caps[i].ok, "%s at depth %d: %s",
		    caps[i].doc, caps[i].depth, v != NULL ? "taken" : "refused");
		json_decref(v);
	}
}
END_TEST

START_TEST(test_json_parse_depth_ignores_strings)
{
	static const char *const docs[] = {
		"[\"[[[[{{{{\"]",
		"{\"[[[[\": \"{{{{\"}",
		"[\"\\\"[[[[[\"]",		/* escaped quote inside */
		"[\"\\\\\", \"x\"]",		/* escaped backslash ends */
		NULL
	};
	struct json_parse_error	 err;
	json_t			*v;
	size_t			 i;

	for (i = 0; docs[i] != NULL; i++) {
		v = json_parse_strict(docs[i], strlen(docs[i]), 1, &err);
		ck_assert_msg(v != NULL, "refused %s: %s", docs[i],
		    err.reason);
		json_decref(v);
	}
	/* A closing bracket in a string does not lower the count. */
	ck_assert_ptr_null(parse_depth("[\"]]]]\", [[1]]]", 2));
	/* An escaped backslash does not escape the closing quote. */
	ck_assert_ptr_null(parse_depth("[\"\\\\\", [1]]", 1));
}
END_TEST

/*
 * Ten million '[' (and the same with a generous cap, where jansson's own
 * limit must answer): refused without exhausting the stack.
 */
START_TEST(test_json_parse_huge_nesting)
{
	struct json_parse_error	 err;
	size_t			 n = 10 * 1000 * 1000;
	char			*s;

	s = malloc(n);
	ck_assert_ptr_nonnull(s);
	memset(s, '[', n);
	parse_bad_len(s, n, DEPTH, &err);
	ck_assert_uint_eq(err.position, DEPTH);
	parse_bad_len(s, n, (size_t)-1, &err);
	memset(s, '{', n);
	parse_bad_len(s, n, 1000, &err);
	free(s);
}
END_TEST

START_TEST(test_json_parse_empty)
{
	struct json_parse_error	 err;

	parse_bad_len("", 0, DEPTH, &err);
	parse_bad_len("   \n\t\r", 6, DEPTH, &err);
	/* A NULL error is allowed. */
	ck_assert_ptr_null(json_parse_strict("", 0, DEPTH, NULL));
	ck_assert_ptr_null(json_parse_strict("{", 1, DEPTH, NULL));
	ck_assert_ptr_null(json_parse_strict("[[1]]", 5, 1, NULL));
}
END_TEST

/* json_check */

START_TEST(test_json_check_valid)
{
	json_t	*errors;

	person_ok("");
	person_ok("\"age\": 0, \"score\": 1.5, \"active\": true, "
	    "\"lang\": \"it\", \"phone\": \"+33612345678\", "
	    "\"color\": \"green\", \"birth\": \"1990-07-14\", "
	    "\"seen_at\": \"2026-12-20T08:30:00Z\", "
	    "\"id\": \"123e4567-e89b-12d3-a456-426614174000\", "
	    "\"code\": \"abc\", "
	    "\"employment\": {\"employer\": \"Mairie\", "
	    "\"contract_start\": \"2026-01-05\", \"hours\": 35}, "
	    "\"tags\": [\"a\", \"b\"], \"levels\": [1, 5], "
	    "\"children\": [{\"name\": \"Léa\"}], "
	    "\"extra\": {\"anything\": [1, {\"goes\": null}]}");
	person_ok("\"score\": 3");		/* an integer is a number */
	person_ok("\"active\": false");
	person_ok("\"tags\": []");
	ck_assert_uint_eq(check_text(&person_spec, "{\"name\": \"x\", "
	    "\"email\": \"x@y.fr\"}", LANG_FR, &errors), 0);
	ck_assert_uint_eq(json_array_size(errors), 0);
	json_decref(errors);
}
END_TEST

START_TEST(test_json_check_required)
{
	json_t		*errors;
	const json_t	*e;

	ck_assert_uint_eq(check_text(&person_spec, "{}", LANG_EN,
	    &errors), 2);
	ck_assert_ptr_nonnull(find_error(errors, "/name", "required"));
	ck_assert_ptr_nonnull(e = find_error(errors, "/email", "required"));
	ck_assert_str_eq(message_of(e), "this field is required");
	json_decref(errors);

	ck_assert_uint_eq(check_text(&person_spec, "{\"name\": \"Ana\"}",
	    LANG_EN, &errors), 1);
	ck_assert_ptr_nonnull(find_error(errors, "/email", "required"));
	json_decref(errors);
}
END_TEST

START_TEST(test_json_check_type)
{
	static const struct bad_member bad[] = {
		{ "\"age\": \"5\"", "/age", "type" },
		{ "\"age\": 5.0", "/age", "type" },
		{ "\"age\": 5e1", "/age", "type" },
		{ "\"age\": true", "/age", "type" },
		{ "\"score\": \"1.5\"", "/score", "type" },
		{ "\"score\": [1]", "/score", "type" },
		{ "\"active\": \"true\"", "/active", "type" },
		{ "\"active\": 1", "/active", "type" },
		{ "\"employment\": []", "/employment", "type" },
		{ "\"employment\": \"Mairie\"", "/employment", "type" },
		{ "\"tags\": {}", "/tags", "type" },
		{ "\"tags\": \"a\"", "/tags", "type" },
		{ "\"extra\": 1", "/extra", "type" },
		{ "\"age\": null", "/age", "type" },
		{ "\"color\": null", "/color", "type" },
	};
	json_t	*errors;
	char	*m;

	persons_bad(bad, NCASES(bad));
	m = person_bad("\"lang\": 5", "/lang", "type");
	ck_assert_str_eq(m, "must be a string");
	free(m);
	m = person_bad("\"age\": \"x\"", "/age", "type");
	ck_assert_str_eq(m, "must be an integer");
	free(m);

	/* A string where the object itself was expected. */
	ck_assert_uint_eq(check_text(&person_spec, "{\"name\": 1, "
	    "\"email\": false}", LANG_EN, &errors), 2);
	ck_assert_ptr_nonnull(find_error(errors, "/name", "type"));
	ck_assert_ptr_nonnull(find_error(errors, "/email", "type"));
	json_decref(errors);
}
END_TEST

START_TEST(test_json_check_top_level_not_object)
{
	static const char *const docs[] = {
		"[]", "\"x\"", "1", "null", "true", "[{\"name\": \"Ana\"}]",
		NULL
	};
	json_t	*errors;
	size_t	 i;

	for (i = 0; docs[i] != NULL; i++) {
		ck_assert_uint_eq(check_text(&person_spec, docs[i],
		    LANG_EN, &errors), 1);
		ck_assert_ptr_nonnull(find_error(errors, "", "type"));
		json_decref(errors);
	}
}
END_TEST

START_TEST(test_json_check_unknown)
{
	static const struct bad_member bad[] = {
		{ "\"nmae\": \"Ana\"", "/nmae", "unknown" },
		{ "\"Name\": \"Ana\"", "/Name", "unknown" },
		{ "\"employment\": {\"employer\": \"M\", "
		    "\"contract_start\": \"2026-01-05\", \"salary\": 1}",
		    "/employment/salary", "unknown" },
		{ "\"children\": [{\"name\": \"a\", \"age\": 3}]",
		    "/children/0/age", "unknown" },
	};
	json_t		*errors;
	const json_t	*e;

	persons_bad(bad, NCASES(bad));
	/* null is no excuse for an unknown field. */
	ck_assert_uint_eq(check_text(&person_spec, "{\"name\": \"Ana\", "
	    "\"email\": \"a@b.fr\", \"x\": null, \"y\": {}}", LANG_FR,
	    &errors), 2);
	ck_assert_ptr_nonnull(e = find_error(errors, "/x", "unknown"));
	ck_assert_str_eq(message_of(e), "champ inconnu");
	ck_assert_ptr_nonnull(find_error(errors, "/y", "unknown"));
	json_decref(errors);
}
END_TEST

START_TEST(test_json_check_length_in_characters)
{
	char	 extra[1024], *m;
	size_t	 i;

	/* 80 two-byte characters (160 bytes) fit in max_len 80. */
	strcpy(extra, "\"name\": \"");
	for (i = 0; i < 80; i++)
		strcat(extra, "\xc3\xa9");
	strcat(extra, "\"");
	ck_assert_uint_eq(strlen(extra), 9 + 160 + 1);
	/* Replace the default name: build the whole document here. */
	{
		json_t	*errors;
		char	 doc[2048];

		snprintf(doc, sizeof(doc), "{%s, \"email\": \"a@b.fr\"}",
		    extra);
		ck_assert_uint_eq(check_text(&person_spec, doc, LANG_EN,
		    &errors), 0);
		json_decref(errors);
		/* 81 characters do not. */
		snprintf(doc, sizeof(doc), "{%.*s\xe2\x82\xac\", "
		    "\"email\": \"a@b.fr\"}", (int)strlen(extra) - 1, extra);
		ck_assert_uint_eq(check_text(&person_spec, doc, LANG_EN,
		    &errors), 1);
		ck_assert_ptr_nonnull(find_error(errors, "/name",
		    "max_length"));
		ck_assert_msg(strstr(message_of(find_error(errors, "/name",
		    "max_length")), "80") != NULL, "bound missing");
		json_decref(errors);
	}
	/* "code" takes 3 to 5 characters; emoji are four bytes each. */
	person_ok("\"code\": \"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
	    "\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"");
	person_ok("\"code\": \"\\u00e9\\u00e9\\u00e9\"");
	m = person_bad("\"code\": \"ab\"", "/code", "min_length");
	ck_assert_str_eq(m, "at least 3 characters");
	free(m);
	m = person_bad("\"code\": \"abcdef\"", "/code", "max_length");
	ck_assert_str_eq(m, "at most 5 characters");
	free(m);
	/* Six characters, but only two of them ASCII. */
	person_bad1("\"code\": \"ab\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", "/code",
	    "max_length");
	/* min_len 1: an empty string is refused. */
	person_ok("\"employment\": {\"employer\": \"M\", "
	    "\"contract_start\": \"2026-01-05\"}");
	person_bad1("\"employment\": {\"employer\": \"\", "
	    "\"contract_start\": \"2026-01-05\"}", "/employment/employer",
	    "min_length");
}
END_TEST

START_TEST(test_json_check_one_of)
{
	char	*m;

	person_ok("\"color\": \"red\"");
	person_ok("\"color\": \"blue\"");
	person_bad1("\"color\": \"Red\"", "/color", "one_of");
	person_bad1("\"color\": \"\"", "/color", "one_of");
	m = person_bad("\"color\": \"purple\"", "/color", "one_of");
	ck_assert_msg(strstr(m, "red") != NULL && strstr(m, "green") != NULL &&
	    strstr(m, "blue") != NULL, "allowed values missing: %s", m);
	ck_assert_msg(strstr(m, "purple") == NULL, "value echoed: %s", m);
	free(m);
}
END_TEST

START_TEST(test_json_check_formats)
{
	static const struct bad_member bad[] = {
		{ "\"birth\": \"2026-02-29\"", "/birth", "format" },
		{ "\"birth\": \"2026-04-31\"", "/birth", "format" },
		{ "\"birth\": \"14/07/1990\"", "/birth", "format" },
	};
	static const struct bad_member bad2[] = {
		{ "\"seen_at\": \"2026-12-20T08:30:00\"", "/seen_at",
		    "format" },
		{ "\"seen_at\": \"2026-12-20\"", "/seen_at", "format" },
		{ "\"email\": \"ana.example.fr\"", "/email", "format" },
		{ "\"phone\": \"06 12 34 56 78\"", "/phone", "format" },
		{ "\"id\": \"123e4567e89b12d3a456426614174000\"", "/id",
		    "format" },
		{ "\"lang\": \"de\"", "/lang", "format" },
		{ "\"employment\": {\"employer\": \"M\", "
		    "\"contract_start\": \"2026-02-29\"}",
		    "/employment/contract_start", "format" },
	};

	person_ok("\"birth\": \"2028-02-29\"");
	persons_bad(bad, NCASES(bad));
	person_ok("\"seen_at\": \"2026-12-20T08:30:00.5+01:00\"");
	persons_bad(bad2, NCASES(bad2));
}
END_TEST

/* json_format_ok() takes every 'good' and refuses every 'bad'. */
static void
formats(enum json_format f, const char *const *good, const char *const *bad)
{
	size_t	 i;

	for (i = 0; good[i] != NULL; i++)
		ck_assert_msg(json_format_ok(f, good[i]), "refused %s", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(!json_format_ok(f, bad[i]), "accepted %s", bad[i]);
}

START_TEST(test_json_format_date)
{
	static const char *const good[] = {
		"2028-02-29", "2000-02-29", "2026-02-28", "2026-12-31",
		"2026-01-01", "0001-01-01", "9999-12-31", "2026-04-30", NULL
	};
	static const char *const bad[] = {
		"2026-02-29", "1900-02-29", "2100-02-29", "2026-04-31",
		"2026-06-31", "2026-13-01", "2026-00-10", "2026-01-00",
		"2026-01-32", "0000-01-01", "2026-1-01", "2026-01-1",
		"26-01-01", "2026/01/01", "2026-01-01T00:00:00Z",
		" 2026-01-01", "2026-01-01 ", "20260101", "", "2026-0a-01",
		"+2026-01-01", NULL
	};

	formats(JF_DATE, good, bad);
}
END_TEST

START_TEST(test_json_format_datetime)
{
	static const char *const good[] = {
		"2026-12-20T08:30:00Z", "2026-12-20T08:30:00.123456Z",
		"2026-12-20T08:30:00+01:00", "2026-12-20T08:30:00-05:30",
		"2028-02-29T23:59:59Z", NULL
	};
	static const char *const bad[] = {
		"2026-12-20T08:30:00", "2026-12-20 08:30:00Z",
		"2026-02-29T08:30:00Z", "2026-12-20T24:00:00Z",
		"2026-12-20T08:60:00Z", "2026-12-20T08:30Z",
		"2026-12-20T08:30:00+0100", "2026-12-20T08:30:00.Z",
		"2026-12-20T08:30:00Zjunk", "2026-12-20", "", NULL
	};

	formats(JF_DATETIME, good, bad);
}
END_TEST

START_TEST(test_json_format_e164)
{
	static const char *const good[] = {
		"+33612345678", "+12345678", "+123456789012345",
		"+390612345678", NULL
	};
	static const char *const bad[] = {
		"+1234567", "+1234567890123456", "+0123456789", "0612345678",
		"+33 6 12 34 56 78", "+33612345678x", "+", "", "33612345678",
		"++33612345678", "+33-612345678", " +33612345678", NULL
	};

	formats(JF_E164, good, bad);
}
END_TEST

START_TEST(test_json_format_email)
{
	static const char *const good[] = {
		"a@b.fr", "jean.dupont+mairie@montgenevre.example.fr",
		"x_y-z@sub.domain.it", "\xc3\xa9lise@example.fr", NULL
	};
	static const char *const bad[] = {
		"a@b", "@b.fr", "a@", "a@@b.fr", "a@b@c.fr", "a b@c.fr",
		"a@b .fr", "a@b..fr", "a@.b.fr", "a@b.fr.", "ab.fr", "",
		"a@b.fr\n", "\"a\"@b.fr", "a@b.fr>", "<a@b.fr", "a,b@c.fr",
		"a@b;c.fr", "a@b.fr\t", NULL
	};
	char	 big[300];

	formats(JF_EMAIL, good, bad);
	/* 254 bytes is the limit: "a@" + 248 letters + ".fr" + 1. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "a@", 2);
	memcpy(big + 251, ".fr", 3);
	big[254] = '\0';
	ck_assert_uint_eq(strlen(big), 254);
	ck_assert(json_format_ok(JF_EMAIL, big));
	memmove(big + 3, big + 2, 253);		/* one byte more */
	big[255] = '\0';
	ck_assert_uint_eq(strlen(big), 255);
	ck_assert(!json_format_ok(JF_EMAIL, big));
}
END_TEST

START_TEST(test_json_format_uuid_lang)
{
	static const char *const uuid_good[] = {
		"123e4567-e89b-12d3-a456-426614174000",
		"123E4567-E89B-12D3-A456-426614174000",
		"00000000-0000-0000-0000-000000000000", NULL
	};
	static const char *const uuid_bad[] = {
		"123e4567e89b12d3a456426614174000",
		"123e4567-e89b-12d3-a456-42661417400",
		"123e4567-e89b-12d3-a456-4266141740000",
		"123e4567-e89b-12d3-a456_426614174000",
		"g23e4567-e89b-12d3-a456-426614174000",
		"{123e4567-e89b-12d3-a456-426614174000}",
		"123e4567-e89b-12d3-a456-42661417400 ", "", NULL
	};
	static const char *const lang_good[] = { "fr", "en", "it", NULL };
	static const char *const lang_bad[] = {
		"FR", "de", "", "fr-FR", "fr ", "f", "english", NULL
	};

	formats(JF_UUID, uuid_good, uuid_bad);
	formats(JF_LANG, lang_good, lang_bad);
	ck_assert(json_format_ok(JF_NONE, "anything"));
}
END_TEST

START_TEST(test_json_check_integer_bounds)
{
	char	*m;

	person_ok("\"age\": 0");
	person_ok("\"age\": 150");
	m = person_bad("\"age\": -1", "/age", "minimum");
	ck_assert_msg(strstr(m, "0") != NULL, "bound missing: %s", m);
	free(m);
	m = person_bad("\"age\": 151", "/age", "maximum");
	ck_assert_msg(strstr(m, "150") != NULL, "bound missing: %s", m);
	ck_assert_msg(strstr(m, "151") == NULL, "value echoed: %s", m);
	free(m);
	person_bad1("\"age\": 9223372036854775807", "/age", "maximum");
	person_bad1("\"age\": -9223372036854775808", "/age", "minimum");
	/* Bounds on integer items of an array. */
	person_ok("\"levels\": [1, 2, 5]");
	person_bad1("\"levels\": [1, 6]", "/levels/1", "maximum");
	person_bad1("\"levels\": [0]", "/levels/0", "minimum");
	/* min == max: no bounds. */
	person_ok("\"score\": -1000000");
}
END_TEST

START_TEST(test_json_check_nested)
{
	json_t	*errors;

	person_bad1("\"employment\": {\"contract_start\": \"2026-01-05\"}",
	    "/employment/employer", "required");
	person_bad1("\"employment\": {\"employer\": \"M\", "
	    "\"contract_start\": \"2026-01-05\", \"hours\": 60}",
	    "/employment/hours", "maximum");
	ck_assert_uint_eq(check_text(&person_spec, "{\"name\": \"Ana\", "
	    "\"email\": \"a@b.fr\", \"employment\": {}}", LANG_EN,
	    &errors), 2);
	ck_assert_ptr_nonnull(find_error(errors, "/employment/employer",
	    "required"));
	ck_assert_ptr_nonnull(find_error(errors, "/employment/contract_start",
	    "required"));
	json_decref(errors);
}
END_TEST

START_TEST(test_json_check_arrays)
{
	static const struct bad_member bad[] = {
		{ "\"langs\": [\"fr\", \"de\"]", "/langs/1", "format" },
		{ "\"children\": []", "/children", "min_length" },
		{ "\"children\": [{\"name\": \"a\"}, {}]", "/children/1/name",
		    "required" },
		{ "\"children\": [{\"name\": \"a\"}, 3]", "/children/1", "type" },
		{ "\"children\": [{\"name\": 3}]", "/children/0/name", "type" },
	};
	char	*m;

	person_bad1("\"tags\": [\"a\", \"b\", 3]", "/tags/2", "type");
	person_bad1("\"tags\": [null]", "/tags/0", "type");
	person_ok("\"tags\": [\"a\", \"b\", \"c\", \"d\"]");
	/* The array's bounds count items, not the items' characters. */
	person_ok("\"tags\": [\"longer than four\", \"\"]");
	m = person_bad("\"tags\": [\"a\", \"b\", \"c\", \"d\", \"e\"]", "/tags",
	    "max_length");
	ck_assert_str_eq(m, "at most 4 items");
	free(m);
	/* The field's format applies to each string item. */
	person_ok("\"langs\": [\"fr\", \"it\"]");
	persons_bad(bad, NCASES(bad));
}
END_TEST

START_TEST(test_json_check_nullable)
{
	static const struct bad_member bad[] = {
		{ "\"phone\": \"\"", "/phone", "format" },
		{ "\"name\": null", "/name", "type" },
		{ "\"tags\": null", "/tags", "type" },
	};
	person_ok("\"phone\": null");
	person_ok("\"employment\": null");
	persons_bad(bad, NCASES(bad));
}
END_TEST

START_TEST(test_json_check_multiple_errors)
{
	json_t	*errors;
	size_t	 n;

	n = check_text(&person_spec, "{\"email\": \"nope\", \"age\": 200, "
	    "\"lang\": \"de\", \"tags\": [1, \"b\", 2], \"bogus\": 1, "
	    "\"employment\": {\"employer\": \"M\", "
	    "\"contract_start\": \"2026-02-30\"}}", LANG_EN, &errors);
	ck_assert_uint_eq(n, 8);
	ck_assert_ptr_nonnull(find_error(errors, "/name", "required"));
	ck_assert_ptr_nonnull(find_error(errors, "/email", "format"));
	ck_assert_ptr_nonnull(find_error(errors, "/age", "maximum"));
	ck_assert_ptr_nonnull(find_error(errors, "/lang", "format"));
	ck_assert_ptr_nonnull(find_error(errors, "/tags/0", "type"));
	ck_assert_ptr_nonnull(find_error(errors, "/tags/2", "type"));
	ck_assert_ptr_nonnull(find_error(errors, "/bogus", "unknown"));
	ck_assert_ptr_nonnull(find_error(errors,
	    "/employment/contract_start", "format"));
	json_decref(errors);

	/* Errors are appended to what the array already holds. */
	{
		json_t	*v = parse_ok("{}");

		errors = json_array();
		json_error_add(errors, "/x", "conflict", "already there");
		ck_assert_uint_eq(json_check(v, &person_spec, LANG_EN,
		    errors), 2);
		ck_assert_uint_eq(json_array_size(errors), 3);
		json_decref(v);
		json_decref(errors);
	}
}
END_TEST

START_TEST(test_json_check_messages_translated)
{
	static const char *const docs[] = {
		"{}",
		"{\"name\": 5, \"email\": \"a@b.fr\"}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"x\": 1}",
		"{\"name\": \"\", \"email\": \"a@b.fr\"}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"code\": \"abcdef\"}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"color\": \"x\"}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"birth\": \"x\"}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"age\": -5}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"age\": 500}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"tags\": [1]}",
		"{\"name\": \"A\", \"email\": \"a@b.fr\", \"children\": []}",
		"[]",
		NULL
	};
	json_t		*fr, *en, *it;
	const char	*mfr, *men, *mit;
	size_t		 i, j, n;

	for (i = 0; docs[i] != NULL; i++) {
		n = check_text(&person_spec, docs[i], LANG_FR, &fr);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_eq(check_text(&person_spec, docs[i],
		    LANG_EN, &en), n);
		ck_assert_uint_eq(check_text(&person_spec, docs[i],
		    LANG_IT, &it), n);
		for (j = 0; j < n; j++) {
			mfr = message_of(json_array_get(fr, j));
			men = message_of(json_array_get(en, j));
			mit = message_of(json_array_get(it, j));
			ck_assert_ptr_nonnull(mfr);
			ck_assert_ptr_nonnull(men);
			ck_assert_ptr_nonnull(mit);
			ck_assert_msg(mfr[0] != '\0' && men[0] != '\0' &&
			    mit[0] != '\0', "empty message for %s", docs[i]);
			ck_assert_msg(strcmp(mfr, men) != 0 &&
			    strcmp(mfr, mit) != 0 && strcmp(men, mit) != 0,
			    "not translated: %s / %s / %s", mfr, men, mit);
			/* Same field and code whatever the language. */
			ck_assert(json_equal(json_object_get(json_array_get(fr,
			    j), "code"), json_object_get(json_array_get(en, j),
			    "code")));
			ck_assert(json_equal(json_object_get(json_array_get(fr,
			    j), "field"), json_object_get(json_array_get(it,
			    j), "field")));
		}
		json_decref(fr);
		json_decref(en);
		json_decref(it);
	}

	check_text(&person_spec, "{\"email\": \"a@b.fr\"}", LANG_FR, &fr);
	ck_assert_str_eq(message_of(json_array_get(fr, 0)),
	    "ce champ est obligatoire");
	json_decref(fr);
	check_text(&person_spec, "{\"email\": \"a@b.fr\"}", LANG_IT, &it);
	ck_assert_str_eq(message_of(json_array_get(it, 0)),
	    "questo campo è obbligatorio");
	json_decref(it);
}
END_TEST

START_TEST(test_json_check_messages_hide_values)
{
	static const char *const extras[] = {
		"\"email\": \"s3cr3t-value\"",
		"\"code\": \"s3cr3t-value\"",
		"\"color\": \"s3cr3t-value\"",
		"\"phone\": \"s3cr3t-value\"",
		"\"id\": \"s3cr3t-value\"",
		"\"birth\": \"s3cr3t-value\"",
		"\"seen_at\": \"s3cr3t-value\"",
		"\"lang\": \"s3cr3t-value\"",
		"\"s3cr3t-value\": 1",
		NULL
	};
	json_t	*errors;
	char	*doc, *dump;
	size_t	 i, j;
	int	 lang;

	for (i = 0; extras[i] != NULL; i++) {
		for (lang = LANG_FR; lang <= LANG_IT; lang++) {
			doc = person(extras[i]);
			ck_assert_uint_eq(check_text(&person_spec, doc,
			    (enum lang)lang, &errors), 1);
			for (j = 0; j < json_array_size(errors); j++) {
				dump = strdup(message_of(json_array_get(errors,
				    j)));
				ck_assert_msg(strstr(dump, "s3cr3t") == NULL,
				    "value echoed: %s", dump);
				free(dump);
			}
			json_decref(errors);
			free(doc);
		}
	}
}
END_TEST

START_TEST(test_json_check_pointer_escaping)
{
	json_t	*errors;

	ck_assert_uint_eq(check_text(&odd_spec, "{\"x/y~z\": 1, \"~\": 2, "
	    "\"/\": 3}", LANG_EN, &errors), 5);
	ck_assert_ptr_nonnull(find_error(errors, "/a~1b", "required"));
	ck_assert_ptr_nonnull(find_error(errors, "/m~0n", "required"));
	ck_assert_ptr_nonnull(find_error(errors, "/x~1y~0z", "unknown"));
	ck_assert_ptr_nonnull(find_error(errors, "/~0", "unknown"));
	ck_assert_ptr_nonnull(find_error(errors, "/~1", "unknown"));
	json_decref(errors);

	ck_assert_uint_eq(check_text(&odd_spec, "{\"a/b\": \"1\", "
	    "\"m~n\": \"2\"}", LANG_EN, &errors), 0);
	json_decref(errors);

	/* The empty key is "/" (RFC 6901 section 5). */
	ck_assert_uint_eq(check_text(&odd_spec, "{\"a/b\": \"1\", "
	    "\"m~n\": \"2\", \"\": 0}", LANG_EN, &errors), 1);
	ck_assert_ptr_nonnull(find_error(errors, "/", "unknown"));
	json_decref(errors);
}
END_TEST

START_TEST(test_json_error_add_shape)
{
	json_t	*errors, *e;

	errors = json_array();
	json_error_add(errors, "/plate", "pattern", "bad plate");
	ck_assert_uint_eq(json_array_size(errors), 1);
	e = json_array_get(errors, 0);
	ck_assert_uint_eq(json_object_size(e), 3);
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")),
	    "/plate");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
	    "pattern");
	ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
	    "bad plate");
	json_decref(errors);
}
END_TEST

START_TEST(test_json_utf8_len)
{
	ck_assert_uint_eq(json_utf8_len(""), 0);
	ck_assert_uint_eq(json_utf8_len("abc"), 3);
	ck_assert_uint_eq(json_utf8_len("\xc3\xa9"), 1);
	ck_assert_uint_eq(json_utf8_len("\xe2\x82\xac"), 1);
	ck_assert_uint_eq(json_utf8_len("\xf0\x9f\x98\x80"), 1);
	ck_assert_uint_eq(json_utf8_len("Montgen\xc3\xa8vre \xe2\x82\xac"), 13);
}
END_TEST

static const TTest *const *const parse_tests[] = {
	&test_json_parse_valid,
	&test_json_parse_malformed,
	&test_json_parse_trailing_garbage,
	&test_json_parse_duplicate_keys,
	&test_json_parse_reason_hides_values,
	&test_json_parse_invalid_utf8,
	&test_json_parse_nul_refused,
	&test_json_parse_depth_cap,
	&test_json_parse_depth_ignores_strings,
	&test_json_parse_huge_nesting,
	&test_json_parse_empty,
	NULL
};

static const TTest *const *const check_tests[] = {
	&test_json_check_valid,
	&test_json_check_required,
	&test_json_check_type,
	&test_json_check_top_level_not_object,
	&test_json_check_unknown,
	&test_json_check_length_in_characters,
	&test_json_check_one_of,
	&test_json_check_formats,
	&test_json_check_integer_bounds,
	&test_json_check_nested,
	&test_json_check_arrays,
	&test_json_check_nullable,
	&test_json_check_multiple_errors,
	&test_json_check_messages_translated,
	&test_json_check_messages_hide_values,
	&test_json_check_pointer_escaping,
	&test_json_error_add_shape,
	NULL
};

static const TTest *const *const formats_tests[] = {
	&test_json_format_date,
	&test_json_format_datetime,
	&test_json_format_e164,
	&test_json_format_email,
	&test_json_format_uuid_lang,
	&test_json_utf8_len,
	NULL
};

const struct test_group test_groups[] = {
	{ "parse", 30, NULL, NULL, NULL, NULL, parse_tests },
	{ "check", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, check_tests },
	{ "formats", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, formats_tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
