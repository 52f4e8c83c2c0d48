/*
 * t4501-incidents: signalements (issue 11): the categories as data; a
 * report's position inside the commune's area (outside: 422 naming /lat
 * and /lon); open reports of the same category within 50 m returned as
 * possible duplicates (49 m yes, 51 m no); "me too"; anonymous reports
 * only where the category allows them, throttled, their follow-up address
 * mailed nothing but a confirmation link until its holder confirms it;
 * the lifecycle by the department's agents with its mail (through the
 * real SMTP catcher) to the reporter and the supporters; a duplicate
 * closed onto its original with its supporters; public views (Feature,
 * FeatureCollection) free of personal data; the department's board and
 * isolation (IDOR) on every staff route; the access log of staff reads;
 * export, erasure and retention.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"
#include "mailcatch.h"

/* Montgenèvre's square, inside the demo area (6.68-6.77, 44.90-44.96). */
#define LAT		44.9316
#define LON		6.7219
/* Metres per degree of latitude there, on the WGS84 spheroid. */
#define M_PER_DEG_LAT	111141.0
#define WAIT_MS		20000

static void
prepare(void)
{
	const char	*c = getenv("GUICHET_TEST_SMTP_CATCHER");

	if (c == NULL || c[0] == '\0') {
		printf("GUICHET_TEST_SMTP_CATCHER is not set: run `tools/dev "
		    "test`\n");
		exit(77);
	}
	cl_prepare();
}

/* POST /api/v1/incidents as 'token' (NULL: anonymous): the body. */
static json_t *
file(const struct idenv *e, const char *token, const char *category,
    const char *description, double lat, double lon, long *st)
{
	return (idl_sendj(e, "POST", "/api/v1/incidents", token, json_pack(
	    "{s:s, s:s, s:f, s:f}", "category", category, "description",
	    description, "lat", lat, "lon", lon), st));
}

/* The same, asserting 201: the new report's id (caller frees). */
static char *
file_ok(const struct idenv *e, const char *token, const char *category,
    double lat, double lon, json_t **out)
{
	json_t	*j;
	char	*id, *d;
	long	 st;

	j = file(e, token, category, "Un trou profond devant la boulangerie.",
	    lat, lon, &st);
	d = harness_dump(j);
	ck_assert_msg(st == 201, "POST /api/v1/incidents: %ld %s", st, d);
	free(d);
	id = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (id);
}

static long
move(const struct idenv *e, const char *token, const char *id,
    const char *body)
{
	char	*path = harness_printf("/api/v1/incidents/%s/transitions", id);
	long	 st;

	st = idl_status(e, "POST", path, token, body);
	free(path);
	return (st);
}

START_TEST(test_categories)
{
	struct idenv	 e;
	json_t		*j, *c;
	size_t		 i;
	long		 st;
	int		 seen = 0;

	idl_start_new(&e, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/incidents/categories", NULL, NULL,
	    &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 11);
	json_array_foreach(json_object_get(j, "items"), i, c) {
		if (strcmp(idl_jstr(c, "code"), "noise") == 0) {
			idl_assert_strs(c, "department", "police_municipale",
			    "name", "Bruit", NULL);
			ck_assert(!json_is_true(json_object_get(c,
			    "anonymous_allowed")));
			idl_assert_str(json_array_get(json_object_get(c,
			    "attributes"), 0), "datatype", "multivaluelist");
			seen++;
		}
		if (strcmp(idl_jstr(c, "code"), "beach_seafront") == 0 ||
		    strcmp(idl_jstr(c, "code"), "lift_ski_area") == 0)
			seen++;
	}
	ck_assert_int_eq(seen, 3);
	json_decref(j);
	idl_stop(&e);
}
END_TEST

START_TEST(test_area_and_fields)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *f, *err;
	char		*res, *id;
	long		 st;

	res = idl_start_resident(&e, NULL);
	id = file_ok(&e, res, "pothole", LAT, LON, &j);
	f = json_object_get(j, "report");
	idl_assert_strs(f, "type", "Feature", NULL);
	idl_assert_strs(json_object_get(f, "properties"), "status", "open",
	    "category", "pothole", "department", "services_techniques", NULL);
	ck_assert(fabs(json_real_value(json_array_get(json_object_get(
	    json_object_get(f, "geometry"), "coordinates"), 0)) - LON) < 1e-6);
	ck_assert(fabs(json_real_value(json_array_get(json_object_get(
	    json_object_get(f, "geometry"), "coordinates"), 1)) - LAT) < 1e-6);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id = '%s' AND "
	    "expected_at = created_at + interval '14 days'", id,
	    idl_demo.resident_id), 1);

	/* Outside the commune (Briançon, 10 km away): 422 naming both. */
	j = file(&e, res, "pothole", "Ailleurs.", 44.8986, 6.6436, &st);
	ck_assert_int_eq(st, 422);
	ck_assert_ptr_nonnull(err = idl_error_for(j, "/lat"));
	idl_assert_str(err, "code", "outside_area");
	ck_assert_ptr_nonnull(err = idl_error_for(j, "/lon"));
	json_decref(j);
	/* Not WGS84 at all, no position, an unknown category. */
	j = file(&e, res, "pothole", "Nulle part.", 91.0, LON, &st);
	ck_assert_int_eq(st, 422);
	ck_assert_ptr_nonnull(idl_error_for(j, "/lat"));
	json_decref(j);
	j = idl_sendj(&e, "POST", "/api/v1/incidents", res, json_pack(
	    "{s:s, s:s}", "category", "pothole", "description", "x"), &st);
	ck_assert_int_eq(st, 422);
	ck_assert_ptr_nonnull(idl_error_for(j, "/lat"));
	json_decref(j);
	j = file(&e, res, "no_such", "x", LAT, LON, &st);
	ck_assert_int_eq(st, 422);
	ck_assert_ptr_nonnull(idl_error_for(j, "/category"));
	json_decref(j);
	/* Attributes checked against the category (noise: "when" needed). */
	j = file(&e, res, "noise", "La nuit.", LAT, LON, &st);
	ck_assert_int_eq(st, 422);
	ck_assert_ptr_nonnull(idl_error_for(j, "/attributes/when"));
	json_decref(j);
	j = idl_sendj(&e, "POST", "/api/v1/incidents", res, json_pack(
	    "{s:s, s:s, s:f, s:f, s:{s:[s]}}", "category", "noise",
	    "description", "La nuit.", "lat", LAT, "lon", LON, "attributes",
	    "when", "night"), &st);
	ck_assert_int_eq(st, 201);
	json_decref(j);
	/* An address instead of a position: on no map, but filed. */
	j = idl_sendj(&e, "POST", "/api/v1/incidents", res, json_pack(
	    "{s:s, s:s, s:s}", "category", "signage", "description",
	    "Panneau tombé.", "address", "Route d'Italie"), &st);
	ck_assert_int_eq(st, 201);
	ck_assert(json_is_null(json_object_get(json_object_get(j, "report"),
	    "geometry")));
	json_decref(j);
	/* 4000 characters of description at most. */
	{
		char	*big = idl_marker(4001);

		j = file(&e, res, "pothole", big, LAT, LON, &st);
		ck_assert_int_eq(st, 422);
		ck_assert_ptr_nonnull(idl_error_for(j, "/description"));
		json_decref(j);
		free(big);
	}
	/* The Feature as the public reads it. */
	{
		char *path = harness_printf("/api/v1/incidents/%s", id);

		ck_assert_int_eq(idl_req(&e, "GET", path, NULL, NULL, &r), 200);
		ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
		    "application/geo+json");
		http_resp_free(&r);
		free(path);
	}
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

/* The ids among the possible duplicates of a filing's answer. */
static int
duplicate_listed(const json_t *j, const char *id, double *distance)
{
	const json_t	*d;
	size_t		 i;

	json_array_foreach(json_object_get(j, "possible_duplicates"), i, d)
		if (strcmp(idl_jstr(d, "id"), id) == 0) {
			*distance = json_number_value(json_object_get(d,
			    "distance_m"));
			return (1);
		}
	return (0);
}

START_TEST(test_duplicates_49_51)
{
	struct idenv	 e;
	json_t		*j;
	char		*res, *a, *b, *c, *d;
	double		 dist = 0;

	res = idl_start_resident(&e, NULL);
	a = file_ok(&e, res, "pothole", LAT, LON, &j);
	ck_assert_int_eq(json_array_size(json_object_get(j,
	    "possible_duplicates")), 0);
	json_decref(j);
	/* 49 m north: A is a possible duplicate, at 49 m. */
	b = file_ok(&e, res, "pothole", LAT + 49.0 / M_PER_DEG_LAT, LON, &j);
	ck_assert_msg(duplicate_listed(j, a, &dist), "49 m: A not listed");
	ck_assert_msg(fabs(dist - 49.0) < 0.5, "49 m measured %f", dist);
	json_decref(j);
	/* 51 m south: 51 m from A, 100 m from B: none. */
	c = file_ok(&e, res, "pothole", LAT - 51.0 / M_PER_DEG_LAT, LON, &j);
	ck_assert_int_eq(json_array_size(json_object_get(j,
	    "possible_duplicates")), 0);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT round(ST_Distance(a."
	    "position, c.position))::int FROM incidents.reports a, "
	    "incidents.reports c WHERE a.id = '%s' AND c.id = '%s'", a, c),
	    51);
	/* Another category at the same place: not a duplicate. */
	d = file_ok(&e, res, "litter", LAT, LON, &j);
	ck_assert_int_eq(json_array_size(json_object_get(j,
	    "possible_duplicates")), 0);
	json_decref(j);
	/* The one GiST index serves the duplicate search and the map. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM pg_indexes "
	    "WHERE schemaname = 'incidents' AND indexdef LIKE "
	    "'%%USING gist%%'"), 1);
	free(a);
	free(b);
	free(c);
	free(d);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_anonymous)
{
	struct idenv	 e;
	json_t		*j;
	char		*id, *token, *body;
	long		 st;
	int		 i;

	idl_start_new(&e, NULL);
	/* abandoned_vehicle wants an account. */
	j = file(&e, NULL, "abandoned_vehicle", "Depuis un mois.", LAT, LON,
	    &st);
	ck_assert_int_eq(st, 401);
	idl_assert_str(j, "code", "incident_account_required");
	json_decref(j);
	/* pothole does not; the follow-up address gets the link only. */
	j = idl_sendj(&e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f, s:s}", "category", "pothole", "description",
	    "Anonyme.", "lat", LAT, "lon", LON, "email", "passant@example.fr"),
	    &st);
	ck_assert_int_eq(st, 201);
	ck_assert_ptr_null(json_object_get(j, "contact_token"));
	id = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id IS NULL AND "
	    "contact_email = 'passant@example.fr' AND contact_verified_at IS "
	    "NULL", id), 1);
	ck_assert_int_eq(cl_mails(&e, "passant@example.fr",
	    "incident_contact_confirm"), 1);
	/* A wrong token confirms nothing; the right one, once. */
	ck_assert_int_eq(idl_status(&e, "POST",
	    "/api/v1/incidents/contact-confirmations", NULL,
	    "{\"token\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}"), 404);
	token = idl_outbox_token(&e, "passant@example.fr",
	    "incident_contact_confirm");
	body = harness_printf("{\"token\": \"%s\"}", token);
	ck_assert_int_eq(idl_status(&e, "POST",
	    "/api/v1/incidents/contact-confirmations", NULL, body), 200);
	ck_assert_int_eq(idl_status(&e, "POST",
	    "/api/v1/incidents/contact-confirmations", NULL, body), 404);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND contact_verified_at IS NOT "
	    "NULL", id), 1);
	/* "Me too" needs an account. */
	free(body);
	body = harness_printf("/api/v1/incidents/%s/supporters", id);
	ck_assert_int_eq(idl_status(&e, "POST", body, NULL, NULL), 401);
	/*
	 * Throttled per client address: 10 filings an hour, the refused
	 * one and the one above included.
	 */
	for (i = 0; i < 8; i++) {
		j = file(&e, NULL, "litter", "Poubelle pleine.", LAT, LON, &st);
		ck_assert_int_eq(st, 201);
		json_decref(j);
	}
	j = file(&e, NULL, "litter", "Poubelle pleine.", LAT, LON, &st);
	ck_assert_int_eq(st, 429);
	json_decref(j);
	free(body);
	free(token);
	free(id);
	idl_stop(&e);
}
END_TEST

/* The messages caught for 'to' whose subject holds 'what'. */
static int
caught(const struct catcher *c, const char *to, const char *what,
    const char *body_has)
{
	json_t	*m, *it;
	size_t	 i;
	int	 n = 0;

	m = mailcatch_to(c, to);
	json_array_foreach(m, i, it)
		if (strstr(idl_jstr(it, "subject"), what) != NULL &&
		    (body_has == NULL || strstr(idl_jstr(it, "body"),
		    body_has) != NULL))
			n++;
	json_decref(m);
	return (n);
}

START_TEST(test_lifecycle_and_mail)
{
	static const char *const extra[] = { "--smtp-starttls", "no",
	    "--mail-from", "guichet@mairie.test", "--mail-retry-base", "1",
	    "--smtp-url", NULL, NULL };
	const char	*args[9];
	struct catcher	 c;
	struct idenv	 e;
	json_t		*j;
	char		*res, *other, *tech, *mairie, *id, *path, url[64];
	long		 st;
	size_t		 i;

	memset(&c, 0, sizeof(c));
	mailcatch_start(&c, 0, NULL);
	for (i = 0; extra[i] != NULL; i++)
		args[i] = extra[i];
	snprintf(url, sizeof(url), "%s", mailcatch_url(&c));
	args[i++] = url;
	args[i] = NULL;
	memset(&e, 0, sizeof(e));
	e.extra = args;
	e.empty_outbox = 1;
	idl_start(&e);
	res = cl_resident(&e);
	other = cl_other(&e);
	tech = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	id = file_ok(&e, res, "street_lighting", LAT, LON, NULL);

	/* "Me too": counted once, subscribed. */
	path = harness_printf("/api/v1/incidents/%s/supporters", id);
	j = idl_reqj(&e, "POST", path, other, NULL, &st);
	ck_assert_int_eq(st, 201);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "properties"), "supporters")), 1);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "POST", path, other, NULL), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT supporters FROM "
	    "incidents.reports WHERE id = '%s'", id), 1);
	free(path);

	/* Only the agents of its department move it. */
	ck_assert_int_eq(move(&e, res, id, "{\"to\": \"acknowledged\"}"), 403);
	ck_assert_int_eq(move(&e, mairie, id, "{\"to\": \"acknowledged\"}"),
	    404);
	ck_assert_int_eq(move(&e, tech, id, "{\"to\": \"acknowledged\", "
	    "\"note\": \"Equipe prevenue.\"}"), 200);
	ck_assert_int_eq(move(&e, tech, id, "{\"to\": \"acknowledged\"}"),
	    409);
	ck_assert_int_eq(move(&e, tech, id, "{\"to\": \"closed\"}"), 422);
	ck_assert_int_eq(move(&e, tech, id, "{\"to\": \"in_progress\"}"), 200);
	ck_assert_int_eq(move(&e, tech, id, "{\"to\": \"resolved\", "
	    "\"note\": \"Ampoule changee.\"}"), 200);
	ck_assert_int_eq(move(&e, tech, id, "{\"to\": \"in_progress\"}"), 409);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.history WHERE report_id = '%s'", id), 4);

	/* Three moves, two people following: six messages. */
	mailcatch_wait(&c, 6, WAIT_MS);
	ck_assert_int_eq(caught(&c, IDL_RESIDENT_EMAIL, "pris en compte",
	    "Equipe prevenue."), 1);
	ck_assert_int_eq(caught(&c, CL_OTHER_EMAIL, "pris en compte",
	    "Equipe prevenue."), 1);
	ck_assert_int_eq(caught(&c, IDL_RESIDENT_EMAIL, "en cours", NULL), 1);
	ck_assert_int_eq(caught(&c, IDL_RESIDENT_EMAIL, "résolu",
	    "Ampoule changee."), 1);
	ck_assert_int_eq(caught(&c, CL_OTHER_EMAIL, "résolu", NULL), 1);
	/* The subject names the category; the body the expected date. */
	ck_assert_int_eq(caught(&c, CL_OTHER_EMAIL, "Éclairage public",
	    NULL), 3);

	/* A finished report is supported no more. */
	path = harness_printf("/api/v1/incidents/%s/supporters", id);
	ck_assert_int_eq(idl_status(&e, "POST", path, tech, NULL), 409);
	free(path);
	free(id);
	free(res);
	free(other);
	free(tech);
	free(mairie);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_duplicate_moves_supporters)
{
	struct idenv	 e;
	json_t		*j;
	char		*res, *tourist, *other, *tech, *a, *b, *path, *body;
	long		 st;

	res = idl_start_resident(&e, NULL);
	tourist = cl_tourist(&e);
	other = cl_other(&e);
	tech = cl_agent(&e, CL_TECH);
	a = file_ok(&e, res, "pothole", LAT, LON, NULL);
	b = file_ok(&e, tourist, "pothole", LAT + 10.0 / M_PER_DEG_LAT, LON,
	    NULL);
	path = harness_printf("/api/v1/incidents/%s/supporters", b);
	ck_assert_int_eq(idl_status(&e, "POST", path, other, NULL), 201);
	free(path);
	/* A duplicate names its original, which is not itself. */
	body = harness_printf("{\"to\": \"closed\", \"reason\": "
	    "\"duplicate\", \"duplicate_of\": \"%s\"}", b);
	ck_assert_int_eq(move(&e, tech, b, body), 422);
	free(body);
	ck_assert_int_eq(move(&e, tech, b, "{\"to\": \"closed\", \"reason\": "
	    "\"duplicate\"}"), 422);
	body = harness_printf("{\"to\": \"closed\", \"reason\": "
	    "\"duplicate\", \"duplicate_of\": \"%s\", \"note\": \"Deja "
	    "signale.\"}", a);
	ck_assert_int_eq(move(&e, tech, b, body), 200);
	free(body);
	path = harness_printf("/api/v1/incidents/%s", b);
	j = idl_reqj(&e, "GET", path, NULL, NULL, &st);
	idl_assert_strs(json_object_get(j, "properties"), "status", "closed",
	    "close_reason", "duplicate", "duplicate_of", a, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "properties"), "supporters")), 0);
	json_decref(j);
	free(path);
	/* B's supporter and B's reporter now support A. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT supporters FROM "
	    "incidents.reports WHERE id = '%s'", a), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.supporters WHERE report_id = '%s' AND account_id IN "
	    "('%s', '%s')", a, cl_people.tourist, cl_people.other), 2);
	free(a);
	free(b);
	free(res);
	free(tourist);
	free(other);
	free(tech);
	idl_stop(&e);
}
END_TEST

START_TEST(test_public_views_and_staff)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *staff;
	char		*res, *tech, *mairie, *lift, *id, *anon, *path, *q;
	long		 st;

	res = idl_start_resident(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	lift = cl_agent(&e, CL_LIFT_CHIEF);
	id = file_ok(&e, res, "pothole", LAT, LON, NULL);
	j = idl_sendj(&e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f, s:s}", "category", "pothole", "description",
	    "Anonyme.", "lat", LAT + 0.001, "lon", LON, "email",
	    "cache@example.fr"), &st);
	ck_assert_int_eq(st, 201);
	anon = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);

	/* The map and the Feature: no reporter, no address, no contact. */
	q = harness_printf("/api/v1/incidents?bbox=%f,%f,%f,%f", LON - 0.01,
	    LAT - 0.01, LON + 0.01, LAT + 0.01);
	ck_assert_int_eq(idl_req(&e, "GET", q, NULL, NULL, &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
	    "application/geo+json");
	ck_assert_ptr_null(strstr(r.body, idl_demo.resident_id));
	ck_assert_ptr_null(strstr(r.body, "cache@example.fr"));
	ck_assert_ptr_null(strstr(r.body, "resident@"));
	ck_assert_ptr_nonnull(strstr(r.body, id));
	ck_assert_ptr_nonnull(strstr(r.body, anon));
	j = harness_json(&r);
	idl_assert_str(j, "type", "FeatureCollection");
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 2);
	json_decref(j);
	http_resp_free(&r);
	free(q);
	/* Outside the box, or another state: nothing. */
	q = harness_printf("/api/v1/incidents?bbox=6.70,44.94,6.71,44.95");
	j = idl_reqj(&e, "GET", q, NULL, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 0);
	json_decref(j);
	free(q);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents?bbox=1,2,3",
	    NULL, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents", NULL,
	    NULL), 400);
	path = harness_printf("/api/v1/incidents/%s", anon);
	ck_assert_int_eq(idl_req(&e, "GET", path, res, NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body, "cache@example.fr"));
	http_resp_free(&r);
	free(path);

	/* The department reads the reporter, and the read is logged. */
	path = harness_printf("/api/v1/incidents/%s/details", id);
	j = idl_reqj(&e, "GET", path, tech, NULL, &st);
	ck_assert_int_eq(st, 200);
	staff = json_object_get(j, "staff");
	idl_assert_str(staff, "reporter_id", idl_demo.resident_id);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE account_id = '%s' AND reader_account = "
	    "'%s' AND dataset = 'incidents.report' AND record = '%s' AND "
	    "purpose IS NOT NULL", idl_demo.resident_id,
	    cl_people.agent[CL_TECH], id), 1);
	/* Other departments, the reporter, nobody: not theirs. */
	ck_assert_int_eq(idl_status(&e, "GET", path, mairie, NULL), 404);
	ck_assert_int_eq(idl_status(&e, "GET", path, lift, NULL), 404);
	ck_assert_int_eq(idl_status(&e, "GET", path, res, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 401);
	free(path);
	path = harness_printf("/api/v1/incidents/%s/details", anon);
	j = idl_reqj(&e, "GET", path, tech, NULL, &st);
	idl_assert_str(json_object_get(j, "staff"), "contact_email",
	    "cache@example.fr");
	json_decref(j);
	free(path);
	/* Assignment, flag and notes: the department's only. */
	path = harness_printf("/api/v1/incidents/%s", id);
	q = harness_printf("{\"assignee\": \"%s\"}",
	    cl_people.agent[CL_TECH_CHIEF]);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, mairie, q), 404);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, tech, q), 200);
	free(q);
	q = harness_printf("{\"assignee\": \"%s\"}",
	    cl_people.agent[CL_MAIRIE]);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, tech, q), 422);
	free(q);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND assignee_id = '%s'", id,
	    cl_people.agent[CL_TECH_CHIEF]), 1);
	free(path);
	path = harness_printf("/api/v1/incidents/%s/notes", id);
	ck_assert_int_eq(idl_status(&e, "POST", path, mairie,
	    "{\"body\": \"Pas chez nous.\"}"), 404);
	ck_assert_int_eq(idl_status(&e, "POST", path, res,
	    "{\"body\": \"Moi.\"}"), 403);
	ck_assert_int_eq(idl_status(&e, "POST", path, tech,
	    "{\"body\": \"Voir avec la voirie.\"}"), 200);
	free(path);
	path = harness_printf("/api/v1/incidents/%s", id);
	ck_assert_int_eq(idl_req(&e, "GET", path, NULL, NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body, "Voir avec la voirie."));
	ck_assert_ptr_null(strstr(r.body, cl_people.agent[CL_TECH_CHIEF]));
	http_resp_free(&r);
	free(path);
	/* An id that is no report: 404 everywhere. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents/"
	    "00000000-0000-4000-8000-000000000000", NULL, NULL), 404);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents/nope",
	    NULL, NULL), 404);
	ck_assert_int_eq(move(&e, tech, "00000000-0000-4000-8000-000000000000",
	    "{\"to\": \"resolved\"}"), 404);
	free(id);
	free(anon);
	free(res);
	free(tech);
	free(mairie);
	free(lift);
	idl_stop(&e);
}
END_TEST

START_TEST(test_board)
{
	struct idenv	 e;
	json_t		*j, *it;
	char		*res, *tech, *a, *b, *p, *path;
	const char	*cur;
	size_t		 i;
	long		 st;

	res = idl_start_resident(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	a = file_ok(&e, res, "pothole", LAT, LON, NULL);
	b = file_ok(&e, res, "litter", LAT, LON, NULL);
	p = file_ok(&e, res, "abandoned_vehicle", LAT, LON, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/incidents/board?sort=created",
	    tech, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	json_array_foreach(json_object_get(j, "items"), i, it)
		idl_assert_str(json_object_get(it, "properties"),
		    "department", "services_techniques");
	ck_assert_str_eq(idl_jstr(json_array_get(json_object_get(j, "items"),
	    0), "id"), a);
	json_decref(j);
	/* Keyset pages of one. */
	j = idl_reqj(&e, "GET", "/api/v1/incidents/board?sort=created&limit=1",
	    tech, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	ck_assert_str_eq(idl_jstr(json_array_get(json_object_get(j, "items"),
	    0), "id"), a);
	cur = idl_jstr(j, "next_cursor");
	ck_assert_ptr_nonnull(cur);
	path = harness_printf("/api/v1/incidents/board?sort=created&limit=1"
	    "&cursor=%s", cur);
	json_decref(j);
	j = idl_reqj(&e, "GET", path, tech, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(idl_jstr(json_array_get(json_object_get(j, "items"),
	    0), "id"), b);
	ck_assert(json_is_null(json_object_get(j, "next_cursor")));
	json_decref(j);
	free(path);
	/* Filters; another department's board; a resident. */
	j = idl_reqj(&e, "GET", "/api/v1/incidents/board?category=litter",
	    tech, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET",
	    "/api/v1/incidents/board?department=police_municipale", tech,
	    NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents/board",
	    res, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET",
	    "/api/v1/incidents/board?sort=bogus", tech, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET",
	    "/api/v1/incidents/board?cursor=bogus", tech, NULL), 400);
	free(a);
	free(b);
	free(p);
	free(res);
	free(tech);
	idl_stop(&e);
}
END_TEST

START_TEST(test_export_erasure_retention)
{
	struct idenv	 e;
	json_t		*j, *sec;
	char		*res, *other, *tech, *mark, *a, *b, *anon, *path, *body;
	const char	*args[] = { "--clock", NULL, "privacy",
	    "purge", NULL };
	char		*out = NULL, *err = NULL;
	long		 st;
	int		 rc;

	res = idl_start_resident(&e, NULL);
	other = cl_other(&e);
	tech = cl_agent(&e, CL_TECH);
	mark = idl_marker(24);
	body = harness_printf("Le voisin %s gare sa voiture ici.", mark);
	j = file(&e, res, "pothole", body, LAT, LON, &st);
	ck_assert_int_eq(st, 201);
	a = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	free(body);
	b = file_ok(&e, other, "litter", LAT, LON, NULL);
	path = harness_printf("/api/v1/incidents/%s/supporters", b);
	ck_assert_int_eq(idl_status(&e, "POST", path, res, NULL), 201);
	free(path);

	/* The export: the person's report and support. */
	j = idl_reqj(&e, "GET", "/api/v1/me/export", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	sec = json_object_get(json_object_get(j, "data"), "incidents");
	ck_assert_int_eq(json_array_size(json_object_get(sec, "reports")), 1);
	idl_assert_str(json_array_get(json_object_get(sec, "reports"), 0),
	    "id", a);
	idl_assert_str(json_array_get(json_object_get(sec, "supports"), 0),
	    "report_id", b);
	json_decref(j);

	/* The agent flags the neighbour's mention; the person erases. */
	path = harness_printf("/api/v1/incidents/%s", a);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, tech,
	    "{\"personal_data_flagged\": true}"), 200);
	free(path);
	ck_assert_int_gt(idl_dump_count(&e, mark), 0);
	j = idl_sendj(&e, "DELETE", "/api/v1/me", res, json_pack("{s:s}",
	    "password", IDL_RESIDENT_PASSWORD), &st);
	ck_assert_msg(st == 200, "erasure: %ld", st);
	json_decref(j);
	ck_assert_int_eq(idl_dump_count(&e, mark), 0);
	/* The report stays on the map, anonymised; the support is gone. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id IS NULL AND "
	    "description = '[effacé]' AND anonymised_at IS NOT NULL", a), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.supporters WHERE account_id = '%s'",
	    idl_demo.resident_id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT supporters FROM "
	    "incidents.reports WHERE id = '%s'", b), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE reporter_id = '%s'", idl_demo.resident_id),
	    0);

	/* Retention: a finished anonymous report loses its contact. */
	free(mark);
	mark = idl_marker(16);
	body = harness_printf("%s@example.fr", mark);
	for (rc = 0; body[rc] != '\0'; rc++)
		if (body[rc] >= 'A' && body[rc] <= 'Z')
			body[rc] = (char)(body[rc] - 'A' + 'a');
	j = idl_sendj(&e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f, s:s}", "category", "signage", "description",
	    "Panneau.", "lat", LAT, "lon", LON, "email", body), &st);
	ck_assert_int_eq(st, 201);
	anon = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	ck_assert_int_eq(move(&e, tech, anon, "{\"to\": \"resolved\"}"), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE contact_email = '%s'", body), 1);
	/* Six months on: kept; a year and more after its end: cut. */
	args[1] = "2027-06-01T00:00:00Z";
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "purge: %d %s %s", rc, out, err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE contact_email = '%s'", body), 1);
	free(out);
	free(err);
	args[1] = "2028-06-01T00:00:00Z";
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "purge: %d %s %s", rc, out, err);
	ck_assert_ptr_nonnull(strstr(out, "incident_reports_anonymised"));
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND contact_email IS NULL AND "
	    "anonymised_at IS NOT NULL", anon), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE contact_email = '%s'", body), 0);
	/* The open report of 'other' is not finished: kept as it is. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id = '%s'", b,
	    cl_people.other), 1);
	free(out);
	free(err);
	free(body);
	free(mark);
	free(a);
	free(b);
	free(anon);
	free(res);
	free(other);
	free(tech);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_categories,
	&test_area_and_fields,
	&test_duplicates_49_51,
	&test_anonymous,
	&test_lifecycle_and_mail,
	&test_duplicate_moves_supporters,
	&test_public_views_and_staff,
	&test_board,
	&test_export_erasure_retention,
	NULL
};

const struct test_group test_groups[] = {
	{ "incidents", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
