/*
 * t4601-open311: the Open311 GeoReport v2 server (guichet-open311(7)):
 * discovery, services and their definitions, requests filed by a partner
 * with an api_key (client_id:client_secret of a client holding the open311
 * scope) with attributes, single and multi-valued, read back in XML and
 * JSON with Open311's statuses, filters and extensions; tokens; the
 * servicerequestupdates extension both ways (idempotent on the partner's
 * update_id); every error in Open311's format and the format asked; the
 * reporter's contact never public, in the person's export, erased with
 * them.  A partner's update tells the reporter and the supporters by
 * mail as an agent's move does.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caselib.h"
#include "mailcatch.h"

#define LAT	44.9316
#define LON	6.7219

/* A partner client with 'scopes': its api_key (caller frees). */
static char *
partner(const struct idenv *e, const char *name, const char *scopes)
{
	char	 id[40], secret[80];

	idl_client_add(e, name, scopes, NULL, id, secret);
	return (harness_printf("%s:%s", id, secret));
}

/* POST a form (already encoded) to 'path'; the status. */
static long
form(const struct idenv *e, const char *path, const char *body,
    struct http_resp *r)
{
	const char	*h[] = {
	    "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
	    NULL };

	return (idl_reqh(e, "POST", path, h, body, r));
}

/* GET 'path'; asserts the status and the exact content type. */
static void
get(const struct idenv *e, const char *path, long want, struct http_resp *r)
{
	const char	*ct;

	ck_assert_msg(idl_req(e, "GET", path, NULL, NULL, r) == want,
	    "GET %s: %ld, not %ld: %s", path, r->status, want, r->body);
	ct = http_resp_header(r, "Content-Type");
	ck_assert_msg(ct != NULL, "GET %s: no Content-Type", path);
	if (strstr(path, ".json") != NULL)
		ck_assert_str_eq(ct, "application/json");
	else {
		ck_assert_str_eq(ct, "text/xml");
		ck_assert_msg(strncmp(r->body, "<?xml version=\"1.0\" "
		    "encoding=\"utf-8\"?>", 38) == 0, "GET %s: no XML "
		    "declaration: %s", path, r->body);
	}
}

static json_t *
get_json(const struct idenv *e, const char *path, long want)
{
	struct http_resp r;
	json_t		*j;

	get(e, path, want, &r);
	j = harness_json(&r);
	ck_assert_msg(j != NULL, "GET %s: not JSON: %s", path, r.body);
	http_resp_free(&r);
	return (j);
}

/* An Open311 error: status, format, and the code as a string. */
static void
assert_error(const struct http_resp *r, long status, int json)
{
	json_t	*j, *e;
	char	 code[8];

	snprintf(code, sizeof(code), "%ld", status);
	ck_assert_msg(r->status == status, "status %ld, not %ld: %s",
	    r->status, status, r->body);
	if (json) {
		ck_assert_str_eq(http_resp_header(r, "Content-Type"),
		    "application/json");
		j = harness_json(r);
		ck_assert_msg(json_is_array(j) && json_array_size(j) >= 1,
		    "not an error list: %s", r->body);
		e = json_array_get(j, 0);
		idl_assert_str(e, "code", code);
		ck_assert(json_is_string(json_object_get(e, "description")));
		json_decref(j);
	} else {
		char	*want = harness_printf("<errors><error><code>%s</code>"
		    "<description>", code);

		ck_assert_str_eq(http_resp_header(r, "Content-Type"),
		    "text/xml");
		ck_assert_msg(strstr(r->body, want) != NULL, "not an XML "
		    "error list: %s", r->body);
		free(want);
	}
}

static void
get_error(const struct idenv *e, const char *path, long status)
{
	struct http_resp r;

	idl_req(e, "GET", path, NULL, NULL, &r);
	/* XML for a .xml path, JSON otherwise (also without a suffix). */
	assert_error(&r, status, strstr(path, ".xml") == NULL);
	http_resp_free(&r);
}

/* POST servicerequestupdates.'fmt' with 'body' (freed): 201 asserted. */
static void
update_ok(const struct idenv *e, const char *fmt, char *body)
{
	struct http_resp r;
	char		*path;

	path = harness_printf("/open311/v2/servicerequestupdates.%s", fmt);
	ck_assert_msg(form(e, path, body, &r) == 201, "%s: %ld %s", path,
	    r.status, r.body);
	http_resp_free(&r);
	free(path);
	free(body);
}

/* POST requests.json with 'body' (freed): the status. */
static long
post_status(const struct idenv *e, char *body)
{
	struct http_resp r;
	long		 st;

	st = form(e, "/open311/v2/requests.json", body, &r);
	http_resp_free(&r);
	free(body);
	return (st);
}

/* GET requests/{id}.xml of 'id' holds 'needle'. */
static void
xml_holds(const struct idenv *e, const char *id, const char *needle)
{
	struct http_resp r;
	char		*path;

	path = harness_printf("/open311/v2/requests/%s.xml", id);
	get(e, path, 200, &r);
	ck_assert_msg(strstr(r.body, needle) != NULL, "%s: no %s in %s", path,
	    needle, r.body);
	http_resp_free(&r);
	free(path);
}

/* File a request: the new id (caller frees). */
static char *
file(const struct idenv *e, const char *key, const char *more)
{
	struct http_resp r;
	json_t		*j;
	char		*body, *k, *id;

	k = idl_urlencode(key);
	body = harness_printf("api_key=%s&service_code=pothole&lat=%f&"
	    "long=%f&description=Un+trou%s", k, LAT, LON, more);
	ck_assert_msg(form(e, "/open311/v2/requests.json", body, &r) == 201,
	    "POST requests.json: %ld %s", r.status, r.body);
	j = harness_json(&r);
	ck_assert(json_is_array(j));
	id = strdup(idl_jstr(json_array_get(j, 0), "service_request_id"));
	ck_assert(json_is_string(json_object_get(json_array_get(j, 0),
	    "service_notice")));
	json_decref(j);
	http_resp_free(&r);
	free(body);
	free(k);
	return (id);
}

START_TEST(test_discovery_services)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *s, *ep;
	size_t		 i;
	int		 seen = 0;

	idl_start_new(&e, NULL);
	j = get_json(&e, "/open311/v2/discovery.json", 200);
	ck_assert(json_is_string(json_object_get(j, "changeset")));
	ck_assert(json_is_string(json_object_get(j, "contact")));
	ck_assert(json_is_string(json_object_get(j, "key_service")));
	ep = json_array_get(json_object_get(j, "endpoints"), 0);
	idl_assert_strs(ep, "specification",
	    "http://wiki.open311.org/GeoReport_v2", "type", "production", NULL);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ep,
	    "formats"), 0)), "text/xml");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ep,
	    "formats"), 1)), "application/json");
	json_decref(j);
	get(&e, "/open311/v2/discovery.xml", 200, &r);
	ck_assert(strstr(r.body, "<discovery><changeset>") != NULL);
	ck_assert(strstr(r.body, "<endpoints><endpoint><specification>") !=
	    NULL);
	ck_assert(strstr(r.body, "<formats><format>text/xml</format><format>"
	    "application/json</format></formats>") != NULL);
	http_resp_free(&r);

	/* Services: our categories, codes as strings, metadata booleans. */
	j = get_json(&e, "/open311/v2/services.json?lang=en", 200);
	ck_assert_int_eq(json_array_size(j), 11);
	json_array_foreach(j, i, s) {
		ck_assert(json_is_string(json_object_get(s, "service_code")));
		ck_assert(json_is_boolean(json_object_get(s, "metadata")));
		idl_assert_str(s, "type", "realtime");
		if (strcmp(idl_jstr(s, "service_code"), "noise") == 0) {
			idl_assert_strs(s, "service_name", "Noise", "group",
			    "police_municipale", NULL);
			ck_assert(json_is_true(json_object_get(s, "metadata")));
			seen++;
		}
		if (strcmp(idl_jstr(s, "service_code"), "litter") == 0) {
			ck_assert(json_is_false(json_object_get(s,
			    "metadata")));
			seen++;
		}
	}
	ck_assert_int_eq(seen, 2);
	json_decref(j);
	get(&e, "/open311/v2/services.xml?lang=it&jurisdiction_id=montgenevre.fr",
	    200, &r);
	ck_assert(strstr(r.body, "<services><service><service_code>pothole"
	    "</service_code><service_name>Buca stradale</service_name>") !=
	    NULL);
	ck_assert(strstr(r.body, "<metadata>true</metadata>") != NULL);
	ck_assert_str_eq(http_resp_header(&r, "Content-Language"), "it");
	http_resp_free(&r);
	/* French by default. */
	get(&e, "/open311/v2/services.xml", 200, &r);
	ck_assert(strstr(r.body, "<service_name>Nid-de-poule</service_name>")
	    != NULL);
	http_resp_free(&r);

	/* A definition: the attributes, in order, with their values. */
	j = get_json(&e, "/open311/v2/services/noise.json?lang=en", 200);
	idl_assert_str(j, "service_code", "noise");
	s = json_array_get(json_object_get(j, "attributes"), 0);
	idl_assert_strs(s, "code", "when", "datatype", "multivaluelist",
	    "description", "When", NULL);
	ck_assert(json_is_true(json_object_get(s, "required")));
	ck_assert(json_is_true(json_object_get(s, "variable")));
	ck_assert_int_eq(json_integer_value(json_object_get(s, "order")), 1);
	idl_assert_strs(json_array_get(json_object_get(s, "values"), 1),
	    "key", "night", "name", "night", NULL);
	json_decref(j);
	get(&e, "/open311/v2/services/pothole.xml", 200, &r);
	ck_assert(strstr(r.body, "<service_definition><service_code>pothole"
	    "</service_code><attributes><attribute><variable>true</variable>"
	    "<code>size</code><datatype>singlevaluelist</datatype>") != NULL);
	ck_assert(strstr(r.body, "<values><value><key>small</key><name>petit"
	    "</name></value>") != NULL);
	http_resp_free(&r);

	/* Errors, in the format asked. */
	get_error(&e, "/open311/v2/services/nothing.json", 404);
	get_error(&e, "/open311/v2/services/nothing.xml", 404);
	get_error(&e, "/open311/v2/services/pothole", 404);
	get_error(&e, "/open311/v2/services.json?jurisdiction_id=nice.fr",
	    404);
	get_error(&e, "/open311/v2/services.xml?jurisdiction_id=nice.fr", 404);
	get_error(&e, "/open311/v2/services.json?lang=de", 400);
	get_error(&e, "/open311/v2/discovery.xml?lang=de", 400);
	idl_stop(&e);
}
END_TEST

START_TEST(test_post_and_read)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *q;
	char		*key, *nokey, *id, *body, *k, *path, *mark;

	idl_start_new(&e, NULL);
	key = partner(&e, "Street App", "open311");
	nokey = partner(&e, "Lift Co", "lifts:write");

	/* 403: no key, a wrong one, one without the scope, in both formats. */
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json",
	    "service_code=pothole&lat=44.93&long=6.72", &r), 403);
	assert_error(&r, 403, 1);
	ck_assert(strstr(r.body, "Invalid api_key") != NULL);
	http_resp_free(&r);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.xml",
	    "service_code=pothole&lat=44.93&long=6.72", &r), 403);
	assert_error(&r, 403, 0);
	http_resp_free(&r);
	ck_assert_int_eq(idl_req(&e, "POST", "/open311/v2/requests.xml", NULL,
	    NULL, &r), 403);
	assert_error(&r, 403, 0);
	http_resp_free(&r);
	k = idl_urlencode(key);
	body = harness_printf("api_key=%.22sdeadbeef&service_code=pothole&"
	    "lat=44.93&long=6.72", k);
	ck_assert_int_eq(post_status(&e, body), 403);
	body = harness_printf("api_key=%s&service_code=pothole&lat=44.93&"
	    "long=6.72", nokey);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json", body, &r), 403);
	assert_error(&r, 403, 1);
	http_resp_free(&r);
	free(body);

	/* 400 and 404: what is missing or wrong, every error listed. */
	body = harness_printf("api_key=%s", k);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.xml", body, &r), 400);
	assert_error(&r, 400, 0);
	ck_assert(strstr(r.body, "service_code") != NULL);
	ck_assert(strstr(r.body, "location") != NULL);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&service_code=nothing&lat=44.93&"
	    "long=6.72", k);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json", body, &r), 404);
	assert_error(&r, 404, 1);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&service_code=pothole&lat=45.5&"
	    "long=6.72", k);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json", body, &r), 400);
	ck_assert(strstr(r.body, "outside the commune") != NULL ||
	    strstr(r.body, "hors de la commune") != NULL);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&service_code=pothole&lat=44.93&"
	    "long=6.72&attribute[size]=huge", k);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json", body, &r), 400);
	ck_assert_msg(strstr(r.body, "attribute[size]") != NULL, "%s", r.body);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&service_code=pothole&lat=44.93&"
	    "long=6.72&jurisdiction_id=nice.fr", k);
	ck_assert_int_eq(post_status(&e, body), 404);
	/* A service for residents signed in only. */
	body = harness_printf("api_key=%s&service_code=abandoned_vehicle&"
	    "lat=44.93&long=6.72", k);
	ck_assert_int_eq(post_status(&e, body), 400);

	/* Filed with its contact, an attribute and a media_url. */
	mark = idl_marker(12);
	body = harness_printf("&attribute%%5Bsize%%5D=large&first_name=Jeanne"
	    "%s&last_name=Martin&phone=0612%s&email=j%s%%40example.org&"
	    "media_url=https%%3A%%2F%%2Fpartner.example%%2Fp%%2F1.jpg",
	    mark, "345678", mark);
	id = file(&e, key, body);
	free(body);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND attributes->>'size' = "
	    "'large' AND reporter_id IS NULL", id), 1);
	/* An address of no account: the report's follow-up address. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND contact_email = "
	    "'j%s@example.org'", id, mark), 1);

	/* Read back: Open311's fields, never the reporter's contact. */
	path = harness_printf("/open311/v2/requests/%s.json", id);
	j = get_json(&e, path, 200);
	free(path);
	ck_assert_int_eq(json_array_size(j), 1);
	q = json_array_get(j, 0);
	idl_assert_strs(q, "service_request_id", id, "status", "open",
	    "service_code", "pothole", "service_name", "Nid-de-poule",
	    "description", "Un trou", "agency_responsible",
	    "Services techniques", "media_url",
	    "https://partner.example/p/1.jpg", NULL);
	ck_assert(json_is_string(json_object_get(q, "requested_datetime")));
	ck_assert(json_is_string(json_object_get(q, "updated_datetime")));
	ck_assert(json_is_string(json_object_get(q, "expected_datetime")));
	ck_assert(json_is_string(json_object_get(q, "service_notice")));
	ck_assert(json_is_string(json_object_get(q, "status_notes")));
	ck_assert(json_is_real(json_object_get(q, "lat")));
	ck_assert(strchr(idl_jstr(q, "requested_datetime"), 'Z') != NULL);
	json_decref(j);
	path = harness_printf("/open311/v2/requests/%s.xml", id);
	get(&e, path, 200, &r);
	free(path);
	ck_assert(strstr(r.body, "<service_requests><request>"
	    "<service_request_id>") != NULL);
	ck_assert(strstr(r.body, "<status>open</status>") != NULL);
	ck_assert(strstr(r.body, "<address_id></address_id>") != NULL);
	ck_assert(strstr(r.body, mark) == NULL);
	ck_assert(strstr(r.body, "345678") == NULL);
	http_resp_free(&r);
	get(&e, "/open311/v2/requests.xml", 200, &r);
	ck_assert(strstr(r.body, id) != NULL);
	ck_assert(strstr(r.body, mark) == NULL);
	http_resp_free(&r);

	/* Multi-valued attributes: attribute[code][] repeated. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE incidents.categories SET "
	    "anonymous_allowed = true WHERE code = 'noise'"), 0);
	body = harness_printf("api_key=%s&service_code=noise&"
	    "address_string=Place+de+l%%27%%C3%%89glise&"
	    "attribute%%5Bwhen%%5D%%5B%%5D=day&"
	    "attribute%%5Bwhen%%5D%%5B%%5D=night", k);
	ck_assert_msg(form(&e, "/open311/v2/requests.xml", body, &r) == 201,
	    "%s", r.body);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"), "text/xml");
	ck_assert(strstr(r.body, "<service_requests><request>"
	    "<service_request_id>") != NULL);
	http_resp_free(&r);
	free(body);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE category = 'noise' AND attributes = "
	    "'{\"when\": [\"day\", \"night\"]}' AND address = "
	    "'Place de l''Église' AND position IS NULL"), 1);
	/* A required attribute missing. */
	body = harness_printf("api_key=%s&service_code=noise&"
	    "address_string=Ici", k);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json", body, &r), 400);
	ck_assert(strstr(r.body, "attribute[when]") != NULL);
	http_resp_free(&r);
	free(body);

	/* Unknown request, bad id: 404 in the format asked. */
	get_error(&e, "/open311/v2/requests/"
	    "00000000-0000-4000-8000-000000000000.json", 404);
	get_error(&e, "/open311/v2/requests/42.xml", 404);
	free(id);
	free(mark);
	free(k);
	free(key);
	free(nokey);
	idl_stop(&e);
}
END_TEST

/* The number of requests of a JSON list answer. */
static size_t
count(const struct idenv *e, const char *path)
{
	json_t	*j = get_json(e, path, 200);
	size_t	 n = json_array_size(j);

	json_decref(j);
	return (n);
}

START_TEST(test_filters_tokens)
{
	struct idenv	 e;
	char		*key, *a, *b, *c, *path, *tech;
	json_t		*j;

	idl_start_new(&e, NULL);
	key = partner(&e, "Street App", "open311");
	tech = cl_agent(&e, CL_TECH);
	a = file(&e, key, "");
	b = file(&e, key, "");
	c = file(&e, key, "");
	/* A moved to resolved: closed for Open311. */
	path = harness_printf("/api/v1/incidents/%s/transitions", a);
	ck_assert_int_eq(idl_status(&e, "POST", path, tech,
	    "{\"to\": \"resolved\", \"note\": \"Rebouché.\"}"), 200);
	free(path);

	ck_assert_int_eq(count(&e, "/open311/v2/requests.json"), 3);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?status=closed"),
	    1);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?status=open"), 2);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?status="
	    "open,closed"), 3);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?service_code="
	    "litter,signage"), 0);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?service_code="
	    "pothole"), 3);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?start_date="
	    "2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00%2B01:00"), 0);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?page_size=2"),
	    2);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?page_size=2&"
	    "page=2"), 1);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?lat=44.9316&"
	    "long=6.7219&radius=10"), 3);
	ck_assert_int_eq(count(&e, "/open311/v2/requests.json?lat=44.95&"
	    "long=6.7219&radius=100"), 0);
	/* service_request_id overrides every other argument. */
	path = harness_printf("/open311/v2/requests.json?service_request_id="
	    "%s,%s&status=open&service_code=litter", a, b);
	ck_assert_int_eq(count(&e, path), 2);
	free(path);
	path = harness_printf("/open311/v2/requests.json?service_request_id="
	    "%s", a);
	j = get_json(&e, path, 200);
	free(path);
	idl_assert_strs(json_array_get(j, 0), "status", "closed",
	    "status_notes", "Rebouché.", NULL);
	json_decref(j);

	get_error(&e, "/open311/v2/requests.json?start_date=yesterday", 400);
	get_error(&e, "/open311/v2/requests.xml?start_date="
	    "2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400);
	get_error(&e, "/open311/v2/requests.json?end_date="
	    "2026-01-01T00:00:00", 400);
	get_error(&e, "/open311/v2/requests.json?status=fixed", 400);
	get_error(&e, "/open311/v2/requests.xml?service_code=Pot%20hole", 400);
	get_error(&e, "/open311/v2/requests.json?page_size=1001", 400);
	get_error(&e, "/open311/v2/requests.json?page=0", 400);
	get_error(&e, "/open311/v2/requests.json?lat=44.9", 400);
	get_error(&e, "/open311/v2/requests.json?lat=44.9&long=6.7&radius=-1",
	    400);

	/* Tokens: a request's token is its id. */
	path = harness_printf("/open311/v2/tokens/%s.json", b);
	j = get_json(&e, path, 200);
	free(path);
	idl_assert_strs(json_array_get(j, 0), "service_request_id", b,
	    "token", b, NULL);
	json_decref(j);
	get_error(&e, "/open311/v2/tokens/"
	    "00000000-0000-4000-8000-000000000000.xml", 404);
	get_error(&e, "/open311/v2/tokens/12345.json", 404);
	free(a);
	free(b);
	free(c);
	free(tech);
	free(key);
	idl_stop(&e);
}
END_TEST

/* POST a request from 'more' (encoded, after the api_key): the new id. */
static char *
file_form(const struct idenv *e, const char *k, const char *more)
{
	struct http_resp r;
	json_t		*j;
	char		*body, *id;

	body = harness_printf("api_key=%s&service_code=pothole&%s", k, more);
	ck_assert_msg(form(e, "/open311/v2/requests.json", body, &r) == 201,
	    "POST requests.json %s: %ld %s", more, r.status, r.body);
	j = harness_json(&r);
	id = strdup(idl_jstr(json_array_get(j, 0), "service_request_id"));
	json_decref(j);
	http_resp_free(&r);
	free(body);
	return (id);
}

/*
 * The fields of a request: agency_responsible is the department's name
 * in the language asked; lat and long to the micro-degree, the same in
 * XML and JSON; zipcode from the address; address_id as the partner gave
 * it.
 */
START_TEST(test_request_fields)
{
	struct idenv	 e;
	struct http_resp r;
	char		*key, *k, *a, *b, *c, *path, *name, *want;
	json_t		*j, *q;
	size_t		 i;
	int		 found;

	idl_start_new(&e, NULL);
	key = partner(&e, "Street App", "open311");
	k = idl_urlencode(key);
	a = file_form(&e, k, "lat=44.93161234567&long=6.72191234567");
	b = file_form(&e, k, "address_string=3+route+d%27Italie%2C+05100+"
	    "Montgen%C3%A8vre");
	c = file_form(&e, k, "address_id=ADR-00545483");

	/* The position: six decimals, in both formats. */
	path = harness_printf("/open311/v2/requests/%s.json", a);
	get(&e, path, 200, &r);
	ck_assert_msg(strstr(r.body, "\"lat\":44.931612,") != NULL &&
	    strstr(r.body, "\"long\":6.721912,") != NULL, "%s", r.body);
	http_resp_free(&r);
	j = get_json(&e, path, 200);
	q = json_array_get(j, 0);
	ck_assert(json_is_null(json_object_get(q, "zipcode")));
	ck_assert(json_is_null(json_object_get(q, "address_id")));
	/* The department by its name, not its code. */
	name = idl_sql(&e, "SELECT d.name_fr FROM identity.departments d "
	    "JOIN incidents.categories c ON c.department = d.code WHERE "
	    "c.code = 'pothole'");
	want = idl_sql(&e, "SELECT department FROM incidents.categories "
	    "WHERE code = 'pothole'");
	ck_assert_str_ne(name, want);
	free(want);
	idl_assert_str(q, "agency_responsible", name);
	ck_assert_msg(strstr(idl_jstr(q, "service_notice"), name) != NULL,
	    "%s", idl_jstr(q, "service_notice"));
	json_decref(j);
	free(path);
	free(name);
	xml_holds(&e, a, "<lat>44.931612</lat><long>6.721912"
	    "</long>");
	path = harness_printf("/open311/v2/requests/%s.json?lang=en", a);
	j = get_json(&e, path, 200);
	name = idl_sql(&e, "SELECT d.name_en FROM identity.departments d "
	    "JOIN incidents.categories c ON c.department = d.code WHERE "
	    "c.code = 'pothole'");
	idl_assert_str(json_array_get(j, 0), "agency_responsible", name);
	json_decref(j);
	free(path);
	free(name);
	/*
	 * A department renamed: its new name at once, in the list and in
	 * one request (the version of its row is in the key of the requests
	 * kept written, which the reads above filled).
	 */
	idl_sql_exec(&e, "UPDATE identity.departments SET name_fr = "
	    "'Voirie et réseaux' WHERE code = (SELECT department FROM "
	    "incidents.categories WHERE code = 'pothole')");
	j = get_json(&e, "/open311/v2/requests.json", 200);
	found = 0;
	for (i = 0; i < json_array_size(j); i++)
		if (strcmp(idl_jstr(json_array_get(j, i), "service_request_id"),
		    a) == 0) {
			idl_assert_str(json_array_get(j, i),
			    "agency_responsible", "Voirie et réseaux");
			found = 1;
		}
	ck_assert(found);
	json_decref(j);
	xml_holds(&e, a, "<agency_responsible>Voirie et réseaux"
	    "</agency_responsible>");

	/* The postcode of the address. */
	path = harness_printf("/open311/v2/requests/%s.json", b);
	j = get_json(&e, path, 200);
	idl_assert_str(json_array_get(j, 0), "zipcode", "05100");
	ck_assert(json_is_null(json_object_get(json_array_get(j, 0), "lat")));
	json_decref(j);
	free(path);
	path = harness_printf("/open311/v2/requests/%s.xml", b);
	get(&e, path, 200, &r);
	ck_assert(strstr(r.body, "<zipcode>05100</zipcode>") != NULL);
	http_resp_free(&r);
	free(path);

	/* The partner's address_id, as given, in both formats. */
	path = harness_printf("/open311/v2/requests/%s.json", c);
	j = get_json(&e, path, 200);
	idl_assert_str(json_array_get(j, 0), "address_id", "ADR-00545483");
	json_decref(j);
	free(path);
	path = harness_printf("/open311/v2/requests.xml?service_request_id="
	    "%s", c);
	get(&e, path, 200, &r);
	ck_assert_msg(strstr(r.body, "<address_id>ADR-00545483</address_id>")
	    != NULL, "%s", r.body);
	http_resp_free(&r);
	free(path);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.requests WHERE report_id = '%s' AND address_id = "
	    "'ADR-00545483'", c), 1);
	/* Longer than the column: Open311's 400, not a 500. */
	want = harness_printf("api_key=%s&service_code=pothole&address_id="
	    "%0201d", k, 7);
	ck_assert_int_eq(form(&e, "/open311/v2/requests.json", want, &r), 400);
	assert_error(&r, 400, 1);
	http_resp_free(&r);
	free(want);
	free(a);
	free(b);
	free(c);
	free(k);
	free(key);
	idl_stop(&e);
}
END_TEST

START_TEST(test_updates)
{
	struct idenv	 e;
	struct http_resp r;
	char		*key, *k, *a, *body, *path, *tech, *uid;
	json_t		*j, *u;
	size_t		 i;
	int		 seen = 0;

	idl_start_new(&e, NULL);
	key = partner(&e, "Contractor", "open311");
	k = idl_urlencode(key);
	tech = cl_agent(&e, CL_TECH);
	a = file(&e, key, "");
	path = harness_printf("/api/v1/incidents/%s/transitions", a);
	ck_assert_int_eq(idl_status(&e, "POST", path, tech,
	    "{\"to\": \"acknowledged\", \"note\": \"Vu.\"}"), 200);
	free(path);

	/* Our moves as updates. */
	j = get_json(&e, "/open311/v2/servicerequestupdates.json", 200);
	json_array_foreach(j, i, u)
		if (strcmp(idl_jstr(u, "service_request_id"), a) == 0 &&
		    strcmp(idl_jstr(u, "description"), "Vu.") == 0) {
			idl_assert_str(u, "status", "open");
			ck_assert(json_is_string(json_object_get(u,
			    "update_id")));
			ck_assert(json_is_string(json_object_get(u,
			    "updated_datetime")));
			ck_assert(json_is_null(json_object_get(u,
			    "media_url")));
			seen++;
		}
	ck_assert_int_eq(seen, 1);
	json_decref(j);

	/* A partner closes it, once, whatever the retries. */
	body = harness_printf("api_key=%s&update_id=c-77&service_request_id="
	    "%s&status=closed&description=R%%C3%%A9par%%C3%%A9&media_url="
	    "https%%3A%%2F%%2Fpartner.example%%2Fu%%2F77.jpg", k, a);
	ck_assert_msg(form(&e, "/open311/v2/servicerequestupdates.json", body,
	    &r) == 201, "%s", r.body);
	j = harness_json(&r);
	uid = strdup(idl_jstr(json_array_get(j, 0), "update_id"));
	json_decref(j);
	http_resp_free(&r);
	ck_assert_int_eq(form(&e, "/open311/v2/servicerequestupdates.json",
	    body, &r), 200);
	j = harness_json(&r);
	idl_assert_str(json_array_get(j, 0), "update_id", uid);
	json_decref(j);
	http_resp_free(&r);
	free(body);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.history WHERE report_id = '%s'", a), 3);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND status = 'resolved'", a), 1);
	path = harness_printf("/open311/v2/requests/%s.json", a);
	j = get_json(&e, path, 200);
	free(path);
	idl_assert_strs(json_array_get(j, 0), "status", "closed",
	    "status_notes", "Réparé", NULL);
	json_decref(j);
	get(&e, "/open311/v2/servicerequestupdates.xml", 200, &r);
	ck_assert(strstr(r.body, "<service_request_updates><request_update>"
	    "<update_id>") != NULL);
	ck_assert(strstr(r.body, "<media_url>https://partner.example/u/77.jpg"
	    "</media_url>") != NULL);
	http_resp_free(&r);

	/* Errors: no key, a move not allowed, unknown request, bad args. */
	body = harness_printf("update_id=c-78&service_request_id=%s&"
	    "status=open", a);
	ck_assert_int_eq(form(&e, "/open311/v2/servicerequestupdates.xml",
	    body, &r), 403);
	assert_error(&r, 403, 0);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&update_id=c-78&service_request_id="
	    "%s&status=open", k, a);
	ck_assert_int_eq(form(&e, "/open311/v2/servicerequestupdates.json",
	    body, &r), 400);
	assert_error(&r, 400, 1);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&update_id=c-79&service_request_id="
	    "00000000-0000-4000-8000-000000000000&status=closed", k);
	ck_assert_int_eq(form(&e, "/open311/v2/servicerequestupdates.json",
	    body, &r), 404);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&service_request_id=%s&status=done",
	    k, a);
	ck_assert_int_eq(form(&e, "/open311/v2/servicerequestupdates.xml",
	    body, &r), 400);
	assert_error(&r, 400, 0);
	ck_assert(strstr(r.body, "update_id") != NULL);
	http_resp_free(&r);
	free(body);
	get_error(&e, "/open311/v2/servicerequestupdates.json?start_date=x",
	    400);
	free(uid);
	free(a);
	free(tech);
	free(k);
	free(key);
	idl_stop(&e);
}
END_TEST


/*
 * A partner's update moves a resident's report: the reporter and the
 * supporter hear of it by mail, as of an agent's move (one operation).
 */
START_TEST(test_update_mails)
{
	const char	*env = getenv("GUICHET_TEST_SMTP_CATCHER");
	struct catcher	 c;
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*key, *k, *res, *other, *id, *path, *body;
	long		 st;

	ck_assert_msg(env != NULL && env[0] != '\0', "GUICHET_TEST_SMTP_"
	    "CATCHER is not set: run `tools/dev test`");
	mailcatch_start_server(&c, &e);
	res = cl_resident(&e);
	other = cl_other(&e);
	key = partner(&e, "Lighting Contractor", "open311");
	k = idl_urlencode(key);
	j = idl_sendj(&e, "POST", "/api/v1/incidents", res, json_pack(
	    "{s:s, s:s, s:f, s:f}", "category", "street_lighting",
	    "description", "Lampadaire eteint.", "lat", LAT, "lon", LON), &st);
	ck_assert_int_eq(st, 201);
	id = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	path = harness_printf("/api/v1/incidents/%s/supporters", id);
	ck_assert_int_eq(idl_status(&e, "POST", path, other, NULL), 201);
	free(path);

	body = harness_printf("api_key=%s&update_id=m-1&service_request_id="
	    "%s&status=open&guichet_status=acknowledged&description="
	    "Equipe+prevenue.", k, id);
	ck_assert_msg(form(&e, "/open311/v2/servicerequestupdates.json", body,
	    &r) == 201, "%s", r.body);
	http_resp_free(&r);
	/* The same update_id again: no second move, no second mail. */
	ck_assert_int_eq(form(&e, "/open311/v2/servicerequestupdates.json",
	    body, &r), 200);
	http_resp_free(&r);
	free(body);
	body = harness_printf("api_key=%s&update_id=m-2&service_request_id="
	    "%s&status=closed&description=Ampoule+changee.", k, id);
	update_ok(&e, "xml", body);

	/* Two moves, two people following: four messages, no more. */
	mailcatch_wait(&c, 4, 20000);
	ck_assert_int_eq(mailcatch_count_to(&c, IDL_RESIDENT_EMAIL,
	    "pris en compte", "Equipe prevenue."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, CL_OTHER_EMAIL,
	    "pris en compte", "Equipe prevenue."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, IDL_RESIDENT_EMAIL,
	    "résolu", "Ampoule changee."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, CL_OTHER_EMAIL,
	    "résolu", NULL), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'incident_status'"), 4);
	free(id);
	free(res);
	free(other);
	free(k);
	free(key);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

#define RACERS	8

/*
 * RACERS processes POST the update bodies[i] at once; each answer's status
 * into st[i] and its update_id into ids[i] ("" when none; caller frees).
 */
static void
race(const struct idenv *e, char *const *bodies, long *st, char **ids)
{
	struct http_resp r;
	pid_t		 pids[RACERS];
	int		 fds[RACERS][2], i, status;
	char		 line[200];
	FILE		*f;
	json_t		*j;

	for (i = 0; i < RACERS; i++) {
		ck_assert_int_eq(pipe(fds[i]), 0);
		if ((pids[i] = fork()) == 0) {
			close(fds[i][0]);
			f = fdopen(fds[i][1], "w");
			form(e, "/open311/v2/servicerequestupdates.json",
			    bodies[i], &r);
			j = harness_json(&r);
			fprintf(f, "%ld %s\n", r.status, r.status / 100 == 2 ?
			    idl_jstr(json_array_get(j, 0), "update_id") : "-");
			fclose(f);
			_exit(0);
		}
		ck_assert_int_gt(pids[i], 0);
		close(fds[i][1]);
	}
	for (i = 0; i < RACERS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		f = fdopen(fds[i][0], "r");
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		st[i] = strtol(line, NULL, 10);
		ids[i] = strdup(strchr(line, ' ') + 1);
	}
}

/*
 * Partner updates race: the same update_id from many connections moves
 * the report once and every answer names that one update; different
 * updates at once leave a history with no lost update, the report in
 * the state of the last one committed.
 */
START_TEST(test_update_race)
{
	struct idenv	 e;
	char		*key, *k, *a, *bodies[RACERS], *ids[RACERS], *last;
	long		 st[RACERS], created, before;
	int		 i, round;

	idl_start_new(&e, NULL);
	key = partner(&e, "Racing App", "open311");
	k = idl_urlencode(key);
	a = NULL;

	/*
	 * One update_id, RACERS times at once; three rounds, each on a
	 * report of its own, for a race is not lost every time.
	 */
	for (round = 0; round < 3; round++) {
		free(a);
		a = file(&e, key, "");
		for (i = 0; i < RACERS; i++)
			bodies[i] = harness_printf("api_key=%s&update_id="
			    "same-%d&service_request_id=%s&status=open&"
			    "guichet_status=acknowledged&description=Vu", k,
			    round, a);
		race(&e, bodies, st, ids);
		created = 0;
		for (i = 0; i < RACERS; i++) {
			ck_assert_msg(st[i] == 201 || st[i] == 200, "round "
			    "%d, racer %d: %ld", round, i, st[i]);
			created += st[i] == 201;
			ck_assert_str_eq(ids[i], ids[0]);
		}
		ck_assert_int_eq(created, 1);
		ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
		    "open311.updates WHERE update_id = 'same-%d' AND "
		    "history_id = '%s'", round, ids[0]), 1);
		ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
		    "incidents.history WHERE report_id = '%s' AND to_status = "
		    "'acknowledged' AND id::text = '%s'", a, ids[0]), 1);
		ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
		    "incidents.history WHERE report_id = '%s'", a), 2);
		for (i = 0; i < RACERS; i++) {
			free(bodies[i]);
			free(ids[i]);
		}
	}

	/* Different updates at once: half to in_progress, half closing. */
	before = idl_sql_count(&e, "SELECT count(*) FROM incidents.history "
	    "WHERE report_id = '%s'", a);
	for (i = 0; i < RACERS; i++)
		bodies[i] = harness_printf("api_key=%s&update_id=diff-%d&"
		    "service_request_id=%s&status=%s&description=R%d", k, i, a,
		    i % 2 == 0 ? "open" : "closed", i);
	race(&e, bodies, st, ids);
	created = 0;
	for (i = 0; i < RACERS; i++) {
		ck_assert_msg(st[i] == 201 || st[i] == 400, "racer %d: %ld",
		    i, st[i]);
		if (st[i] != 201)
			continue;
		created++;
		/* Each update answered is recorded, with its move. */
		ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
		    "open311.updates u JOIN incidents.history h ON h.id::text = "
		    "u.history_id WHERE u.update_id = 'diff-%d' AND "
		    "u.history_id = '%s' AND h.note = 'R%d'", i, ids[i], i), 1);
	}
	ck_assert_int_ge(created, 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.history WHERE report_id = '%s'", a), before + created);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.updates WHERE update_id LIKE 'diff-%%'"), created);
	/* The report is in the state of the last move, its note with it. */
	last = idl_sql(&e, "SELECT to_status || ' ' || note FROM "
	    "incidents.history WHERE report_id = '%s' ORDER BY id DESC LIMIT 1",
	    a);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND status || ' ' || "
	    "status_note = '%s'", a, last), 1);
	/* Each move started where the one before ended. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM (SELECT "
	    "from_status, lag(to_status) OVER (ORDER BY id) AS prev FROM "
	    "incidents.history WHERE report_id = '%s') h WHERE prev IS NOT "
	    "NULL AND from_status IS DISTINCT FROM prev", a), 0);
	free(last);
	for (i = 0; i < RACERS; i++) {
		free(bodies[i]);
		free(ids[i]);
	}
	free(a);
	free(k);
	free(key);
	idl_stop(&e);
}
END_TEST

START_TEST(test_privacy)
{
	struct idenv	 e;
	char		*res, *key, *mark, *id, *more;
	json_t		*j, *sec;
	long		 st;

	res = idl_start_resident(&e, NULL);
	key = partner(&e, "Street App", "open311");
	mark = idl_marker(20);
	/* The demo resident's address, written otherwise. */
	more = harness_printf("&email=Resident%%40Demo.Guichet.Test&"
	    "first_name=F%s&last_name=L%s&phone=P%s", mark, mark, mark);
	id = file(&e, key, more);
	free(more);
	ck_assert_int_eq(idl_dump_count(&e, mark), 3);
	/* Not the report's anonymous follow-up: the person's, here. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND contact_email IS NULL", id),
	    1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.requests WHERE report_id = '%s' AND person_id = '%s'", id,
	    idl_demo.resident_id), 1);

	j = idl_reqj(&e, "GET", "/api/v1/me/export", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	sec = json_array_get(json_object_get(json_object_get(json_object_get(j,
	    "data"), "open311"), "requests"), 0);
	ck_assert_msg(sec != NULL, "no open311 section");
	idl_assert_str(sec, "service_request_id", id);
	ck_assert(strstr(idl_jstr(sec, "first_name"), mark) != NULL);
	ck_assert(strstr(idl_jstr(sec, "phone"), mark) != NULL);
	json_decref(j);

	idl_erase_me(&e, res, IDL_RESIDENT_PASSWORD);
	ck_assert_int_eq(idl_dump_count(&e, mark), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.requests WHERE report_id = '%s' AND email IS NULL AND "
	    "anonymised_at IS NOT NULL", id), 1);
	free(id);
	free(mark);
	free(key);
	free(res);
	idl_stop(&e);
}
END_TEST

/* A partner past its rate_limit: 429 with Retry-After, Open311's way. */
START_TEST(test_rate_limit)
{
	struct idenv	 e;
	struct http_resp r;
	char		 id[40], secret[80], *body;
	int		 i;

	idl_start_new(&e, NULL);
	idl_client_add(&e, "Busy App", "open311", "2", id, secret);
	body = harness_printf("api_key=%s%%3A%s&service_code=litter&lat=%f&"
	    "long=%f", id, secret, LAT, LON);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(form(&e, "/open311/v2/requests.json", body,
		    &r), 201);
		http_resp_free(&r);
	}
	ck_assert_int_eq(form(&e, "/open311/v2/requests.xml", body, &r), 429);
	assert_error(&r, 429, 0);
	ck_assert(http_resp_header(&r, "Retry-After") != NULL);
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.requests WHERE client_id = '%s'", id), 2);
	free(body);
	idl_stop(&e);
}
END_TEST

/* The request 'id' of the list 'path' (caller frees), and its body. */
static json_t *
listed(const struct idenv *e, const char *path, const char *id, char **body)
{
	struct http_resp r;
	json_t		*j, *q, *found = NULL;
	size_t		 i;

	get(e, path, 200, &r);
	j = harness_json(&r);
	ck_assert_ptr_nonnull(j);
	json_array_foreach(j, i, q)
		if (strcmp(idl_jstr(q, "service_request_id"), id) == 0)
			found = json_incref(q);
	ck_assert_msg(found != NULL, "%s not in %s", id, path);
	if (body != NULL)
		*body = strdup(r.body);
	json_decref(j);
	http_resp_free(&r);
	return (found);
}

/* 'sql' run (the id as $1), request 'id' of the list shows 'want'. */
static void
changed(const struct idenv *e, const char *sql, const char *id,
    const char *member, const char *want)
{
	json_t	*q;
	char	*s, *at;

	at = strstr(sql, "$1");
	s = harness_printf("%.*s'%s'%s", (int)(at - sql), sql, id, at + 2);
	ck_assert_int_eq(idl_sql_exec(e, "%s", s), 0);
	free(s);
	q = listed(e, "/open311/v2/requests.json", id, NULL);
	idl_assert_str(q, member, want);
	json_decref(q);
}

/*
 * The list keeps each request as written (http/fragment.h), keyed by the
 * versions of the report's row, its category's, the partner's and the
 * department's: a warm list writes none and says the same, byte for
 * byte; a change to the report or to the partner's row is in the next
 * list.
 */
START_TEST(test_requests_kept)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*q;
	char		*key, *k, *a, *body1, *body2;
	long		 hits, misses;

	idl_start_new(&e, NULL);
	key = partner(&e, "Street App", "open311");
	k = idl_urlencode(key);
	a = file_form(&e, k, "lat=44.9316&long=6.7219");
	q = listed(&e, "/open311/v2/requests.json", a, &body1);
	json_decref(q);
	harness_fragments(&e.s, &hits, &misses);
	q = listed(&e, "/open311/v2/requests.json", a, &body2);
	json_decref(q);
	ck_assert_str_eq(body1, body2);
	/* Every request of the warm list from the fragments, none written. */
	harness_assert_all_kept(&e.s, hits, misses);
	free(body1);
	free(body2);
	get(&e, "/open311/v2/requests.xml", 200, &r);
	ck_assert_ptr_nonnull(strstr(r.body, a));
	http_resp_free(&r);
	/* The report's row: its public note; the partner's: its media_url. */
	changed(&e, "UPDATE incidents.reports SET status_note = 'Vu par la "
	    "voirie.' WHERE id = $1", a, "status_notes", "Vu par la voirie.");
	get(&e, "/open311/v2/requests.xml", 200, &r);
	ck_assert_msg(strstr(r.body, "<status_notes>Vu par la voirie."
	    "</status_notes>") != NULL, "%s", r.body);
	http_resp_free(&r);
	changed(&e, "UPDATE open311.requests SET media_url = 'https://photos."
	    "example.org/trou.jpg' WHERE report_id = $1", a, "media_url",
	    "https://photos.example.org/trou.jpg");
	free(a);
	free(k);
	free(key);
	idl_stop(&e);
}
END_TEST

/* Whether the JSON list 'path' holds the request or update of 'id'. */
static int
in_list(const struct idenv *e, const char *path, const char *id)
{
	json_t		*j, *q;
	size_t		 i;
	int		 found = 0;

	j = get_json(e, path, 200);
	json_array_foreach(j, i, q)
		if (strcmp(idl_jstr(q, "service_request_id"), id) == 0)
			found = 1;
	json_decref(j);
	return (found);
}

/* now() moved by the SQL interval 'by', as Open311 writes a date. */
static char *
sql_date(const struct idenv *e, const char *by)
{
	char	*d;

	d = idl_sql(e, "SELECT to_char((now() + interval '%s') AT TIME ZONE "
	    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", by);
	ck_assert_ptr_nonnull(d);
	return (d);
}

/*
 * GET requests by default: the last 90 days, 1000 requests at most; a
 * start_date reaches back further; service_request_id overrides the
 * window.  servicerequestupdates' start_date and end_date filter.
 */
START_TEST(test_default_window)
{
	struct idenv	 e;
	json_t		*j;
	char		*key, *k, *old, *recent, *path, *d, *d2, *body;

	idl_start_new(&e, NULL);
	key = partner(&e, "Street App", "open311");
	k = idl_urlencode(key);
	old = file_form(&e, k, "lat=44.9316&long=6.7219");
	recent = file_form(&e, k, "lat=44.9316&long=6.7219");
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE incidents.reports SET "
	    "created_at = now() - interval '100 days', updated_at = now() - "
	    "interval '100 days', expected_at = now() - interval '86 days' "
	    "WHERE id = '%s'", old), 0);
	ck_assert_int_eq(in_list(&e, "/open311/v2/requests.json", recent), 1);
	ck_assert_int_eq(in_list(&e, "/open311/v2/requests.json", old), 0);
	d = sql_date(&e, "-120 days");
	path = harness_printf("/open311/v2/requests.json?start_date=%s", d);
	ck_assert_int_eq(in_list(&e, path, old), 1);
	ck_assert_int_eq(in_list(&e, path, recent), 0);
	free(path);
	free(d);
	path = harness_printf("/open311/v2/requests.json?service_request_id=%s",
	    old);
	ck_assert_int_eq(in_list(&e, path, old), 1);
	free(path);

	/* 1001 more in the window: the newest 1000, then the rest. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO incidents.reports "
	    "(category, department, description, position, status, "
	    "created_at, updated_at, expected_at) SELECT 'litter', "
	    "'services_techniques', 'Sac ' || g, ST_SetSRID(ST_MakePoint("
	    "6.72, 44.93), 4326)::geography, 'open', now() - g * interval "
	    "'1 minute', now() - g * interval '1 minute', now() + interval "
	    "'3 days' FROM generate_series(1, 1001) g"), 0);
	j = get_json(&e, "/open311/v2/requests.json", 200);
	ck_assert_int_eq(json_array_size(j), 1000);
	json_decref(j);
	/* recent (filed first, a few seconds ago) and the oldest one. */
	j = get_json(&e, "/open311/v2/requests.json?page=2", 200);
	ck_assert_int_eq(json_array_size(j), 2);
	json_decref(j);

	/* An update now: outside a window that ends before or starts after. */
	body = harness_printf("api_key=%s&update_id=w-1&service_request_id="
	    "%s&status=open&guichet_status=acknowledged&description=Vu", k,
	    recent);
	update_ok(&e, "json", body);
	ck_assert_int_eq(in_list(&e, "/open311/v2/servicerequestupdates.json",
	    recent), 1);
	d = sql_date(&e, "-2 days");
	d2 = sql_date(&e, "-1 day");
	path = harness_printf("/open311/v2/servicerequestupdates.json?"
	    "start_date=%s&end_date=%s", d, d2);
	ck_assert_int_eq(in_list(&e, path, recent), 0);
	free(path);
	free(d2);
	d2 = sql_date(&e, "1 hour");
	path = harness_printf("/open311/v2/servicerequestupdates.json?"
	    "start_date=%s", d2);
	ck_assert_int_eq(in_list(&e, path, recent), 0);
	free(path);
	path = harness_printf("/open311/v2/servicerequestupdates.json?"
	    "start_date=%s&end_date=%s", d, d2);
	ck_assert_int_eq(in_list(&e, path, recent), 1);
	free(path);
	free(d);
	free(d2);
	free(old);
	free(recent);
	free(k);
	free(key);
	idl_stop(&e);
}
END_TEST

/*
 * A partner's update refused: a key without the open311 scope (403), an
 * update_id it already used for another request (400).
 */
START_TEST(test_update_refusals)
{
	struct idenv	 e;
	struct http_resp r;
	char		*key, *k, *other, *ok, *a, *b, *body;

	idl_start_new(&e, NULL);
	key = partner(&e, "Contractor", "open311");
	k = idl_urlencode(key);
	other = partner(&e, "Lift Co", "lifts:write");
	ok = idl_urlencode(other);
	a = file_form(&e, k, "lat=44.9316&long=6.7219");
	b = file_form(&e, k, "lat=44.9317&long=6.7220");
	body = harness_printf("api_key=%s&update_id=s-1&service_request_id="
	    "%s&status=closed", ok, a);
	form(&e, "/open311/v2/servicerequestupdates.json", body, &r);
	assert_error(&r, 403, 1);
	http_resp_free(&r);
	free(body);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.updates"), 0);
	body = harness_printf("api_key=%s&update_id=s-1&service_request_id="
	    "%s&status=open&guichet_status=acknowledged", k, a);
	update_ok(&e, "xml", body);
	body = harness_printf("api_key=%s&update_id=s-1&service_request_id="
	    "%s&status=open&guichet_status=acknowledged", k, b);
	form(&e, "/open311/v2/servicerequestupdates.xml", body, &r);
	assert_error(&r, 400, 0);
	ck_assert_ptr_nonnull(strstr(r.body, "update_id"));
	http_resp_free(&r);
	free(body);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND status = 'open'", b), 1);
	free(a);
	free(b);
	free(ok);
	free(other);
	free(k);
	free(key);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_default_window,
	&test_update_refusals,
	&test_rate_limit,
	&test_discovery_services,
	&test_post_and_read,
	&test_filters_tokens,
	&test_request_fields,
	&test_requests_kept,
	&test_updates,
	&test_update_mails,
	&test_update_race,
	&test_privacy,
	NULL
};

const struct test_group test_groups[] = {
	{ "open311", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
