/*
 * test_input_schemas.c: a route's input schema (the json_spec rows the
 * server checks bodies with) and the requestBody schema of its operation
 * in the assembled OpenAPI document say the same thing: the same members,
 * the same required ones, unknown members refused (or ignored) alike, the
 * same types, nullability, lengths, bounds, enums and formats, down
 * through nested objects and arrays.  Every difference is listed before
 * the test fails.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "http/route.h"
#include "json/check.h"
#include "unit.h"

static json_t	*doc;
static int	 bad;

static void	differ(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
differ(const char *where, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	bad++;
}

/* Follow "#/components/..." references (several in a row). */
static json_t *
resolve(json_t *s)
{
	const char	*r;
	char		*copy, *part, *save = NULL;
	json_t		*at;
	int		 hops;

	for (hops = 0; hops < 8 && json_is_object(s) &&
	    (r = json_string_value(json_object_get(s, "$ref"))) != NULL;
	    hops++) {
		if (strncmp(r, "#/", 2) != 0)
			return (NULL);
		copy = strdup(r + 2);
		at = doc;
		for (part = strtok_r(copy, "/", &save); part != NULL &&
		    at != NULL; part = strtok_r(NULL, "/", &save))
			at = json_object_get(at, part);
		free(copy);
		s = at;
	}
	return (s);
}

/* The schema's type names 't' (a string or an array of them). */
static int
has_type(json_t *s, const char *t)
{
	json_t	*ty = json_object_get(s, "type"), *v;
	size_t	 i;

	if (json_is_string(ty))
		return (strcmp(json_string_value(ty), t) == 0);
	json_array_foreach(ty, i, v)
		if (strcmp(json_string_value(v), t) == 0)
			return (1);
	return (0);
}

static const char *
kind_type(enum json_kind k)
{
	switch (k) {
	case JK_STRING:
		return ("string");
	case JK_INTEGER:
		return ("integer");
	case JK_NUMBER:
		return ("number");
	case JK_BOOLEAN:
		return ("boolean");
	case JK_OBJECT:
		return ("object");
	case JK_ARRAY:
		return ("array");
	default:
		return ("?");
	}
}

/* "minLength" of 's' is 'want' (0: absent or 0). */
static void
bound(const char *where, json_t *s, const char *kw, long long want)
{
	json_t		*v = json_object_get(s, kw);
	long long	 got = json_is_integer(v) ? json_integer_value(v) : 0;

	if (v != NULL && !json_is_integer(v))
		differ(where, "%s is not an integer", kw);
	else if (got != want)
		differ(where, "%s is %lld in the document, %lld in the code",
		    kw, got, want);
}

static void
enums(const char *where, json_t *s, const char *const *one_of)
{
	json_t	*e = json_object_get(s, "enum"), *v;
	size_t	 i, n = 0;
	int	 found;

	for (; one_of != NULL && one_of[n] != NULL; n++) {
		found = 0;
		json_array_foreach(e, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), one_of[n]) == 0)
				found = 1;
		if (!found)
			differ(where, "the document's enum lacks '%s'",
			    one_of[n]);
	}
	if (json_array_size(e) != n)
		differ(where, "enum: %zu values in the document, %zu in the "
		    "code", json_array_size(e), n);
}

static const char *const formats[] = {
	[JF_EMAIL] = "idn-email", [JF_DATE] = "date", [JF_DATETIME] = "date-time",
	[JF_UUID] = "uuid",
};
static const char *const patterns[] = {
	[JF_E164] = "^\\+[1-9][0-9]{7,14}$",
	[JF_INSEE] = "^[0-9][0-9AB][0-9]{3}$",
	[JF_POSTCODE] = "^[0-9A-Za-z -]{3,10}$",
};
static const char *const langs[] = { "fr", "en", "it", NULL };

static void	check_object(const char *, json_t *, const struct json_spec *);

static void
check_string(const char *where, json_t *s, const struct json_field *f)
{
	const char	*got;

	bound(where, s, "minLength", (long long)f->min_len);
	bound(where, s, "maxLength", (long long)f->max_len);
	if (f->one_of != NULL)
		enums(where, s, f->one_of);
	else if (f->format == JF_LANG)
		enums(where, s, langs);
	else if (json_object_get(s, "enum") != NULL)
		differ(where, "the document has an enum, the code none");
	if (f->format < sizeof(formats) / sizeof(formats[0]) &&
	    formats[f->format] != NULL) {
		got = json_string_value(json_object_get(s, "format"));
		if (got == NULL || strcmp(got, formats[f->format]) != 0)
			differ(where, "format is %s in the document, %s in the "
			    "code", got != NULL ? got : "none",
			    formats[f->format]);
	}
	if (f->format < sizeof(patterns) / sizeof(patterns[0]) &&
	    patterns[f->format] != NULL) {
		got = json_string_value(json_object_get(s, "pattern"));
		if (got == NULL || strcmp(got, patterns[f->format]) != 0)
			differ(where, "pattern is %s in the document, %s in "
			    "the code", got != NULL ? got : "none",
			    patterns[f->format]);
	}
}

/*
 * "oneOf"/"anyOf" of a schema and {"type": "null"}: that schema, and
 * *nullable set.
 */
static json_t *
unwrap_null(json_t *s, int *nullable)
{
	json_t		*alts, *a, *other = NULL;
	size_t		 i;
	int		 nulls = 0;

	*nullable = has_type(s, "null");
	if ((alts = json_object_get(s, "oneOf")) == NULL &&
	    (alts = json_object_get(s, "anyOf")) == NULL)
		return (s);
	json_array_foreach(alts, i, a) {
		a = resolve(a);
		if (a != NULL && json_is_string(json_object_get(a, "type")) &&
		    strcmp(json_string_value(json_object_get(a, "type")),
		    "null") == 0)
			nulls++;
		else
			other = a;
	}
	if (json_array_size(alts) == 2 && nulls == 1 && other != NULL) {
		*nullable = 1;
		return (other);
	}
	return (s);
}

static void
check_field(const char *where, json_t *s, const struct json_field *f)
{
	char	 sub[600];
	json_t	*items;
	int	 nullable;

	if ((s = resolve(s)) == NULL) {
		differ(where, "an unresolvable $ref");
		return;
	}
	s = unwrap_null(s, &nullable);
	if (!has_type(s, kind_type(f->kind)))
		differ(where, "type is not %s", kind_type(f->kind));
	if (((f->flags & JF_NULLABLE) != 0) != nullable)
		differ(where, "%s in the code, %s in the document",
		    (f->flags & JF_NULLABLE) ? "nullable" : "not nullable",
		    nullable ? "nullable" : "not nullable");
	switch (f->kind) {
	case JK_STRING:
		check_string(where, s, f);
		break;
	case JK_INTEGER:
		if (f->min < f->max) {
			bound(where, s, "minimum", f->min);
			bound(where, s, "maximum", f->max);
		}
		break;
	case JK_OBJECT:
		/* No spec: a free-form object, checked by its handler. */
		if (f->object != NULL)
			check_object(where, s, f->object);
		break;
	case JK_ARRAY:
		bound(where, s, "minItems", (long long)f->min_len);
		bound(where, s, "maxItems", (long long)f->max_len);
		if ((size_t)snprintf(sub, sizeof(sub), "%s/items", where) >=
		    sizeof(sub))
			break;
		if ((items = resolve(json_object_get(s, "items"))) == NULL) {
			differ(sub, "no items schema");
			break;
		}
		if (f->object != NULL)
			check_object(sub, items, f->object);
		else {
			if (!has_type(items, kind_type(f->items)))
				differ(sub, "type is not %s",
				    kind_type(f->items));
			if (f->one_of != NULL)
				enums(sub, items, f->one_of);
		}
		break;
	default:
		break;
	}
}

static void
check_object(const char *where, json_t *s, const struct json_spec *spec)
{
	const struct json_field	*f;
	json_t			*props, *req, *ap, *v;
	const char		*k;
	char			 sub[600];
	size_t			 i;
	int			 found, required;

	if ((s = resolve(s)) == NULL || !json_is_object(s)) {
		differ(where, "no object schema");
		return;
	}
	if (!has_type(s, "object"))
		differ(where, "type is not object");
	props = json_object_get(s, "properties");
	req = json_object_get(s, "required");
	ap = json_object_get(s, "additionalProperties");
	if (!spec->ignore_unknown && !json_is_false(ap))
		differ(where, "the code refuses unknown members; the document "
		    "does not say additionalProperties: false");
	if (spec->ignore_unknown && json_is_false(ap))
		differ(where, "the code ignores unknown members; the document "
		    "refuses them");
	for (f = spec->fields; f->name != NULL; f++) {
		snprintf(sub, sizeof(sub), "%s/%s", where, f->name);
		if ((v = json_object_get(props, f->name)) == NULL) {
			differ(sub, "in the code, not in the document");
			continue;
		}
		required = 0;
		json_array_foreach(req, i, v)
			if (strcmp(json_string_value(v), f->name) == 0)
				required = 1;
		if (required != ((f->flags & JF_REQUIRED) != 0))
			differ(sub, "%s in the code, %s in the document",
			    (f->flags & JF_REQUIRED) ? "required" : "optional",
			    required ? "required" : "optional");
		check_field(sub, json_object_get(props, f->name), f);
	}
	json_object_foreach(props, k, v) {
		found = 0;
		for (f = spec->fields; f->name != NULL; f++)
			if (strcmp(f->name, k) == 0)
				found = 1;
		if (!found) {
			snprintf(sub, sizeof(sub), "%s/%s", where, k);
			differ(sub, "in the document, not in the code");
		}
	}
}

/* An upload's requestBody names exactly the media types it takes. */
static void
upload_types(const char *where, const struct route *r, json_t *content)
{
	const char	*t = r->body_types, *k;
	json_t		*v;
	char		 type[128];
	size_t		 n;

	while (*t != '\0') {
		while (*t == ' ')
			t++;
		n = strcspn(t, " ");
		if (n > 0 && n < sizeof(type)) {
			memcpy(type, t, n);
			type[n] = '\0';
			if (json_object_get(content, type) == NULL)
				differ(where, "the upload takes a type the "
				    "requestBody does not name");
		}
		t += n;
	}
	json_object_foreach(content, k, v)
		if (!media_type_listed(r->body_types, k, strlen(k)))
			differ(where, "the requestBody names a type the "
			    "upload does not take");
}

START_TEST(test_input_schemas_agree)
{
	const struct route	*r;
	json_t			*op, *content, *media;
	char			 m[16], where[256];
	size_t			 i, j;

	bad = 0;
	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		for (j = 0; r->method[j] != '\0' && j < sizeof(m) - 1; j++)
			m[j] = (char)(r->method[j] | 0x20);
		m[j] = '\0';
		op = json_object_get(json_object_get(json_object_get(doc,
		    "paths"), r->pattern), m);
		snprintf(where, sizeof(where), "%s %s", r->method, r->pattern);
		content = json_object_get(json_object_get(op, "requestBody"),
		    "content");
		if (r->body_types != NULL) {
			upload_types(where, r, content);
			continue;
		}
		if (r->input == NULL) {
			if (content != NULL)
				differ(where, "a requestBody, but the route "
				    "takes no JSON body");
			continue;
		}
		if ((media = json_object_get(content, "application/json")) ==
		    NULL) {
			differ(where, "no application/json requestBody");
			continue;
		}
		if ((r->flags & ROUTE_FORM) && json_object_get(content,
		    "application/x-www-form-urlencoded") == NULL)
			differ(where, "the route takes a form; the document "
			    "says nothing of it");
		check_object(where, json_object_get(media, "schema"),
		    r->input);
	}
	ck_assert_msg(bad == 0, "%d differences between the input schemas "
	    "and the document (listed above)", bad);
}
END_TEST

/* The document and the route table, once, before the tests fork. */
static void
prepare(void)
{
	json_error_t	 e;
	const char	*path = getenv("GUICHET_TEST_OPENAPI");

	if (path == NULL || (doc = json_load_file(path, 0, &e)) == NULL) {
		fprintf(stderr, "test_input_schemas: no document (%s)\n",
		    path != NULL ? e.text : "GUICHET_TEST_OPENAPI is unset");
		exit(99);
	}
	app_routes_install();
}

static const TTest *const *const tests[] = {
	&test_input_schemas_agree,
	NULL
};

const struct test_group test_groups[] = {
	{ "agree", TEST_TIMEOUT_CHECK, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
