/*
 * t4501-incidents: signalements (README, "Signalements"): the categories as
 * data; a report's position inside the commune's area (outside: 422 naming
 * /lat and /lon); open reports of the same category within 50 m returned as
 * possible duplicates (49 m yes, 51 m no); "me too"; anonymous reports only
 * where the category allows them, throttled, their follow-up address mailed
 * nothing but a confirmation link until its holder confirms it; the
 * lifecycle by the department's agents with its mail (through the real SMTP
 * catcher) to the reporter and the supporters; a duplicate closed onto its
 * original with its supporters; public views (Feature, FeatureCollection)
 * free of personal data; the department's board and isolation (IDOR) on
 * every staff route; the access log of staff reads;
 * export, erasure and retention.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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


START_TEST(test_lifecycle_and_mail)
{
	struct catcher	 c;
	struct idenv	 e;
	json_t		*j;
	char		*res, *other, *tech, *mairie, *id, *path;
	long		 st;

	mailcatch_start_server(&c, &e);
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
	ck_assert_int_eq(mailcatch_count_to(&c, IDL_RESIDENT_EMAIL,
	    "pris en compte", "Equipe prevenue."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, CL_OTHER_EMAIL,
	    "pris en compte", "Equipe prevenue."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, IDL_RESIDENT_EMAIL,
	    "en cours", NULL), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, IDL_RESIDENT_EMAIL,
	    "résolu", "Ampoule changee."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, CL_OTHER_EMAIL,
	    "résolu", NULL), 1);
	/* The subject names the category; the body the expected date. */
	ck_assert_int_eq(mailcatch_count_to(&c, CL_OTHER_EMAIL,
	    "Éclairage public", NULL), 3);

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

/* An anonymous report followed up at 'email': its id (caller frees). */
static char *
file_anonymous(const struct idenv *e, const char *category,
    const char *email)
{
	json_t	*j;
	char	*id;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f, s:s}", "category", category, "description",
	    "Anonyme.", "lat", LAT, "lon", LON, "email", email), &st);
	ck_assert_int_eq(st, 201);
	id = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	return (id);
}

/*
 * The status mail goes to a confirmed anonymous follow-up address and
 * never to an unconfirmed one, and says the expected resolution date
 * (the category's days after filing); the close reasons not_responsible
 * and invalid.
 */
START_TEST(test_followup_mail_and_reasons)
{
	struct catcher	 c;
	struct idenv	 e;
	char		*tech, *a, *b, *d, *token, *body, *exp, *want, *path;

	mailcatch_start_server(&c, &e);
	tech = cl_agent(&e, CL_TECH);
	a = file_anonymous(&e, "pothole", "suivi@example.fr");
	b = file_anonymous(&e, "litter", "muet@example.fr");
	token = idl_outbox_token(&e, "suivi@example.fr",
	    "incident_contact_confirm");
	body = harness_printf("{\"token\": \"%s\"}", token);
	ck_assert_int_eq(idl_status(&e, "POST",
	    "/api/v1/incidents/contact-confirmations", NULL, body), 200);
	ck_assert_int_eq(move(&e, tech, a, "{\"to\": \"acknowledged\", "
	    "\"note\": \"Trou vu.\"}"), 200);
	ck_assert_int_eq(move(&e, tech, b, "{\"to\": \"acknowledged\"}"),
	    200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'suivi@example.fr' AND template = "
	    "'incident_status'"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'muet@example.fr' AND template = "
	    "'incident_status'"), 0);
	/* pothole: 14 days after filing, the date in the mail. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND expected_at = created_at + "
	    "interval '14 days'", a), 1);
	exp = idl_sql(&e, "SELECT to_char(expected_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD') FROM incidents.reports WHERE id = '%s'", a);
	want = harness_printf("au plus tard le %s", exp);
	/* Two confirmation links, one status mail. */
	ck_assert_int_ge(mailcatch_wait(&c, 3, WAIT_MS), 3);
	ck_assert_int_eq(mailcatch_count_to(&c, "suivi@example.fr",
	    "pris en compte", want), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, "suivi@example.fr",
	    "pris en compte", "Trou vu."), 1);
	ck_assert_int_eq(mailcatch_count_to(&c, "muet@example.fr",
	    "pris en compte", NULL), 0);

	/* Closed, not ours; closed, invalid: Open311's closed. */
	ck_assert_int_eq(move(&e, tech, b, "{\"to\": \"closed\", \"reason\": "
	    "\"not_responsible\", \"note\": \"Voie départementale.\"}"), 200);
	d = file_ok(&e, NULL, "signage", LAT, LON, NULL);
	ck_assert_int_eq(move(&e, tech, d, "{\"to\": \"closed\", \"reason\": "
	    "\"invalid\"}"), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE ((id = '%s' AND close_reason = "
	    "'not_responsible') OR (id = '%s' AND close_reason = 'invalid')) "
	    "AND status = 'closed'", b, d), 2);
	ck_assert_int_eq(move(&e, tech, a, "{\"to\": \"closed\", \"reason\": "
	    "\"elsewhere\"}"), 422);
	path = harness_printf("/open311/v2/requests/%s.json", b);
	{
		json_t	*j;
		long	 st;

		j = idl_reqj(&e, "GET", path, NULL, NULL, &st);
		ck_assert_int_eq(st, 200);
		idl_assert_str(json_array_get(j, 0), "status", "closed");
		json_decref(j);
	}
	free(path);
	free(want);
	free(exp);
	free(body);
	free(token);
	free(a);
	free(b);
	free(d);
	free(tech);
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

/* The board of 'token' with 'query' (NULL: none) lists 'first', 'second'. */
static void
board_order(const struct idenv *e, const char *token, const char *query,
    const char *first, const char *second)
{
	json_t	*j, *items;
	char	*path;
	long	 st;

	path = harness_printf("/api/v1/incidents/board%s%s", query != NULL ?
	    "?" : "", query != NULL ? query : "");
	j = idl_reqj(e, "GET", path, token, NULL, &st);
	ck_assert_int_eq(st, 200);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_msg(strcmp(idl_jstr(json_array_get(items, 0), "id"), first)
	    == 0 && strcmp(idl_jstr(json_array_get(items, 1), "id"), second)
	    == 0, "%s: not %s then %s", path, first, second);
	json_decref(j);
	free(path);
}

START_TEST(test_board)
{
	struct idenv	 e;
	json_t		*j, *it;
	char		*res, *tech, *a, *b, *p, *path, *other;
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

	/*
	 * Art. 18: the reporter restricts the processing of their data.  The
	 * street is still mended (the report stays on the board, flagged),
	 * but the details hold the reporter back and read nothing of them.
	 */
	path = harness_printf("/api/v1/incidents/%s/details", a);
	j = idl_reqj(&e, "GET", path, tech, NULL, &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(json_object_get(j, "staff"), "reporter_id",
	    idl_demo.resident_id);
	ck_assert(json_is_false(json_object_get(json_object_get(j, "staff"),
	    "reporter_restricted")));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE dataset = 'incidents.report' AND "
	    "record = '%s'", a), 1);
	json_decref(idl_reqj(&e, "POST", "/api/v1/me/restriction", res, NULL,
	    &st));
	ck_assert_int_eq(st, 201);
	j = idl_reqj(&e, "GET", "/api/v1/incidents/board?sort=created", tech,
	    NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	json_array_foreach(json_object_get(j, "items"), i, it)
		ck_assert(json_is_true(json_object_get(json_object_get(it,
		    "properties"), "reporter_restricted")));
	json_decref(j);
	j = idl_reqj(&e, "GET", path, tech, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert(json_is_null(json_object_get(json_object_get(j, "staff"),
	    "reporter_id")));
	ck_assert(json_is_true(json_object_get(json_object_get(j, "staff"),
	    "reporter_restricted")));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE dataset = 'incidents.report' AND "
	    "record = '%s'", a), 1);
	free(path);
	/*
	 * By the last change: a moved later than b was filed.  Ascending
	 * and descending, and the default, the newest filed first.
	 */
	ck_assert_int_eq(move(&e, tech, a, "{\"to\": \"acknowledged\"}"), 200);
	board_order(&e, tech, "sort=updated", b, a);
	board_order(&e, tech, "sort=-updated", a, b);
	board_order(&e, tech, "sort=-created", b, a);
	board_order(&e, tech, NULL, b, a);
	/* Another reporter's report is as it was. */
	other = cl_other(&e);
	free(b);
	b = file_ok(&e, other, "litter", LAT, LON, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/incidents/board?sort=created&"
	    "category=litter", tech, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	json_array_foreach(json_object_get(j, "items"), i, it)
		ck_assert(json_is_boolean(json_object_get(json_object_get(it,
		    "properties"), "reporter_restricted")) && json_is_true(
		    json_object_get(json_object_get(it, "properties"),
		    "reporter_restricted")) == (strcmp(idl_jstr(it, "id"), b)
		    != 0));
	json_decref(j);
	free(other);
	free(a);
	free(b);
	free(p);
	free(res);
	free(tech);
	idl_stop(&e);
}
END_TEST

static long	photo_post(struct idenv *, const char *, const char *,
		    const char *, const void *, size_t, json_t **);

START_TEST(test_export_erasure_retention)
{
	struct idenv	 e;
	json_t		*j, *sec;
	char		*res, *other, *tech, *mark, *a, *b, *anon, *path, *body;
	char		*kept, *photo, *mine;
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
	/*
	 * A second report, nothing flagged in it, with a photo; and one
	 * filed anonymously, followed up at the person's own address.
	 */
	j = file(&e, res, "signage", "Panneau tombé rue des Écoles.", LAT,
	    LON, &st);
	ck_assert_int_eq(st, 201);
	kept = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	{
		unsigned char	*jpg;
		size_t		 len;

		jpg = idl_jpeg_with_exif("CamExport", &len);
		ck_assert_int_eq(photo_post(&e, res, kept, "image/jpeg", jpg,
		    len, &j), 201);
		photo = harness_printf("/api/v1/incidents/%s/photos/%s", kept,
		    idl_jstr(j, "id"));
		json_decref(j);
		free(jpg);
	}
	mine = file_anonymous(&e, "litter", IDL_RESIDENT_EMAIL);

	/*
	 * Someone typing the person's address puts nothing of theirs in the
	 * person's export: the anonymous report is the person's once the
	 * address is confirmed (its link used), not before.
	 */
	j = idl_reqj(&e, "GET", "/api/v1/me/export", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	sec = json_object_get(json_object_get(j, "data"), "incidents");
	ck_assert_int_eq(json_array_size(json_object_get(sec, "reports")), 2);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "WITH u AS (UPDATE "
	    "incidents.reports SET contact_verified_at = now() WHERE id = "
	    "'%s' RETURNING 1) SELECT count(*) FROM u", mine), 1);
	/* Confirmed, an agent's read of it is in the person's access log. */
	path = harness_printf("/api/v1/incidents/%s/details", mine);
	ck_assert_int_eq(idl_status(&e, "GET", path, tech, NULL), 200);
	free(path);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE dataset = 'incidents.report' AND "
	    "record = '%s' AND account_id = '%s'", mine,
	    idl_demo.resident_id), 1);

	/* The export: the person's reports, photos as links, and support. */
	j = idl_reqj(&e, "GET", "/api/v1/me/export", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	sec = json_object_get(json_object_get(j, "data"), "incidents");
	ck_assert_int_eq(json_array_size(json_object_get(sec, "reports")), 3);
	{
		const json_t	*r;
		size_t		 i;
		int		 seen = 0;

		json_array_foreach(json_object_get(sec, "reports"), i, r) {
			if (strcmp(idl_jstr(r, "id"), kept) == 0) {
				ck_assert_int_eq(json_array_size(
				    json_object_get(r, "photos")), 1);
				ck_assert_str_eq(json_string_value(
				    json_array_get(json_object_get(r,
				    "photos"), 0)), photo);
				seen++;
			} else if (strcmp(idl_jstr(r, "id"), a) == 0 ||
			    strcmp(idl_jstr(r, "id"), mine) == 0) {
				ck_assert_int_eq(json_array_size(
				    json_object_get(r, "photos")), 0);
				seen++;
			}
		}
		ck_assert_int_eq(seen, 3);
	}
	idl_assert_str(json_array_get(json_object_get(sec, "supports"), 0),
	    "report_id", b);
	json_decref(j);

	/* A PATCH that changes nothing: 422 empty_patch, nothing flagged. */
	path = harness_printf("/api/v1/incidents/%s", a);
	j = idl_reqj(&e, "PATCH", path, tech, "{}", &st);
	ck_assert_int_eq(st, 422);
	idl_assert_str(j, "code", "empty_patch");
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND NOT personal_data_flagged",
	    a), 1);
	/* The agent flags the neighbour's mention; the person erases. */
	ck_assert_int_eq(idl_status(&e, "PATCH", path, tech,
	    "{\"personal_data_flagged\": true}"), 200);
	free(path);
	ck_assert_int_gt(idl_dump_count(&e, mark), 0);
	idl_erase_me(&e, res, IDL_RESIDENT_PASSWORD);
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
	/* Unflagged, the description stays; the follow-up address goes. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id IS NULL AND "
	    "description = 'Panneau tombé rue des Écoles.' AND anonymised_at "
	    "IS NOT NULL", kept), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND contact_email IS NULL AND "
	    "contact_person_id IS NULL AND anonymised_at IS NOT NULL", mine),
	    1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE contact_email = '%s'", IDL_RESIDENT_EMAIL),
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
	ck_assert_ptr_nonnull(strstr(out, "incident_reports"));
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
	free(kept);
	free(photo);
	free(mine);
	free(res);
	free(other);
	free(tech);
	idl_stop(&e);
}
END_TEST

START_TEST(test_map_filters)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[2];
	json_t		*j;
	char		*res, *tech, *a, *b, *q;
	long		 st;

	res = idl_start_resident(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	a = file_ok(&e, res, "pothole", LAT, LON, NULL);
	b = file_ok(&e, res, "litter", LAT + 0.002, LON, NULL);
	ck_assert_int_eq(move(&e, tech, b, "{\"to\": \"in_progress\"}"), 200);
#define BOX	"bbox=6.70,44.92,6.74,44.94"
	j = idl_reqj(&e, "GET", "/api/v1/incidents?" BOX "&status=open",
	    NULL, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 1);
	idl_assert_str(json_array_get(json_object_get(j, "features"), 0), "id",
	    a);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/incidents?" BOX "&category=litter",
	    NULL, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 1);
	idl_assert_str(json_array_get(json_object_get(j, "features"), 0), "id",
	    b);
	json_decref(j);
	/* since: changed at or after; a future instant finds none. */
	j = idl_reqj(&e, "GET", "/api/v1/incidents?" BOX
	    "&since=2099-01-01T00:00:00Z", NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 0);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/incidents?" BOX
	    "&since=2000-01-01T00:00:00Z", NULL, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 2);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents?" BOX
	    "&status=bogus", NULL, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents?" BOX
	    "&since=hier", NULL, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/incidents?"
	    "bbox=6.74,44.92,6.70,44.94", NULL, NULL), 400);
	/*
	 * The box is a rectangle of longitudes and latitudes, its edges
	 * included: A on the western edge is in, a hundred-thousandth of a
	 * degree (under a metre) east of the eastern edge it is out.
	 */
	q = harness_printf("/api/v1/incidents?bbox=%.4f,44.92,6.74,44.94&"
	    "category=pothole", LON);
	j = idl_reqj(&e, "GET", q, NULL, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 1);
	json_decref(j);
	free(q);
	q = harness_printf("/api/v1/incidents?bbox=6.70,44.92,%.5f,44.94&"
	    "category=pothole", LON - 0.00001);
	j = idl_reqj(&e, "GET", q, NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "features")), 0);
	json_decref(j);
	free(q);
	/* The names in the caller's language, and said so. */
	h[0] = "Accept-Language: it";
	h[1] = NULL;
	q = harness_printf("/api/v1/incidents/%s", a);
	ck_assert_int_eq(idl_reqh(&e, "GET", q, h, NULL, &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Language"), "it");
	j = harness_json(&r);
	idl_assert_str(json_object_get(j, "properties"), "category_name",
	    "Buca stradale");
	json_decref(j);
	http_resp_free(&r);
	free(q);
#undef BOX
	free(a);
	free(b);
	free(res);
	free(tech);
	idl_stop(&e);
}
END_TEST

/* The Feature of report 'id' in the map of 'path' in 'lang' (caller frees). */
static json_t *
map_feature(const struct idenv *e, const char *path, const char *lang,
    const char *id, char **body)
{
	struct http_resp r;
	json_t		*j, *f, *found = NULL;
	char		*h;
	size_t		 i;

	h = harness_printf("Accept-Language: %s", lang);
	ck_assert_int_eq(idl_req_with(e, "GET", path, NULL, h, NULL, &r), 200);
	free(h);
	j = harness_json(&r);
	ck_assert_ptr_nonnull(j);
	json_array_foreach(json_object_get(j, "features"), i, f)
		if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0)
			found = json_incref(f);
	ck_assert_msg(found != NULL, "%s not on the map", id);
	if (body != NULL)
		*body = strdup(r.body);
	json_decref(j);
	http_resp_free(&r);
	return (found);
}

static const char *
prop(const json_t *f, const char *name)
{
	return (json_string_value(json_object_get(json_object_get(f,
	    "properties"), name)));
}

/*
 * The map writes each report's Feature once and keeps it (the
 * fragments), keyed by the versions of the rows it is made from: a warm
 * map writes none; a "me too", a change of state, a new name of the
 * category (another row) are on the next map; each language has its
 * own.
 */
START_TEST(test_map_fragments)
{
	struct idenv	 e;
	json_t		*f;
	char		*res, *other, *tech, *a, *path, *body1, *body2;
	long		 hits, misses;

	res = idl_start_resident(&e, NULL);
	other = cl_other(&e);
	tech = cl_agent(&e, CL_TECH);
	a = file_ok(&e, res, "pothole", LAT, LON, NULL);
	path = harness_printf("/api/v1/incidents?bbox=%.4f,%.4f,%.4f,%.4f&"
	    "category=pothole", LON - 0.001, LAT - 0.001, LON + 0.001,
	    LAT + 0.001);
	f = map_feature(&e, path, "fr", a, &body1);
	ck_assert_str_eq(prop(f, "category_name"), "Nid-de-poule");
	json_decref(f);
	/* The warm map: every Feature from the fragments, none written. */
	harness_fragments(&e.s, &hits, &misses);
	f = map_feature(&e, path, "fr", a, &body2);
	json_decref(f);
	ck_assert_str_eq(body1, body2);
	harness_assert_all_kept(&e.s, hits, misses);
	free(body1);
	free(body2);
	/* Another language, another piece. */
	f = map_feature(&e, path, "en", a, NULL);
	ck_assert_str_eq(prop(f, "category_name"), "Pothole");
	json_decref(f);
	/* "Me too": the row changed, so did its version. */
	body1 = harness_printf("/api/v1/incidents/%s/supporters", a);
	ck_assert_int_eq(idl_status(&e, "POST", body1, other, NULL), 201);
	free(body1);
	f = map_feature(&e, path, "fr", a, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(f,
	    "properties"), "supporters")), 1);
	json_decref(f);
	ck_assert_int_eq(move(&e, tech, a, "{\"to\": \"in_progress\", "
	    "\"note\": \"Equipe en route.\"}"), 200);
	f = map_feature(&e, path, "fr", a, NULL);
	ck_assert_str_eq(prop(f, "status"), "in_progress");
	ck_assert_str_eq(prop(f, "status_note"), "Equipe en route.");
	json_decref(f);
	/* The category's new name: another row, with its own version. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE incidents.categories SET "
	    "name_fr = 'Trou dans la chaussée' WHERE code = 'pothole'"), 0);
	f = map_feature(&e, path, "fr", a, NULL);
	ck_assert_str_eq(prop(f, "category_name"), "Trou dans la chaussée");
	json_decref(f);
	free(path);
	free(a);
	free(tech);
	free(other);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * The map reads a thousand rows: it runs on the list lane, never on the
 * polling thread that read it.  With one polling thread, a map waiting
 * for PostgreSQL (the reports locked by this test) leaves the thread free:
 * another connection's request is answered at once, not when the map ends
 * (the statement's timeout, 5 s, while the lock is held).
 */
START_TEST(test_map_on_list_lane)
{
	static const char *const one[] = { "--threads", "1", NULL };
	struct idenv	 e;
	struct http_resp r;
	struct raw_resp	 raw;
	struct pg_conn	*pg;
	long long	 t0, waited;
	int		 fd, i;

	memset(&e, 0, sizeof(e));
	e.extra = one;
	idl_start(&e);
	pg = harness_lock(e.db, "incidents.reports");
	fd = harness_connect(&e.s);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(harness_send_str(fd, "GET /api/v1/incidents?"
	    "bbox=6.70,44.92,6.74,44.94 HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
	/* The map is on the lane, waiting for the lock. */
	for (i = 0; i < 100 && harness_metric(&e.s,
	    "guichet_list_lane_requests_total{result=\"queued\"}") < 1; i++)
		harness_sleep_ms(50);
	ck_assert_int_eq(harness_metric(&e.s,
	    "guichet_list_lane_requests_total{result=\"queued\"}"), 1);
	t0 = harness_now_ms();
	ck_assert_int_eq(harness_get(&e.s, "/api/v1/lifts", &r), 0);
	waited = harness_now_ms() - t0;
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);
	ck_assert_msg(waited < 2500, "another connection waited %lld ms for "
	    "the map", waited);
	harness_unlock(pg);
	ck_assert_int_eq(harness_raw_read(fd, 10000, 0, &raw), 0);
	ck_assert_msg(raw.status == 200, "the map after the lock: %d %.300s",
	    raw.status, raw.data != NULL ? raw.data : "");
	ck_assert_ptr_nonnull(strstr(raw.data, "\"FeatureCollection\""));
	raw_resp_free(&raw);
	close(fd);
	idl_stop(&e);
}
END_TEST

/* --- photos --------------------------------------------------------- */

/*
 * POST .../photos with 'data' as 'type' and the header 'auth' (NULL:
 * none): the status, the body in *out.
 */
static long
photo_send(struct idenv *e, const char *auth, const char *id,
    const char *type, const void *data, size_t len, json_t **out)
{
	struct http_resp r;
	const char	*h[3];
	char		*ct, *path;
	long		 st;

	ct = harness_printf("Content-Type: %s", type);
	h[0] = ct;
	h[1] = auth;
	h[2] = NULL;
	path = harness_printf("/api/v1/incidents/%s/photos", id);
	ck_assert_int_eq(harness_http(&e->s, "POST", path, h, data, len, &r),
	    0);
	st = r.status;
	if (out != NULL)
		*out = harness_json(&r);
	http_resp_free(&r);
	free(ct);
	free(path);
	return (st);
}

/* The same as the signed-in 'token'. */
static long
photo_post(struct idenv *e, const char *token, const char *id,
    const char *type, const void *data, size_t len, json_t **out)
{
	char	*auth = harness_printf("Authorization: Bearer %s", token);
	long	 st;

	st = photo_send(e, auth, id, type, data, len, out);
	free(auth);
	return (st);
}

/* Does file column 'col' of photo 'photo' hold the bytes of 's'? */
static long
file_has(const struct idenv *e, const char *photo, const char *col,
    const char *s)
{
	return (idl_sql_count(e, "SELECT count(*) FROM files.files f JOIN "
	    "incidents.photos p ON f.id = p.%s WHERE p.id = '%s' AND "
	    "position(convert_to('%s', 'UTF8') IN f.content) > 0", col, photo,
	    s));
}

/* Neither a file's bytes nor the dump hold 'mark' any more. */
static void
mark_gone(const struct idenv *e, const char *mark)
{
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM files.files "
	    "WHERE position(convert_to('%s', 'UTF8') IN content) > 0", mark),
	    0);
	ck_assert_int_eq(idl_dump_count(e, mark), 0);
}

/* The CRC-32 of a PNG chunk (ISO 3309), bit by bit. */
static unsigned long
png_crc(const unsigned char *p, size_t n)
{
	unsigned long	 c = 0xffffffffUL;
	size_t		 i;
	int		 k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320UL ^ (c >> 1) : c >> 1;
	}
	return (c ^ 0xffffffffUL);
}

static void
be32(unsigned char *p, unsigned long v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/*
 * 'png' (its 'len' bytes) with a chunk 'type' of 'data' inserted after
 * its IHDR; the new length in *outlen (caller frees).
 */
static unsigned char *
png_with_chunk(const unsigned char *png, size_t len, const char *type,
    const void *data, size_t dlen, size_t *outlen)
{
	size_t		 at = 8 + 12 + 13, n = 12 + dlen;
	unsigned char	*out, *c;

	ck_assert(len > at && memcmp(png + 12, "IHDR", 4) == 0);
	out = malloc(len + n);
	ck_assert_ptr_nonnull(out);
	memcpy(out, png, at);
	c = out + at;
	be32(c, (unsigned long)dlen);
	memcpy(c + 4, type, 4);
	memcpy(c + 8, data, dlen);
	be32(c + 8 + dlen, png_crc(c + 4, 4 + dlen));
	memcpy(c + n, png + at, len - at);
	*outlen = len + n;
	return (out);
}

/*
 * A PNG's text and EXIF chunks (tEXt, eXIf) are gone from the public
 * copy; a photo past the cap is refused from its Content-Length, before
 * its body is sent.
 */
START_TEST(test_photo_png_chunks_and_cap)
{
	struct idenv	 e;
	struct raw_resp	 raw;
	unsigned char	*jpg, *png1, *png2;
	char		*res, *id, *mark, *text, *pngpath, *png, *photo, *head;
	size_t		 jlen, tlen, plen, l1, l2, tiff;
	json_t		*j;
	int		 fd;

	res = idl_start_resident(&e, NULL);
	id = file_ok(&e, res, "pothole", LAT, LON, NULL);
	mark = idl_marker(20);
	pngpath = harness_src("t/data/incidents/base.png");
	png = harness_read_file(pngpath, &plen);
	ck_assert_ptr_nonnull(png);
	/* tEXt: a keyword, NUL, the text; eXIf: a TIFF whose Make is 'mark'. */
	tlen = strlen("Comment") + 1 + strlen(mark);
	text = malloc(tlen);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "Comment", 8);
	memcpy(text + 8, mark, strlen(mark));
	png1 = png_with_chunk((unsigned char *)png, plen, "tEXt", text, tlen,
	    &l1);
	jpg = idl_jpeg_with_exif(mark, &jlen);
	tiff = ((size_t)jpg[4] << 8 | jpg[5]) - 8;
	png2 = png_with_chunk(png1, l1, "eXIf", jpg + 12, tiff, &l2);
	ck_assert_int_eq(photo_post(&e, res, id, "image/png", png2, l2, &j),
	    201);
	photo = strdup(idl_jstr(j, "id"));
	json_decref(j);
	ck_assert_int_eq(file_has(&e, photo, "original_file", mark), 1);
	ck_assert_int_eq(file_has(&e, photo, "original_file", "tEXt"), 1);
	ck_assert_int_eq(file_has(&e, photo, "original_file", "eXIf"), 1);
	ck_assert_int_eq(file_has(&e, photo, "public_file", mark), 0);
	ck_assert_int_eq(file_has(&e, photo, "public_file", "tEXt"), 0);
	ck_assert_int_eq(file_has(&e, photo, "public_file", "eXIf"), 0);
	ck_assert_int_eq(file_has(&e, photo, "public_file", "Comment"), 0);
	ck_assert_int_eq(file_has(&e, photo, "thumb_file", mark), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id = p.public_file WHERE p.id = "
	    "'%s' AND f.media_type = 'image/png'", photo), 1);

	/* Past the cap: 413 at once, the body never sent. */
	fd = harness_connect(&e.s);
	ck_assert_int_ne(fd, -1);
	head = harness_printf("POST /api/v1/incidents/%s/photos HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: image/png\r\nContent-Length: %lu\r\n\r\n", id,
	    res, (unsigned long)(10 * 1024 * 1024 + 1));
	ck_assert_int_eq(harness_send_str(fd, head), 0);
	harness_raw_read(fd, 5000, 0, &raw);
	ck_assert_msg(raw.status == 413, "expected 413 before the body: %d "
	    "(timeout %d): %s", raw.status, raw.timed_out, raw.data);
	ck_assert_ptr_nonnull(strstr(raw.data, "body_too_large"));
	raw_resp_free(&raw);
	close(fd);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.photos WHERE report_id = '%s'", id), 1);
	free(head);
	free(photo);
	free(png2);
	free(png1);
	free(jpg);
	free(text);
	free(png);
	free(pngpath);
	free(mark);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_photos)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	unsigned char	*jpg;
	char		*res, *other, *tech, *mairie, *id, *mark, *make, *photo;
	char		*png, *pdfpath, *path, *pngpath;
	size_t		 len, pnglen;
	long		 st;

	res = idl_start_resident(&e, NULL);
	other = cl_other(&e);
	tech = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	id = file_ok(&e, res, "pothole", LAT, LON, NULL);
	mark = idl_marker(20);
	make = harness_printf("CamSerial%s", mark);
	jpg = idl_jpeg_with_exif(make, &len);

	/* Only its reporter adds photos. */
	ck_assert_int_eq(photo_post(&e, other, id, "image/jpeg", jpg, len,
	    NULL), 404);
	ck_assert_int_eq(photo_post(&e, res, id, "text/plain", jpg, len,
	    NULL), 415);
	/* The type is read from the bytes: a PDF sent as a JPEG is not. */
	pdfpath = harness_printf("%%PDF-1.4\n1 0 obj << >> endobj\n%%%%EOF\n");
	ck_assert_int_eq(photo_post(&e, res, id, "image/jpeg", pdfpath,
	    strlen(pdfpath), &j), 422);
	idl_assert_str(j, "code", "file_type_refused");
	json_decref(j);
	/* A PNG's signature with nothing after it: no image to re-encode. */
	ck_assert_int_eq(photo_post(&e, res, id, "image/png",
	    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, &j), 422);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE owner_module = 'incidents'"), 0);

	ck_assert_int_eq(photo_post(&e, res, id, "image/jpeg", jpg, len, &j),
	    201);
	photo = strdup(idl_jstr(j, "id"));
	json_decref(j);
	/* The original as sent: its EXIF, GPS and serial are there... */
	ck_assert_int_eq(file_has(&e, photo, "original_file", "Exif"), 1);
	ck_assert_int_eq(file_has(&e, photo, "original_file", make), 1);
	/* ...and nowhere in the public copy or the thumbnail. */
	ck_assert_int_eq(file_has(&e, photo, "public_file", "Exif"), 0);
	ck_assert_int_eq(file_has(&e, photo, "public_file", mark), 0);
	ck_assert_int_eq(file_has(&e, photo, "thumb_file", "Exif"), 0);
	ck_assert_int_eq(file_has(&e, photo, "thumb_file", mark), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id IN (p.public_file, "
	    "p.thumb_file) WHERE p.id = '%s' AND f.media_type = 'image/jpeg' "
	    "AND substring(f.content FROM 1 FOR 2) = '\\xffd8'::bytea AND "
	    "f.uploader IS NULL AND p.width = 80 AND p.height = 60", photo), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id = p.original_file WHERE p.id = "
	    "'%s' AND f.uploader = '%s'", photo, idl_demo.resident_id), 1);

	/* Not served before the scan says clean. */
	path = harness_printf("/api/v1/incidents/%s/photos/%s", id, photo);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 409);
	/* The scanner's verdict (t1202-scan runs clamd itself). */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE files.files SET status = "
	    "'clean', scanned_at = '2026-12-03T00:00:00Z' WHERE owner_module "
	    "= 'incidents'"), 0);
	ck_assert_int_eq(idl_req(&e, "GET", path, NULL, NULL, &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"), "image/jpeg");
	ck_assert_ptr_null(memmem(r.body, r.body_len, mark, strlen(mark)));
	ck_assert_ptr_null(memmem(r.body, r.body_len, "Exif", 4));
	http_resp_free(&r);
	free(path);
	path = harness_printf("/api/v1/incidents/%s/photos/%s/thumbnail", id,
	    photo);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 200);
	free(path);
	/* The original: its department's agents, logged. */
	path = harness_printf("/api/v1/incidents/%s/photos/%s/original", id,
	    photo);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 401);
	ck_assert_int_eq(idl_status(&e, "GET", path, res, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", path, mairie, NULL), 404);
	ck_assert_int_eq(idl_req(&e, "GET", path, tech, NULL, &r), 200);
	ck_assert_ptr_nonnull(memmem(r.body, r.body_len, mark, strlen(mark)));
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE dataset = 'incidents.photo_original' AND "
	    "record = '%s'", photo), 1);
	free(path);
	/* Another report's path to the photo: none. */
	path = harness_printf("/api/v1/incidents/%s/photos/%s",
	    "00000000-0000-4000-8000-000000000000", photo);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 404);
	free(path);

	/* The Feature lists the photo; the map never its metadata. */
	path = harness_printf("/api/v1/incidents/%s", id);
	j = idl_reqj(&e, "GET", path, NULL, NULL, &st);
	idl_assert_str(json_array_get(json_object_get(json_object_get(j,
	    "properties"), "photos"), 0), "id", photo);
	json_decref(j);
	free(path);

	/* A PNG stays a PNG; three photos at most. */
	pngpath = harness_src("t/data/incidents/base.png");
	png = harness_read_file(pngpath, &pnglen);
	ck_assert_int_eq(photo_post(&e, res, id, "image/png", png, pnglen,
	    NULL), 201);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id = p.public_file WHERE "
	    "p.report_id = '%s' AND f.media_type = 'image/png'", id), 1);
	ck_assert_int_eq(photo_post(&e, res, id, "image/jpeg", jpg, len,
	    NULL), 201);
	ck_assert_int_eq(photo_post(&e, res, id, "image/jpeg", jpg, len, &j),
	    409);
	idl_assert_str(j, "code", "incident_photos_full");
	json_decref(j);

	/*
	 * The erasure deletes the person's originals, bytes and all (pg_dump
	 * writes bytea in hex: the bytes are searched in the database).
	 */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE position(convert_to('%s', 'UTF8') IN content) > 0", mark),
	    2);
	idl_erase_me(&e, res, IDL_RESIDENT_PASSWORD);
	mark_gone(&e, mark);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id = p.original_file WHERE "
	    "p.report_id = '%s' AND f.status = 'erased' AND f.content IS "
	    "NULL", id), 3);
	path = harness_printf("/api/v1/incidents/%s/photos/%s", id, photo);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 200);
	free(path);
	free(png);
	free(pngpath);
	free(pdfpath);
	free(photo);
	free(jpg);
	free(make);
	free(mark);
	free(id);
	free(res);
	free(other);
	free(tech);
	free(mairie);
	idl_stop(&e);
}
END_TEST

/* POST .../photos as an anonymous filer: 'secret' as X-Photo-Token. */
static long
photo_post_anon(struct idenv *e, const char *secret, const char *id,
    const void *data, size_t len, json_t **out)
{
	char	*tok;
	long	 st;

	if (secret == NULL)
		return (photo_send(e, NULL, id, "image/jpeg", data, len, out));
	tok = harness_printf("X-Photo-Token: %s", secret);
	st = photo_send(e, tok, id, "image/jpeg", data, len, out);
	free(tok);
	return (st);
}

/*
 * An anonymous report takes photos too, from whoever holds the secret its
 * filing answered with, and nobody else; with the same checks.  Retention
 * erases the originals of the reports it anonymises (the bytes), the
 * anonymous filer's and a signed-in reporter's alike; the public copies
 * stay, as after an erasure.  Anonymous photos are throttled per client
 * address.
 */
START_TEST(test_anonymous_photos_retention)
{
	struct idenv	 e;
	json_t		*j;
	unsigned char	*jpg;
	char		*res, *tech, *a, *b, *mine, *secret, *other_secret;
	char		*mark, *make, *pa, *pm, *path, *pdf, *out, *err;
	const char	*args[] = { "--clock", "2028-06-01T00:00:00Z", "privacy",
	    "purge", NULL };
	size_t		 len, pdflen;
	long		 st;
	int		 i, first429 = -1, rc;

	res = idl_start_resident(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	mark = idl_marker(16);
	make = harness_printf("Cam %s", mark);
	jpg = idl_jpeg_with_exif(make, &len);

	/* The secret: in an anonymous filing's answer only. */
	j = idl_sendj(&e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f}", "category", "signage", "description",
	    "Panneau tombe.", "lat", LAT, "lon", LON), &st);
	ck_assert_int_eq(st, 201);
	a = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	ck_assert_ptr_nonnull(idl_jstr(j, "photo_token"));
	secret = strdup(idl_jstr(j, "photo_token"));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND photo_token = "
	    "encode(sha256(convert_to('%s', 'UTF8')), 'hex')", a, secret), 1);
	j = idl_sendj(&e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f}", "category", "signage", "description",
	    "Autre panneau.", "lat", LAT + 0.01, "lon", LON), &st);
	ck_assert_int_eq(st, 201);
	b = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	other_secret = strdup(idl_jstr(j, "photo_token"));
	json_decref(j);
	j = idl_sendj(&e, "POST", "/api/v1/incidents", res, json_pack(
	    "{s:s, s:s, s:f, s:f}", "category", "pothole", "description",
	    "Un trou.", "lat", LAT, "lon", LON + 0.01), &st);
	ck_assert_int_eq(st, 201);
	ck_assert_ptr_null(json_object_get(j, "photo_token"));
	mine = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);

	/* Nobody else adds photos to the anonymous report. */
	ck_assert_int_eq(photo_post_anon(&e, NULL, a, jpg, len, NULL), 404);
	ck_assert_int_eq(photo_post(&e, res, a, "image/jpeg", jpg, len, NULL),
	    404);
	ck_assert_int_eq(photo_post_anon(&e, other_secret, a, jpg, len, NULL),
	    404);
	ck_assert_int_eq(photo_post_anon(&e, "not-the-secret-at-all-0000", a,
	    jpg, len, NULL), 404);
	/* The secret opens no signed-in report either. */
	ck_assert_int_eq(photo_post_anon(&e, secret, mine, jpg, len, NULL),
	    404);
	/* The same checks: the type from the bytes. */
	pdf = harness_printf("%%PDF-1.4\n1 0 obj << >> endobj\n%%%%EOF\n");
	pdflen = strlen(pdf);
	ck_assert_int_eq(photo_post_anon(&e, secret, a, pdf, pdflen, &j), 422);
	idl_assert_str(j, "code", "file_type_refused");
	json_decref(j);
	/* The holder of the secret: stored, re-encoded without metadata. */
	ck_assert_int_eq(photo_post_anon(&e, secret, a, jpg, len, &j), 201);
	pa = strdup(idl_jstr(j, "id"));
	json_decref(j);
	ck_assert_int_eq(file_has(&e, pa, "original_file", mark), 1);
	ck_assert_int_eq(file_has(&e, pa, "public_file", mark), 0);
	ck_assert_int_eq(file_has(&e, pa, "public_file", "Exif"), 0);
	ck_assert_int_eq(file_has(&e, pa, "thumb_file", mark), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id = p.original_file WHERE p.id = "
	    "'%s' AND f.uploader IS NULL", pa), 1);
	ck_assert_int_eq(photo_post_anon(&e, secret, a, jpg, len, NULL), 201);
	ck_assert_int_eq(photo_post_anon(&e, secret, a, jpg, len, NULL), 201);
	ck_assert_int_eq(photo_post_anon(&e, secret, a, jpg, len, &j), 409);
	idl_assert_str(j, "code", "incident_photos_full");
	json_decref(j);
	/* The signed-in reporter's photo of their own report. */
	ck_assert_int_eq(photo_post(&e, res, mine, "image/jpeg", jpg, len,
	    &j), 201);
	pm = strdup(idl_jstr(j, "id"));
	json_decref(j);

	/* Finished, scanned; a year and more after: the purge. */
	ck_assert_int_eq(move(&e, tech, a, "{\"to\": \"resolved\"}"), 200);
	ck_assert_int_eq(move(&e, tech, mine, "{\"to\": \"resolved\"}"), 200);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE files.files SET status = "
	    "'clean', scanned_at = '2026-12-03T00:00:00Z' WHERE owner_module "
	    "= 'incidents'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE position(convert_to('%s', 'UTF8') IN content) > 0", mark),
	    4);
	/*
	 * Art. 18: once the reporter restricts the processing of their data,
	 * the agents read their original no more (the public copy remains).
	 */
	path = harness_printf("/api/v1/incidents/%s/photos/%s/original", mine,
	    pm);
	ck_assert_int_eq(idl_status(&e, "GET", path, tech, NULL), 200);
	json_decref(idl_reqj(&e, "POST", "/api/v1/me/restriction", res, NULL,
	    &st));
	ck_assert_int_eq(st, 201);
	j = idl_reqj(&e, "GET", path, tech, NULL, &st);
	ck_assert_int_eq(st, 409);
	idl_assert_str(j, "code", "incident_reporter_restricted");
	json_decref(j);
	free(path);
	path = harness_printf("/api/v1/incidents/%s/photos/%s", mine, pm);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 200);
	free(path);
	out = err = NULL;
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "purge: %d %s %s", rc, out, err);
	ck_assert_ptr_nonnull(strstr(out, "incident_photo_originals"));
	free(out);
	free(err);
	/* The originals' bytes are gone, the anonymous filer's and the
	   reporter's; the public copies and thumbnails stay. */
	mark_gone(&e, mark);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id = p.original_file WHERE "
	    "p.report_id IN ('%s', '%s') AND f.status = 'erased' AND f.content "
	    "IS NULL AND p.original_erased_at IS NOT NULL", a, mine), 4);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "f JOIN incidents.photos p ON f.id IN (p.public_file, "
	    "p.thumb_file) WHERE p.report_id IN ('%s', '%s') AND f.status = "
	    "'clean' AND f.content IS NOT NULL", a, mine), 8);
	path = harness_printf("/api/v1/incidents/%s/photos/%s", a, pa);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 200);
	free(path);
	path = harness_printf("/api/v1/incidents/%s/photos/%s/original", a,
	    pa);
	ck_assert_int_eq(idl_status(&e, "GET", path, tech, NULL), 410);
	free(path);

	/* Anonymous photos are throttled per client address. */
	for (i = 0; i < 40 && first429 < 0; i++)
		if (photo_post_anon(&e, other_secret, b, "x", 1, NULL) == 429)
			first429 = i;
	ck_assert_msg(first429 > 0 && first429 <= 30, "429 after %d",
	    first429);
	free(pdf);
	free(pa);
	free(pm);
	free(jpg);
	free(make);
	free(mark);
	free(secret);
	free(other_secret);
	free(a);
	free(b);
	free(mine);
	free(res);
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
	&test_followup_mail_and_reasons,
	&test_duplicate_moves_supporters,
	&test_public_views_and_staff,
	&test_board,
	&test_map_filters,
	&test_map_on_list_lane,
	&test_map_fragments,
	&test_export_erasure_retention,
	&test_photos,
	&test_photo_png_chunks_and_cap,
	&test_anonymous_photos_retention,
	NULL
};

const struct test_group test_groups[] = {
	{ "incidents", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
