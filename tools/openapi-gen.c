/*
 * openapi-gen: assemble the published OpenAPI document at build time.
 *
 *   openapi-gen SRCDIR OUT EXPORT-SCHEMA
 *
 * The document is the http layer's fragment (src/http/openapi.json: the
 * conventions, the shared schemas, responses, parameters and headers)
 * merged with every module's fragment (struct module's 'openapi', read
 * from the one module list, as guichetd reads it), then completed from
 * the route table itself, so that what every route can answer is said
 * where it can happen (ARCHITECTURE.md, "The request path"):
 *  - 400, 414, 431 and 501 on every operation (what the server refuses
 *    in a request before it routes it), 401 (a token may be sent to any
 *    route, and a bad one is refused), 429, 500 and 503;
 *  - 415 where no body is taken; 400, 413, 415 and 422 where one is;
 *  - on POST, the Idempotency-Key parameter, its 400, 409 and 422, and
 *    the Idempotent-Replayed header of the answers it replays;
 *  - HEAD beside every GET, and 304 for the public GETs;
 *  - the problem codes every module registered, as the enum of the
 *    Problem schema's "code" member, with their statuses;
 *  - the export document's sections: each module with an export hook
 *    has its schema "Export<Module>" (and "Export<Module>Portable") in
 *    its fragment, which becomes its member of ExportDocument's "data"
 *    (and "portable").
 * The export document's JSON Schema (served by the privacy module, the
 * "$schema" of every export) is written beside it, made from the same
 * schemas: one source for both.
 * A route without an operation, or an operation without a route, or two
 * fragments defining one name differently, is an error: the build stops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "app/app.h"
#include "auth/policy.h"
#include "base/buf.h"
#include "core/module.h"
#include "http/reply.h"
#include "http/route.h"

/* ops.c and privacy serve the embedded documents; the generator makes them. */
const char	openapi_json[] = "";
const size_t	openapi_json_len = 0;
const char	export_schema_json[] = "";
const size_t	export_schema_json_len = 0;

static int	errors;

static void	fail(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "openapi-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	errors++;
}

static json_t *
load(const char *srcdir, const char *rel)
{
	json_error_t	 e;
	json_t		*j;
	char		 path[4096];

	snprintf(path, sizeof(path), "%s/%s", srcdir, rel);
	if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		fail("%s:%d:%d: %s", rel, e.line, e.column, e.text);
		return (NULL);
	}
	if (!json_is_object(j)) {
		fail("%s: not a JSON object", rel);
		json_decref(j);
		return (NULL);
	}
	return (j);
}

/* Copy the members of 'from' into 'into'; the same name twice must agree. */
static void
merge_map(json_t *into, json_t *from, const char *what, const char *rel)
{
	const char	*k;
	json_t		*v, *old;

	json_object_foreach(from, k, v) {
		if ((old = json_object_get(into, k)) != NULL) {
			if (!json_equal(old, v))
				fail("%s: %s '%s' is defined differently "
				    "elsewhere", rel, what, k);
			continue;
		}
		json_object_set(into, k, v);
	}
}

/*
 * Paths: two modules may share a path (GET /api/v1/me is identity's,
 * DELETE /api/v1/me privacy's): merge the path items by operation.
 */
static void
merge_paths(json_t *into, json_t *from, const char *rel)
{
	const char	*path, *k;
	json_t		*item, *old, *v, *was;

	json_object_foreach(from, path, item) {
		if ((old = json_object_get(into, path)) == NULL) {
			json_object_set_new(into, path, json_deep_copy(item));
			continue;
		}
		json_object_foreach(item, k, v) {
			if ((was = json_object_get(old, k)) == NULL)
				json_object_set(old, k, v);
			else if (!json_equal(was, v))
				fail("%s: %s of path %s is defined twice", rel,
				    k, path);
		}
	}
}

static void
merge_fragment(json_t *doc, json_t *frag, const char *rel)
{
	const char	*k;
	json_t		*v, *tags;
	size_t		 i;

	json_object_foreach(frag, k, v) {
		if (strcmp(k, "paths") == 0)
			merge_paths(json_object_get(doc, "paths"), v, rel);
		else if (strcmp(k, "components") == 0) {
			const char	*ck;
			json_t		*cv, *dst;

			json_object_foreach(v, ck, cv) {
				if ((dst = json_object_get(json_object_get(doc,
				    "components"), ck)) == NULL) {
					dst = json_object();
					json_object_set_new(json_object_get(doc,
					    "components"), ck, dst);
				}
				merge_map(dst, cv, ck, rel);
			}
		} else if (strcmp(k, "tags") == 0) {
			tags = json_object_get(doc, "tags");
			for (i = 0; i < json_array_size(v); i++)
				json_array_append(tags, json_array_get(v, i));
		} else
			fail("%s: a fragment holds paths, components and tags "
			    "only, not '%s'", rel, k);
	}
}

/* "/api/v1/me" -> lower-case method member of the path item. */
static json_t *
operation(json_t *doc, const struct route *r)
{
	char	 m[16];
	size_t	 i;

	for (i = 0; r->method[i] != '\0' && i < sizeof(m) - 1; i++)
		m[i] = (char)(r->method[i] | 0x20);
	m[i] = '\0';
	return (json_object_get(json_object_get(json_object_get(doc, "paths"),
	    r->pattern), m));
}

static json_t *
ref(const char *kind, const char *name)
{
	char	 s[256];

	snprintf(s, sizeof(s), "#/components/%s/%s", kind, name);
	return (json_pack("{s:s}", "$ref", s));
}

/* Add response 'status' (a shared response) unless the fragment has it. */
static void
add_response(json_t *op, const char *status, const char *name)
{
	json_t	*rs = json_object_get(op, "responses");

	if (json_object_get(rs, status) == NULL)
		json_object_set_new(rs, status, ref("responses", name));
}

static int
has_param(json_t *op, const char *refname)
{
	json_t	*p;
	size_t	 i;
	char	 s[256];

	snprintf(s, sizeof(s), "#/components/parameters/%s", refname);
	json_array_foreach(json_object_get(op, "parameters"), i, p)
		if (json_is_string(json_object_get(p, "$ref")) &&
		    strcmp(json_string_value(json_object_get(p, "$ref")), s) ==
		    0)
			return (1);
	return (0);
}

static void
add_param(json_t *op, const char *name)
{
	json_t	*ps;

	if (has_param(op, name))
		return;
	if ((ps = json_object_get(op, "parameters")) == NULL) {
		ps = json_array();
		json_object_set_new(op, "parameters", ps);
	}
	json_array_append_new(ps, ref("parameters", name));
}

/* The Idempotent-Replayed header on the 2xx answers of a POST. */
static void
replayed_header(json_t *op)
{
	const char	*status;
	json_t		*resp, *h;

	json_object_foreach(json_object_get(op, "responses"), status, resp) {
		if (status[0] != '2' || json_object_get(resp, "$ref") != NULL)
			continue;
		if ((h = json_object_get(resp, "headers")) == NULL) {
			h = json_object();
			json_object_set_new(resp, "headers", h);
		}
		if (json_object_get(h, "Idempotent-Replayed") == NULL)
			json_object_set_new(h, "Idempotent-Replayed",
			    ref("headers", "IdempotentReplayed"));
	}
}

/* HEAD: the GET's answers, without their bodies. */
static json_t *
head_of(json_t *get)
{
	json_t		*h, *rs, *resp, *copy;
	const char	*status, *id;
	char		 opid[160];

	h = json_deep_copy(get);
	json_object_del(h, "requestBody");
	id = json_string_value(json_object_get(get, "operationId"));
	snprintf(opid, sizeof(opid), "%s_head", id != NULL ? id : "head");
	json_object_set_new(h, "operationId", json_string(opid));
	json_object_set_new(h, "summary", json_sprintf("%s (headers only)",
	    json_string_value(json_object_get(get, "summary")) != NULL ?
	    json_string_value(json_object_get(get, "summary")) : "HEAD"));
	json_object_set_new(h, "description", json_string("The headers the "
	    "GET of this path would send, without its body (RFC 9110 9.3.2)."));
	rs = json_object();
	json_object_foreach(json_object_get(get, "responses"), status, resp) {
		if (json_object_get(resp, "$ref") != NULL) {
			json_object_set(rs, status, resp);
			continue;
		}
		copy = json_deep_copy(resp);
		json_object_del(copy, "content");
		json_object_set_new(rs, status, copy);
	}
	json_object_set_new(h, "responses", rs);
	return (h);
}

/* The responses every route can give, from its flags. */
static void
complete(json_t *doc, const struct route *r, json_t *op)
{
	int	 post = strcmp(r->method, "POST") == 0;

	/* Before any route: the request itself (server.c, request_check). */
	add_response(op, "400", "Malformed");
	add_response(op, "414", "UriTooLong");
	add_response(op, "431", "HeaderFieldsTooLarge");
	add_response(op, "501", "NotImplemented");
	add_response(op, "401", "Unauthorized");
	add_response(op, "429", "TooManyRequests");
	add_response(op, "500", "Internal");
	add_response(op, "503", "Unavailable");
	if (r->flags & ROUTE_BODY) {
		add_response(op, "400", "Malformed");
		add_response(op, "413", "PayloadTooLarge");
		add_response(op, "415", "UnsupportedMediaType");
		if (r->input != NULL)
			add_response(op, "422", "Validation");
	} else
		add_response(op, "415", "UnsupportedMediaType");
	if (post) {
		add_param(op, "IdempotencyKey");
		add_response(op, "400", "Malformed");
		add_response(op, "409", "Conflict");
		add_response(op, "422", "Validation");
		if (!(r->flags & ROUTE_NO_REPLAY))
			replayed_header(op);
	}
	if (strcmp(r->method, "GET") == 0 && r->perm == PERM_PUBLIC)
		add_response(op, "304", "NotModified");
	(void)doc;
}

/* "Export" and the module's name in camel case: ops -> ExportOps. */
static void
export_name(const char *module, const char *suffix, char *out, size_t len)
{
	size_t	 o;
	int	 up = 1;

	o = (size_t)snprintf(out, len, "Export");
	for (; *module != '\0' && o < len - 1; module++) {
		if (*module == '_') {
			up = 1;
			continue;
		}
		out[o++] = up && *module >= 'a' && *module <= 'z' ?
		    (char)(*module - 'a' + 'A') : *module;
		up = 0;
	}
	out[o] = '\0';
	snprintf(out + o, len - o, "%s", suffix);
}

/* ExportDocument's "data" and "portable", one member per module. */
static void
export_sections(json_t *doc)
{
	const struct module	*m;
	json_t			*schemas, *exdoc, *data, *port, *dp, *pp, *dr, *pr;
	char			 name[96];
	size_t			 i;

	schemas = json_object_get(json_object_get(doc, "components"),
	    "schemas");
	if ((exdoc = json_object_get(schemas, "ExportDocument")) == NULL) {
		fail("no ExportDocument schema (src/privacy/openapi.json)");
		return;
	}
	data = json_object_get(json_object_get(exdoc, "properties"), "data");
	port = json_object_get(json_object_get(exdoc, "properties"),
	    "portable");
	if (data == NULL || port == NULL) {
		fail("ExportDocument has no data or portable member");
		return;
	}
	json_object_set_new(data, "properties", dp = json_object());
	json_object_set_new(data, "required", dr = json_array());
	json_object_set_new(port, "properties", pp = json_object());
	json_object_set_new(port, "required", pr = json_array());
	for (i = 0; (m = module_at(i)) != NULL; i++) {
		if (m->privacy == NULL || m->privacy->export == NULL)
			continue;
		export_name(m->name, "", name, sizeof(name));
		if (json_object_get(schemas, name) == NULL)
			fail("module %s exports a section but its fragment (%s) "
			    "has no %s schema", m->name, m->openapi, name);
		json_object_set_new(dp, m->name, ref("schemas", name));
		json_array_append_new(dr, json_string(m->name));
		export_name(m->name, "Portable", name, sizeof(name));
		if (json_object_get(schemas, name) != NULL)
			json_object_set_new(pp, m->name, ref("schemas", name));
		else
			json_object_set_new(pp, m->name, json_pack("{s:s, s:i, "
			    "s:s}", "type", "object", "maxProperties", 0,
			    "description", "Nothing that the person provided."));
		json_array_append_new(pr, json_string(m->name));
	}
}

/*
 * The example of an answer whose schema is ExportDocument, written in one
 * fragment before later modules existed, gets every module's section it
 * lacks: the first of "examples" of the module's Export<Module> (and
 * Export<Module>Portable) schema, {} for a module that gives no portable
 * part.  So a new module's section is in every example without editing
 * the fragment that holds it (ARCHITECTURE.md, "Adding a module").
 */
/*
 * The section of module 'm' in 'member' ("data" or "portable" of an
 * example), from the first example of its schema Export<Module><suffix>;
 * {} when the module has no such schema and 'optional' (a portable part).
 */
static void
export_example_section(json_t *schemas, json_t *member,
    const struct module *m, const char *suffix, int optional)
{
	json_t	*s, *v;
	char	 name[96];

	if (json_object_get(member, m->name) != NULL)
		return;
	export_name(m->name, suffix, name, sizeof(name));
	s = json_object_get(schemas, name);
	v = json_array_get(json_object_get(s, "examples"), 0);
	if (v == NULL && (s != NULL || !optional)) {
		fail("%s has no example for the examples of ExportDocument",
		    name);
		return;
	}
	json_object_set_new(member, m->name, v != NULL ? json_deep_copy(v) :
	    json_object());
}

static void
export_example(json_t *schemas, json_t *ex)
{
	const struct module	*m;
	json_t			*data, *port;
	size_t			 i;

	data = json_object_get(ex, "data");
	port = json_object_get(ex, "portable");
	if (!json_is_object(data) || !json_is_object(port))
		return;
	for (i = 0; (m = module_at(i)) != NULL; i++) {
		if (m->privacy == NULL || m->privacy->export == NULL)
			continue;
		export_example_section(schemas, data, m, "", 0);
		export_example_section(schemas, port, m, "Portable", 1);
	}
}

/* Every ExportDocument answer's example, anywhere in the paths. */
static void
export_examples(json_t *doc, json_t *v)
{
	json_t		*schemas, *x;
	const char	*k, *ref;
	size_t		 i;

	schemas = json_object_get(json_object_get(doc, "components"),
	    "schemas");
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			export_examples(doc, x);
		return;
	}
	if (!json_is_object(v))
		return;
	ref = json_string_value(json_object_get(json_object_get(v, "schema"),
	    "$ref"));
	if (ref != NULL && strcmp(ref, "#/components/schemas/ExportDocument")
	    == 0 && json_is_object(json_object_get(v, "example")))
		export_example(schemas, json_object_get(v, "example"));
	json_object_foreach(v, k, x)
		export_examples(doc, x);
}

/* Rewrite "#/components/schemas/X" into "#/$defs/X", noting each X. */
static void
to_defs(json_t *v, json_t *seen)
{
	static const char	 pre[] = "#/components/schemas/";
	const char		*k, *r;
	json_t			*x;
	size_t			 i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			to_defs(x, seen);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, k, x) {
		if (strcmp(k, "$ref") == 0 && (r = json_string_value(x)) !=
		    NULL && strncmp(r, pre, sizeof(pre) - 1) == 0) {
			json_object_set_new(seen, r + sizeof(pre) - 1,
			    json_true());
			json_object_set_new(v, "$ref", json_sprintf("#/$defs/%s",
			    r + sizeof(pre) - 1));
		} else
			to_defs(x, seen);
	}
}

/* The export's JSON Schema: ExportDocument and what it refers to. */
static json_t *
export_schema(json_t *doc)
{
	json_t		*schemas, *root, *defs, *seen, *s;
	const char	*k;
	int		 more = 1;

	schemas = json_object_get(json_object_get(doc, "components"),
	    "schemas");
	root = json_deep_copy(json_object_get(schemas, "ExportDocument"));
	if (root == NULL)
		return (NULL);
	seen = json_object();
	defs = json_object();
	to_defs(root, seen);
	while (more) {
		more = 0;
		json_object_foreach(seen, k, s) {
			if (json_object_get(defs, k) != NULL)
				continue;
			json_object_set_new(defs, k, json_deep_copy(
			    json_object_get(schemas, k)));
			to_defs(json_object_get(defs, k), seen);
			more = 1;
			break;
		}
	}
	json_decref(seen);
	json_object_set_new(root, "$schema", json_string(
	    "https://json-schema.org/draft/2020-12/schema"));
	json_object_set_new(root, "$id", json_string("export-schema.json"));
	json_object_set_new(root, "title", json_string("guichet: export of a "
	    "person's data (GDPR Art. 15 and 20)"));
	json_object_set_new(root, "$defs", defs);
	return (root);
}

static int
write_json(json_t *j, const char *path)
{
	char	 tmp[4096];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL ||
	    json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENSURE_ASCII) == -1 || fputc('\n', f) == EOF ||
	    fclose(f) == EOF || rename(tmp, path) == -1) {
		fail("cannot write %s", path);
		return (-1);
	}
	return (0);
}

/* The Problem schema's "code": every registered code, with its status. */
static void
problem_codes(json_t *doc)
{
	json_t		*problem, *props, *codes;
	struct buf	 d;
	size_t		 i;

	problem = json_object_get(json_object_get(json_object_get(doc,
	    "components"), "schemas"), "Problem");
	if (problem == NULL) {
		fail("src/http/openapi.json has no Problem schema");
		return;
	}
	codes = json_array();
	buf_init(&d);
	buf_adds(&d, "Which failure this is, stable and machine-readable (an "
	    "RFC 9457 extension member): one code per kind of failure, so "
	    "that two answers with the same status can be told apart "
	    "without reading `detail`.\n\n| code | status | detail (en) |\n"
	    "|---|---|---|\n");
	for (i = 0; i < errcode_count(); i++) {
		const struct errcode	*e = errcode_at(i);

		json_array_append_new(codes, json_string(e->code));
		buf_addf(&d, "| `%s` | %d | %s |\n", e->code,
		    problem_status(e->problem), e->detail[LANG_EN]);
	}
	props = json_object_get(problem, "properties");
	json_object_set_new(props, "code", json_pack("{s:s, s:s, s:o}",
	    "type", "string", "description", d.data, "enum", codes));
	buf_cleanup(&d);
}

int
main(int argc, char **argv)
{
	const struct module	*m;
	const struct route	*r;
	json_t			*doc, *frag, *op, *item, *get, *schema;
	const char		*path, *meth;
	size_t			 i, k;

	if (argc != 4) {
		fprintf(stderr, "usage: openapi-gen SRCDIR OUT EXPORT-SCHEMA\n");
		return (2);
	}
	app_routes_install();
	if ((doc = load(argv[1], "src/http/openapi.json")) == NULL)
		return (1);
	if (json_object_get(doc, "paths") == NULL)
		json_object_set_new(doc, "paths", json_object());
	if (json_object_get(doc, "tags") == NULL)
		json_object_set_new(doc, "tags", json_array());
	for (i = 0; (m = module_at(i)) != NULL; i++) {
		if (m->openapi == NULL) {
			fail("module %s names no OpenAPI fragment", m->name);
			continue;
		}
		if ((frag = load(argv[1], m->openapi)) != NULL) {
			merge_fragment(doc, frag, m->openapi);
			json_decref(frag);
		}
	}
	/* Every route has its operation, completed from its flags. */
	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		if ((op = operation(doc, r)) == NULL) {
			fail("route %s %s has no operation in any fragment",
			    r->method, r->pattern);
			continue;
		}
		complete(doc, r, op);
	}
	/* Every operation has its route; HEAD beside every GET. */
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		json_object_foreach(item, meth, op) {
			int	 found = 0;

			if (strcmp(meth, "parameters") == 0 ||
			    strcmp(meth, "summary") == 0 ||
			    strcmp(meth, "description") == 0)
				continue;
			for (k = 0; k < router_count(); k++) {
				r = router_at(k);
				if (strcmp(r->pattern, path) == 0 &&
				    strcasecmp(r->method, meth) == 0)
					found = 1;
			}
			if (!found)
				fail("operation %s %s has no route", meth, path);
		}
		if ((get = json_object_get(item, "get")) != NULL &&
		    json_object_get(item, "head") == NULL)
			json_object_set_new(item, "head", head_of(get));
	}
	problem_codes(doc);
	export_sections(doc);
	export_examples(doc, json_object_get(doc, "paths"));
	if (errors > 0 || (schema = export_schema(doc)) == NULL)
		return (1);
	if (write_json(doc, argv[2]) == -1 || write_json(schema, argv[3]) == -1)
		return (1);
	json_decref(schema);
	json_decref(doc);
	return (0);
}
