/*
 * t4602-open311-conformance: every method of the Open311 server in both
 * formats, and every error case, recorded and checked by the conformance
 * suite: t/open311/conformance.py (XML well formed with its declaration,
 * the same data in XML and JSON, codes and ids as strings, zoned
 * timestamps, the spec's examples' names and members: t/data/open311/
 * spec-examples) and t/open311/schemas.mjs (the JSON answers against the
 * JSON Schemas of open311/schema-validation, t/data/open311/
 * schema-validation, with the repo's ajv of t/openapi/node_modules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caselib.h"

#define LAT	44.9316
#define LON	6.7219

static char	*dir;
static json_t	*manifest;

/* A partner client with 'scopes': its api_key, form-encoded. */
static char *
partner(const struct idenv *e, const char *name, const char *scopes)
{
	char	 id[40], secret[80], *key, *k;

	idl_client_add(e, name, scopes, NULL, id, secret);
	key = harness_printf("%s:%s", id, secret);
	k = idl_urlencode(key);
	free(key);
	return (k);
}

static void
save(const char *name, const char *fmt, const struct http_resp *r)
{
	char	*path, *meta;
	json_t	*m;
	const char *ct = http_resp_header(r, "Content-Type");

	path = harness_printf("%s/%s.%s", dir, name, fmt);
	ck_assert_int_eq(harness_write_file(path, r->body != NULL ? r->body :
	    ""), 0);
	free(path);
	m = json_pack("{s:I, s:s}", "status", (json_int_t)r->status,
	    "content_type", ct != NULL ? ct : "");
	meta = json_dumps(m, 0);
	path = harness_printf("%s/%s.%s.meta", dir, name, fmt);
	ck_assert_int_eq(harness_write_file(path, meta), 0);
	free(path);
	free(meta);
	json_decref(m);
}

static const char *const form_type[] = { "Content-Type: application/x-"
    "www-form-urlencoded; charset=utf-8", NULL };

/*
 * One exchange in both formats: 'method' 'path' with the header lines
 * 'h' (NULL-terminated) and 'body' (NULL: none); 'path' has "%s" where
 * the format goes (".xml", ".json"); 'mask' a member whose values differ
 * between the two answers by construction (NULL: none).
 */
static void
exchange_with(const struct idenv *e, const char *name, const char *kind,
    long status, const char *method, const char *path,
    const char *const *h, const char *body, const char *mask)
{
	static const char *const fmts[] = { "xml", "json" };
	struct http_resp r;
	char		*p, sfx[8];
	const char	*at;
	json_t		*x;
	int		 i;

	for (i = 0; i < 2; i++) {
		snprintf(sfx, sizeof(sfx), ".%s", fmts[i]);
		at = strstr(path, "%s");
		ck_assert(at != NULL);
		p = harness_printf("%.*s%s%s", (int)(at - path), path, sfx,
		    at + 2);
		idl_reqh(e, method, p, h, body, &r);
		ck_assert_msg(r.status == status, "%s %s: %ld, not %ld: %s",
		    name, p, r.status, status, r.body);
		save(name, fmts[i], &r);
		http_resp_free(&r);
		free(p);
	}
	x = json_pack("{s:s, s:s, s:I, s:[]}", "name", name, "kind", kind,
	    "status", (json_int_t)status, "mask");
	if (mask != NULL)
		json_array_append_new(json_object_get(x, "mask"),
		    json_string(mask));
	json_array_append_new(manifest, x);
}

/* A GET ('body' NULL) or a form POST in both formats (above). */
static void
exchange(const struct idenv *e, const char *name, const char *kind,
    long status, const char *path, const char *body, const char *mask)
{
	static const char *const none[] = { NULL };

	exchange_with(e, name, kind, status, body == NULL ? "GET" : "POST",
	    path, body == NULL ? none : form_type, body, mask);
}

/* An error of a form POST as the partner of 'key': "api_key=key&rest". */
static void
keyed_error(const struct idenv *e, const char *name, long status,
    const char *path, const char *key, const char *rest)
{
	char	*body;

	body = harness_printf("api_key=%s%s%s", key, *rest != '\0' ? "&" :
	    "", rest);
	exchange(e, name, "errors", status, path, body, NULL);
	free(body);
}

/*
 * 'method' 'path' (no format suffix, or one Open311 does not have):
 * the Open311 error list in JSON, with 'status', never a problem+json.
 */
static void
error_in_json(const struct idenv *e, const char *method, const char *path,
    long status)
{
	static const char *const none[] = { NULL };
	struct http_resp r;
	json_t		*j, *err;

	idl_reqh(e, method, path, none, NULL, &r);
	ck_assert_msg(r.status == status, "%s %s: %ld: %s", method, path,
	    r.status, r.body);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
	    "application/json");
	j = harness_json(&r);
	ck_assert_msg(json_is_array(j) && json_array_size(j) == 1, "%s",
	    r.body);
	err = json_array_get(j, 0);
	ck_assert_int_eq(json_object_size(err), 2);
	ck_assert_int_eq(strtol(idl_jstr(err, "code"), NULL, 10), status);
	ck_assert(strlen(idl_jstr(err, "description")) > 0);
	json_decref(j);
	http_resp_free(&r);
}

static char *
file(const struct idenv *e, const char *body)
{
	const char	*h[] = { "Content-Type: application/x-www-form-"
	    "urlencoded", NULL };
	struct http_resp r;
	json_t		*j;
	char		*id;

	ck_assert_int_eq(idl_reqh(e, "POST", "/open311/v2/requests.json", h,
	    body, &r), 201);
	j = harness_json(&r);
	id = strdup(idl_jstr(json_array_get(j, 0), "service_request_id"));
	json_decref(j);
	http_resp_free(&r);
	return (id);
}

static int
run(const char *const *argv)
{
	char	*out = NULL, *err = NULL;
	int	 rc;

	rc = harness_exec(argv, NULL, 120000, &out, &err);
	printf("%s%s", out != NULL ? out : "", err != NULL ? err : "");
	free(out);
	free(err);
	return (rc);
}

START_TEST(test_conformance)
{
	struct idenv	 e;
	char		*key, *nokey, *a, *b, *body, *path, *tech, *m, *ex, *sc;
	char		*py, *node;
	int		 rc;

	idl_start_new(&e, NULL);
	dir = harness_printf("%s/open311-conformance", harness_tmpdir());
	mkdir(dir, 0700);
	manifest = json_array();
	key = partner(&e, "Street App", "open311");
	nokey = partner(&e, "Lift Co", "lifts:write");
	tech = cl_agent(&e, CL_TECH);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE incidents.categories SET "
	    "anonymous_allowed = true WHERE code = 'noise'"), 0);

	body = harness_printf("api_key=%s&service_code=pothole&lat=%f&"
	    "long=%f&description=Un+trou+%%3Cprofond%%3E+%%26+large&"
	    "attribute%%5Bsize%%5D=large&media_url=https%%3A%%2F%%2F"
	    "partner.example%%2Fp%%2F1.jpg&email=x%%40example.org&"
	    "first_name=Jeanne&phone=0612345678", key, LAT, LON);
	a = file(&e, body);
	free(body);
	body = harness_printf("api_key=%s&service_code=noise&address_string="
	    "Place+de+l%%27%%C3%%89glise&attribute%%5Bwhen%%5D%%5B%%5D=day&"
	    "attribute%%5Bwhen%%5D%%5B%%5D=night", key);
	b = file(&e, body);
	free(body);
	path = harness_printf("/api/v1/incidents/%s/transitions", a);
	ck_assert_int_eq(idl_status(&e, "POST", path, tech,
	    "{\"to\": \"in_progress\", \"note\": \"Équipe en route.\"}"), 200);
	free(path);
	body = harness_printf("api_key=%s&update_id=u-1&service_request_id="
	    "%s&status=closed&description=R%%C3%%A9par%%C3%%A9&media_url="
	    "https%%3A%%2F%%2Fpartner.example%%2Fu%%2F1.jpg", key, a);
	{
		const char	*h[] = { "Content-Type: application/x-www-"
		    "form-urlencoded", NULL };
		struct http_resp r;

		ck_assert_int_eq(idl_reqh(&e, "POST",
		    "/open311/v2/servicerequestupdates.xml", h, body, &r), 201);
		ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
		    "text/xml");
		http_resp_free(&r);
	}
	/* The same update_id again, in both formats: the first answer. */
	exchange(&e, "update_post_replay", "update_post", 200,
	    "/open311/v2/servicerequestupdates%s", body, NULL);
	free(body);

	/* Every method, both formats. */
	exchange(&e, "discovery", "discovery", 200, "/open311/v2/discovery%s",
	    NULL, NULL);
	exchange(&e, "services", "services", 200, "/open311/v2/services%s",
	    NULL, NULL);
	exchange(&e, "services_en", "services", 200,
	    "/open311/v2/services%s?lang=en&jurisdiction_id=montgenevre.fr",
	    NULL, NULL);
	exchange(&e, "definition_noise", "service_definition", 200,
	    "/open311/v2/services/noise%s?lang=it", NULL, NULL);
	exchange(&e, "definition_pothole", "service_definition", 200,
	    "/open311/v2/services/pothole%s", NULL, NULL);
	exchange(&e, "requests", "requests", 200, "/open311/v2/requests%s",
	    NULL, NULL);
	exchange(&e, "requests_closed", "requests", 200,
	    "/open311/v2/requests%s?status=closed&service_code=pothole,noise",
	    NULL, NULL);
	path = harness_printf("/open311/v2/requests%%s?service_request_id="
	    "%s,%s", a, b);
	exchange(&e, "requests_ids", "requests", 200, path, NULL, NULL);
	free(path);
	exchange(&e, "requests_near", "requests", 200, "/open311/v2/requests%s"
	    "?lat=44.9316&long=6.7219&radius=50&page=1&page_size=10", NULL,
	    NULL);
	path = harness_printf("/open311/v2/requests/%s%%s", a);
	exchange(&e, "request_one", "requests", 200, path, NULL, NULL);
	free(path);
	path = harness_printf("/open311/v2/requests/%s%%s?lang=en", b);
	exchange(&e, "request_address", "requests", 200, path, NULL, NULL);
	free(path);
	path = harness_printf("/open311/v2/tokens/%s%%s", b);
	exchange(&e, "token", "token", 200, path, NULL, NULL);
	free(path);
	exchange(&e, "updates", "updates", 200,
	    "/open311/v2/servicerequestupdates%s", NULL, NULL);
	body = harness_printf("api_key=%s&service_code=litter&lat=%f&long=%f"
	    "&description=Poubelle+pleine", key, LAT, LON);
	exchange(&e, "post", "post", 201, "/open311/v2/requests%s", body,
	    "service_request_id");
	free(body);

	/* Every error, both formats. */
	exchange(&e, "e_post_no_key", "errors", 403, "/open311/v2/requests%s",
	    "service_code=litter&lat=44.93&long=6.72", NULL);
	keyed_error(&e, "e_post_no_scope", 403, "/open311/v2/requests%s",
	    nokey, "service_code=litter&lat=44.93&long=6.72");
	exchange(&e, "e_post_bad_key", "errors", 403, "/open311/v2/requests%s",
	    "api_key=cl_0000000000000000%3Anope&service_code=litter&lat=44.93"
	    "&long=6.72", NULL);
	keyed_error(&e, "e_post_nothing", 400, "/open311/v2/requests%s", key,
	    "");
	keyed_error(&e, "e_post_attributes", 400, "/open311/v2/requests%s",
	    key, "service_code=noise&address_string=Ici&attribute%5Bcolour%5D="
	    "red&media_url=ftp%3A%2F%2Fx");
	keyed_error(&e, "e_post_service", 404, "/open311/v2/requests%s", key,
	    "service_code=nothing&lat=44.93&long=6.72");
	keyed_error(&e, "e_post_jurisdiction", 404, "/open311/v2/requests%s",
	    key, "service_code=litter&lat=44.93&long=6.72&jurisdiction_id="
	    "nice.fr");
	exchange(&e, "e_jurisdiction", "errors", 404,
	    "/open311/v2/services%s?jurisdiction_id=nice.fr", NULL, NULL);
	exchange(&e, "e_lang", "errors", 400, "/open311/v2/services%s?lang=de",
	    NULL, NULL);
	exchange(&e, "e_service", "errors", 404,
	    "/open311/v2/services/nothing%s", NULL, NULL);
	exchange(&e, "e_request", "errors", 404, "/open311/v2/requests/"
	    "00000000-0000-4000-8000-000000000000%s", NULL, NULL);
	exchange(&e, "e_token", "errors", 404, "/open311/v2/tokens/12345%s",
	    NULL, NULL);
	exchange(&e, "e_dates", "errors", 400, "/open311/v2/requests%s?"
	    "start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
	    NULL, NULL);
	exchange(&e, "e_date_zone", "errors", 400, "/open311/v2/requests%s?"
	    "start_date=2026-01-01T00:00:00", NULL, NULL);
	exchange(&e, "e_status", "errors", 400,
	    "/open311/v2/requests%s?status=fixed", NULL, NULL);
	exchange(&e, "e_page", "errors", 400,
	    "/open311/v2/requests%s?page_size=0", NULL, NULL);
	exchange(&e, "e_near", "errors", 400,
	    "/open311/v2/requests%s?lat=44.93", NULL, NULL);
	exchange(&e, "e_updates_dates", "errors", 400,
	    "/open311/v2/servicerequestupdates%s?end_date=soon", NULL, NULL);
	exchange(&e, "e_update_no_key", "errors", 403,
	    "/open311/v2/servicerequestupdates%s", "update_id=u-2&status=open",
	    NULL);
	body = harness_printf("api_key=%s&update_id=u-3&service_request_id="
	    "%s&status=closed", key, a);
	exchange(&e, "e_update_move", "errors", 400,
	    "/open311/v2/servicerequestupdates%s", body, NULL);
	free(body);
	body = harness_printf("api_key=%s&update_id=u-4&service_request_id="
	    "00000000-0000-4000-8000-000000000000&status=closed", key);
	exchange(&e, "e_update_request", "errors", 404,
	    "/open311/v2/servicerequestupdates%s", body, NULL);
	free(body);
	/* The same update_id for another request. */
	body = harness_printf("api_key=%s&update_id=u-1&service_request_id="
	    "%s&status=open", key, b);
	exchange(&e, "e_update_id_reused", "errors", 400,
	    "/open311/v2/servicerequestupdates%s", body, NULL);
	free(body);
	/* A service for signed-in residents only, a place outside the area. */
	keyed_error(&e, "e_post_signed_in_only", 400,
	    "/open311/v2/requests%s", key, "service_code=abandoned_vehicle&"
	    "lat=44.9316&long=6.7219");
	keyed_error(&e, "e_post_outside", 400, "/open311/v2/requests%s", key,
	    "service_code=litter&lat=48.8566&long=2.3522");

	/*
	 * The errors the server raises before any Open311 handler, in the
	 * same format: no such path, another method, a body too large or
	 * not a form, credentials that do not verify.
	 */
	exchange(&e, "e_no_path", "errors", 404, "/open311/v2/foo%s", NULL,
	    NULL);
	exchange(&e, "e_no_path_deeper", "errors", 404,
	    "/open311/v2/requests/a/b%s", NULL, NULL);
	{
		static const char *const none[] = { NULL };
		static const char *const text[] = { "Content-Type: text/plain",
		    NULL };
		static const char *const bad_token[] = { "Authorization: "
		    "Bearer not-a-token", NULL };
		size_t	 n = 1048576 + 1;
		char	*big = malloc(n + 1);

		ck_assert_ptr_nonnull(big);
		memset(big, 'a', n);
		big[n] = '\0';
		memcpy(big, "api_key=", 8);
		exchange_with(&e, "e_method", "errors", 405, "DELETE",
		    "/open311/v2/services%s", none, NULL, NULL);
		exchange_with(&e, "e_too_large", "errors", 413, "POST",
		    "/open311/v2/requests%s", form_type, big, NULL);
		exchange_with(&e, "e_media_type", "errors", 415, "POST",
		    "/open311/v2/requests%s", text, "service_code=litter",
		    NULL);
		exchange_with(&e, "e_bad_token", "errors", 403, "GET",
		    "/open311/v2/services%s", bad_token, NULL, NULL);
		free(big);
	}
	/* No format, or one Open311 has not: JSON. */
	error_in_json(&e, "GET", "/open311/v2/services.csv", 404);
	error_in_json(&e, "GET", "/open311/v2/services/pothole", 404);
	error_in_json(&e, "GET", "/open311/v2", 404);
	error_in_json(&e, "PUT", "/open311/v2/discovery.csv", 404);

	m = json_dumps(manifest, JSON_INDENT(1));
	path = harness_printf("%s/manifest.json", dir);
	ck_assert_int_eq(harness_write_file(path, m), 0);
	free(path);
	free(m);

	py = harness_src("t/open311/conformance.py");
	ex = harness_src("t/data/open311/spec-examples");
	{
		const char *argv[] = { "/usr/bin/python3", py, dir, ex, NULL };

		rc = run(argv);
		ck_assert_msg(rc == 0, "conformance.py failed (%d)", rc);
	}
	node = harness_src("t/open311/schemas.mjs");
	sc = harness_src("t/data/open311/schema-validation");
	{
		const char *argv[] = { "/usr/bin/env", "node", node, dir, sc,
		    NULL };

		rc = run(argv);
		ck_assert_msg(rc == 0, "schemas.mjs failed (%d)", rc);
	}
	free(py);
	free(ex);
	free(node);
	free(sc);
	json_decref(manifest);
	free(a);
	free(b);
	free(key);
	free(nokey);
	free(tech);
	free(dir);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_conformance,
	NULL
};

const struct test_group test_groups[] = {
	{ "open311-conformance", HARNESS_TIMEOUT, NULL, NULL, cl_prepare,
	  NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
