/*
 * test_openapi.c: the assembled OpenAPI document (openapi.json in the
 * build directory, made by tools/openapi-gen from the fragments) against
 * the route table and against the copy built into the server.
 *
 * The document must list exactly the routes the router has: every route
 * documented with its method (HEAD is implied by GET), no operation without
 * a route, the same "{name}" patterns, and a public route marked public.
 * Each test reports every offender on stderr before failing, so that one
 * run names all of them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/conf.h"
#include "http/route.h"
#include "ops/ops.h"
#include "unit.h"

/* Loaded once by doc_prepare(), before the tests fork. */
static struct conf conf;
static json_t	*doc;
static char	*doc_bytes;
static size_t	 doc_len;
static char	 doc_path[4096];

/* The operation keys of an OpenAPI 3.1 path item. */
static const char *const methods[] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace",
	NULL
};

static int
is_method(const char *key)
{
	size_t	 i;

	for (i = 0; methods[i] != NULL; i++)
		if (strcmp(methods[i], key) == 0)
			return (1);
	return (0);
}

/* 'src' into 'dst' ('len' bytes) through toupper(3) or tolower(3). */
static void
recase(char *dst, const char *src, size_t len, int (*to)(int))
{
	size_t	 i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (char)to((unsigned char)src[i]);
	dst[i] = '\0';
}

/* Resolve a local reference ("#/components/parameters/X"), or NULL. */
static json_t *
ref_resolve(const char *ref)
{
	json_t		*node = doc;
	const char	*p, *e;
	char		 tok[256];
	size_t		 i, n;

	if (strncmp(ref, "#/", 2) != 0)
		return (NULL);
	for (p = ref + 2; node != NULL; p = e + 1) {
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		/* RFC 6901: "~1" is '/', "~0" is '~'. */
		for (i = 0, n = 0; p + i < e && n + 1 < sizeof(tok); i++) {
			if (p[i] == '~' && p + i + 1 < e &&
			    (p[i + 1] == '0' || p[i + 1] == '1')) {
				tok[n++] = p[i + 1] == '0' ? '~' : '/';
				i++;
			} else
				tok[n++] = p[i];
		}
		tok[n] = '\0';
		if (json_is_object(node))
			node = json_object_get(node, tok);
		else
			node = NULL;
		if (*e == '\0')
			break;
	}
	return (node);
}

/* Follow a Reference Object to what it names; other nodes are returned. */
static json_t *
deref(json_t *node)
{
	json_t	*ref;
	int	 hops;

	for (hops = 0; hops < 8 && json_is_object(node); hops++) {
		ref = json_object_get(node, "$ref");
		if (!json_is_string(ref))
			break;
		node = ref_resolve(json_string_value(ref));
	}
	return (node);
}

static json_t *
doc_operation(const char *pattern, const char *method)
{
	json_t	*item;
	char	 m[16];

	recase(m, method, sizeof(m), tolower);
	if ((item = json_object_get(json_object_get(doc, "paths"), pattern)) ==
	    NULL)
		return (NULL);
	return (json_object_get(item, m));
}

/* The route with this pattern and (upper-case) method, or NULL. */
static const struct route *
route_find(const char *pattern, const char *method)
{
	const struct route	*r;
	size_t			 i;

	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		if (strcmp(r->pattern, pattern) == 0 &&
		    strcmp(r->method, method) == 0)
			return (r);
	}
	return (NULL);
}

static int
route_has_pattern(const char *pattern)
{
	size_t	 i;

	for (i = 0; i < router_count(); i++)
		if (strcmp(router_at(i)->pattern, pattern) == 0)
			return (1);
	return (0);
}

/*
 * The "{name}" parameters of a pattern, in order, into names[] (each at
 * most 63 characters).  Returns their number, or -1 when a segment is not
 * either literal or one whole "{name}" with name in [a-z0-9_].
 */
static int
pattern_params(const char *pattern, char names[][64], int max)
{
	const char	*p, *e;
	size_t		 len, i;
	int		 n = 0;

	if (pattern[0] != '/')
		return (-1);
	for (p = pattern + 1;; p = e + 1) {
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len > 0 && p[0] == '{') {
			if (len < 3 || p[len - 1] != '}' || len - 2 >= 64 ||
			    n >= max)
				return (-1);
			for (i = 1; i < len - 1; i++)
				if (!(islower((unsigned char)p[i]) ||
				    isdigit((unsigned char)p[i]) || p[i] == '_'))
					return (-1);
			memcpy(names[n], p + 1, len - 2);
			names[n][len - 2] = '\0';
			n++;
		} else {
			/* Other template syntaxes (":id", "<id>", "*"). */
			for (i = 0; i < len; i++)
				if (strchr("{}:<>*", p[i]) != NULL)
					return (-1);
		}
		if (*e == '\0')
			break;
	}
	return (n);
}

/* Count the path parameters 'name' declared in a parameters array. */
static int
declared_path_param(json_t *params, const char *name)
{
	json_t		*p;
	const char	*in, *pname;
	size_t		 i;
	int		 n = 0;

	json_array_foreach(params, i, p) {
		p = deref(p);
		in = json_string_value(json_object_get(p, "in"));
		pname = json_string_value(json_object_get(p, "name"));
		if (in != NULL && strcmp(in, "path") == 0 && pname != NULL &&
		    strcmp(pname, name) == 0)
			n++;
	}
	return (n);
}

/* Each test lists every offender on stderr, then fails once for all. */
static void
none_listed(int bad, const char *what)
{
	ck_assert_msg(bad == 0, "%d %s (listed above)", bad, what);
}

START_TEST(test_openapi_document)
{
	const char	*v;

	ck_assert_msg(json_is_object(doc), "%s is not a JSON object", doc_path);
	v = json_string_value(json_object_get(doc, "openapi"));
	ck_assert_msg(v != NULL && strcmp(v, "3.1.0") == 0,
	    "openapi is \"%s\", expected \"3.1.0\"", v != NULL ? v : "(none)");
	ck_assert_msg(json_is_object(json_object_get(doc, "paths")),
	    "the document has no paths");
	v = json_string_value(json_object_get(json_object_get(doc, "info"),
	    "version"));
	ck_assert_msg(v != NULL, "info.version is missing");
#ifdef PACKAGE_VERSION
	ck_assert_msg(strcmp(v, PACKAGE_VERSION) == 0,
	    "info.version is \"%s\" but the package is %s", v, PACKAGE_VERSION);
#endif
}
END_TEST

START_TEST(test_openapi_every_route_documented)
{
	const struct route	*r;
	size_t			 i;
	int			 bad = 0;
	char			 m[16];

	ck_assert_msg(router_count() > 0, "the route table is empty");
	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		recase(m, r->method, sizeof(m), tolower);
		if (json_object_get(json_object_get(doc, "paths"),
		    r->pattern) == NULL) {
			fprintf(stderr, "route %s %s: path \"%s\" missing from "
			    "openapi.json\n", r->method, r->pattern, r->pattern);
			bad++;
		} else if (doc_operation(r->pattern, r->method) == NULL) {
			fprintf(stderr, "route %s %s: paths.\"%s\" has no "
			    "\"%s\" operation\n", r->method, r->pattern,
			    r->pattern, m);
			bad++;
		}
	}
	none_listed(bad, "route(s) missing from openapi.json");
}
END_TEST

START_TEST(test_openapi_no_extra_operation)
{
	const char	*path, *key;
	json_t		*item, *op;
	int		 bad = 0, nops;
	char		 m[16];

	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		if (!route_has_pattern(path)) {
			fprintf(stderr, "openapi.json documents path \"%s\", "
			    "which no route has\n", path);
			bad++;
			continue;
		}
		nops = 0;
		json_object_foreach(item, key, op) {
			if (!is_method(key))
				continue;
			nops++;
			recase(m, key, sizeof(m), toupper);
			/* The router answers HEAD with the GET route. */
			if (strcmp(m, "HEAD") == 0 &&
			    route_find(path, "GET") != NULL)
				continue;
			if (route_find(path, m) == NULL) {
				fprintf(stderr, "openapi.json documents %s %s, "
				    "which is not in the route table\n", m, path);
				bad++;
			}
		}
		if (nops == 0) {
			fprintf(stderr, "openapi.json: path \"%s\" has no "
			    "operation\n", path);
			bad++;
		}
	}
	none_listed(bad, "operation(s) of openapi.json are not routes");
}
END_TEST

START_TEST(test_openapi_path_parameters)
{
	const struct route	*r;
	json_t			*item, *op;
	char			 names[ROUTE_PARAMS_MAX][64];
	size_t			 i;
	int			 n, j, k, bad = 0, declared;

	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		n = pattern_params(r->pattern, names, ROUTE_PARAMS_MAX);
		if (n == -1) {
			fprintf(stderr, "route %s %s: the pattern is not "
			    "literal segments and whole {name} segments "
			    "(at most %d)\n", r->method, r->pattern,
			    ROUTE_PARAMS_MAX);
			bad++;
			continue;
		}
		for (j = 0; j < n; j++)
			for (k = 0; k < j; k++)
				if (strcmp(names[j], names[k]) == 0) {
					fprintf(stderr, "route %s %s: "
					    "parameter {%s} twice\n", r->method,
					    r->pattern, names[j]);
					bad++;
				}
		item = json_object_get(json_object_get(doc, "paths"),
		    r->pattern);
		if ((op = doc_operation(r->pattern, r->method)) == NULL)
			continue;	/* reported by another test */
		for (j = 0; j < n; j++) {
			declared = declared_path_param(json_object_get(item,
			    "parameters"), names[j]) +
			    declared_path_param(json_object_get(op,
			    "parameters"), names[j]);
			if (declared == 0) {
				fprintf(stderr, "%s %s: path parameter {%s} "
				    "not declared in openapi.json\n",
				    r->method, r->pattern, names[j]);
				bad++;
			}
		}
	}
	none_listed(bad, "path parameter problem(s)");
}
END_TEST

START_TEST(test_openapi_declared_parameters_in_pattern)
{
	const char	*path, *key, *in, *name;
	json_t		*item, *op, *params, *p;
	char		 names[ROUTE_PARAMS_MAX][64];
	size_t		 i;
	int		 n, j, found, bad = 0;

	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		if ((n = pattern_params(path, names, ROUTE_PARAMS_MAX)) == -1)
			continue;	/* reported with the route */
		/* The path item's parameters, then each operation's. */
		json_object_foreach(item, key, op) {
			if (strcmp(key, "parameters") == 0)
				params = op;
			else if (is_method(key))
				params = json_object_get(op, "parameters");
			else
				continue;
			json_array_foreach(params, i, p) {
				p = deref(p);
				in = json_string_value(json_object_get(p, "in"));
				name = json_string_value(json_object_get(p,
				    "name"));
				if (in == NULL || strcmp(in, "path") != 0)
					continue;
				for (found = 0, j = 0; j < n; j++)
					if (name != NULL &&
					    strcmp(name, names[j]) == 0)
						found = 1;
				if (!found) {
					fprintf(stderr, "openapi.json %s: path "
					    "parameter \"%s\" is not in the "
					    "pattern\n", path,
					    name != NULL ? name : "(no name)");
					bad++;
				}
			}
		}
	}
	none_listed(bad, "declared path parameter(s) not in their pattern");
}
END_TEST

START_TEST(test_openapi_operation_ids)
{
	const char	*path, *key, *id, *other;
	json_t		*item, *op, *seen;
	int		 bad = 0;
	char		 where[512];

	seen = json_object();
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		json_object_foreach(item, key, op) {
			if (!is_method(key))
				continue;
			id = json_string_value(json_object_get(op,
			    "operationId"));
			if (id == NULL || id[0] == '\0') {
				fprintf(stderr, "%s %s: no operationId\n", key,
				    path);
				bad++;
				continue;
			}
			if ((other = json_string_value(json_object_get(seen,
			    id))) != NULL) {
				fprintf(stderr, "%s %s: operationId \"%s\" is "
				    "already used by %s\n", key, path, id,
				    other);
				bad++;
				continue;
			}
			snprintf(where, sizeof(where), "%s %s", key, path);
			json_object_set_new(seen, id, json_string(where));
		}
	}
	json_decref(seen);
	none_listed(bad, "operationId problem(s)");
}
END_TEST

START_TEST(test_openapi_responses)
{
	const char	*path, *key;
	json_t		*item, *op, *resp;
	int		 bad = 0;

	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		json_object_foreach(item, key, op) {
			if (!is_method(key))
				continue;
			resp = json_object_get(op, "responses");
			if (!json_is_object(resp) || json_object_size(resp) == 0) {
				fprintf(stderr, "%s %s: no responses\n", key,
				    path);
				bad++;
			}
		}
	}
	none_listed(bad, "operation(s) without responses");
}
END_TEST

START_TEST(test_openapi_security)
{
	const struct route	*r;
	json_t			*op, *sec;
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		if ((op = doc_operation(r->pattern, r->method)) == NULL)
			continue;	/* reported by another test */
		sec = json_object_get(op, "security");
		switch (r->perm) {
		case PERM_UNSET:
			fprintf(stderr, "route %s %s: no permission\n",
			    r->method, r->pattern);
			bad++;
			break;
		case PERM_PUBLIC:
			/* Explicit, so that the global default never applies. */
			if (!json_is_array(sec) || json_array_size(sec) != 0) {
				fprintf(stderr, "%s %s is public: its operation "
				    "must say \"security\": []\n", r->method,
				    r->pattern);
				bad++;
			}
			break;
		default:
			if (sec == NULL)
				sec = json_object_get(doc, "security");
			if (!json_is_array(sec) || json_array_size(sec) == 0) {
				fprintf(stderr, "%s %s is not public: its "
				    "operation (or the document) must require "
				    "a security scheme\n", r->method,
				    r->pattern);
				bad++;
			}
			break;
		}
	}
	none_listed(bad, "security problem(s)");
}
END_TEST

/* Every $ref is local and resolves: the lint never fetches anything. */
static int
refs_check(json_t *node)
{
	const char	*key, *ref;
	json_t		*v;
	size_t		 i;
	int		 bad = 0;

	if (json_is_object(node)) {
		if (json_is_string(v = json_object_get(node, "$ref"))) {
			ref = json_string_value(v);
			if (ref_resolve(ref) == NULL) {
				fprintf(stderr, "openapi.json: $ref \"%s\" does "
				    "not resolve within the document\n", ref);
				bad++;
			}
		}
		json_object_foreach(node, key, v)
			bad += refs_check(v);
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			bad += refs_check(v);
	}
	return (bad);
}

START_TEST(test_openapi_refs_resolve)
{
	int	 bad;

	bad = refs_check(doc);
	none_listed(bad, "unresolved $ref");
}
END_TEST

START_TEST(test_openapi_embedded_copy)
{
	ck_assert_msg(openapi_json_len == doc_len,
	    "the embedded document has %zu bytes, %s has %zu: rebuild",
	    openapi_json_len, doc_path, doc_len);
	ck_assert_msg(memcmp(openapi_json, doc_bytes, doc_len) == 0,
	    "the embedded document differs from %s: rebuild", doc_path);
	ck_assert_msg(openapi_json[openapi_json_len] == '\0',
	    "the embedded document is not NUL-terminated");
	ck_assert_msg(strlen(openapi_json) == openapi_json_len,
	    "the document contains a NUL byte");
}
END_TEST


/* Read the whole file; exits 99 (hard error) when it cannot. */
static void
doc_load(void)
{
	const char	*dir;
	json_error_t	 err;
	FILE		*f;
	long		 size;
	int		 n;

	if ((dir = getenv("GUICHET_TEST_OPENAPI")) != NULL && dir[0] != '\0')
		n = snprintf(doc_path, sizeof(doc_path), "%s", dir);
	else {
#ifdef OPENAPI_PATH
		n = snprintf(doc_path, sizeof(doc_path), "%s", OPENAPI_PATH);
#else
		fprintf(stderr, "test_openapi: GUICHET_TEST_SRCDIR is not set "
		    "(run through make check)\n");
		exit(99);
#endif
	}
	if (n < 0 || (size_t)n >= sizeof(doc_path)) {
		fprintf(stderr, "test_openapi: source directory path too long\n");
		exit(99);
	}
	if ((f = fopen(doc_path, "rb")) == NULL) {
		fprintf(stderr, "test_openapi: %s: %s\n", doc_path,
		    strerror(errno));
		exit(99);
	}
	if (fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1) {
		fprintf(stderr, "test_openapi: %s: cannot size it\n", doc_path);
		exit(99);
	}
	doc_len = (size_t)size;
	if ((doc_bytes = malloc(doc_len + 1)) == NULL ||
	    fread(doc_bytes, 1, doc_len, f) != doc_len) {
		fprintf(stderr, "test_openapi: %s: read failed\n", doc_path);
		exit(99);
	}
	doc_bytes[doc_len] = '\0';
	fclose(f);

	/* Duplicate keys would let two definitions of a path disagree. */
	if ((doc = json_loadb(doc_bytes, doc_len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		fprintf(stderr, "test_openapi: %s:%d:%d: %s\n", doc_path,
		    err.line, err.column, err.text);
		exit(1);
	}
}

/*
 * The route table and the document, loaded once in the runner's process
 * before the first test case and freed after the last (unchecked
 * fixtures), so that the forked tests share them.
 */
static void
doc_prepare(void)
{
	conf_init(&conf);
	app_routes_install();
	doc_load();
}

static void
doc_free(void)
{
	json_decref(doc);
	free(doc_bytes);
	conf_cleanup(&conf);
}

static const TTest *const *const routes_tests[] = {
	&test_openapi_document,
	&test_openapi_every_route_documented,
	&test_openapi_no_extra_operation,
	&test_openapi_path_parameters,
	&test_openapi_declared_parameters_in_pattern,
	&test_openapi_operation_ids,
	&test_openapi_responses,
	&test_openapi_security,
	&test_openapi_refs_resolve,
	NULL
};

static const TTest *const *const embedded_tests[] = {
	&test_openapi_embedded_copy,
	NULL
};

const struct test_group test_groups[] = {
	{ "routes", TEST_TIMEOUT_CHECK, NULL, NULL, doc_prepare, NULL, routes_tests },
	{ "embedded", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, doc_free, embedded_tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
