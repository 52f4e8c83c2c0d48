/*
 * t5301-lifts: the ski area (src/mountain) against real guichetd
 * processes and PostgreSQL, on the demo town (Montgenèvre's 22 lifts):
 *  - the public lists of lifts and slopes, with their summaries, a lift
 *    with today's history, the snow report: localized, ETag and 304,
 *    Cache-Control with a short max-age; 404 for an unknown lift;
 *  - the operator (the demo's lifts:write client, or staff of the
 *    remontées mécaniques department) sets a status, with a reason in
 *    three languages and an expected time; every change is in the
 *    history; anyone else is refused (401, 403);
 *  - the morning batch changes all or nothing: one 422 lists every bad
 *    item, and nothing of the batch is changed;
 *  - the snow report is published and kept with its history;
 *  - two guichetd processes on one database stay coherent: a change made
 *    through one is seen through the other, whose cache held the old
 *    answer;
 *  - at the town's midnight, a lift's history of the day and a slope's
 *    "groomed" start again, though they were cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtnlib.h"

/* Sunday 20 December 2026, 9 in the morning in Montgenèvre. */
#define FROZEN	"2026-12-20T08:00:00Z"
#define LIFT	"tc6-le-chalvet"
#define LIFTS	"/api/v1/lifts"
#define SLOPES	"/api/v1/slopes"
#define SNOW	"/api/v1/snow-report"

/* GET 'path' in 'lang' (NULL: none): the body, 200 asserted. */
static json_t *
get_ok(const struct idenv *e, const char *path, const char *lang,
    struct http_resp *keep)
{
	struct http_resp r;
	char		*al = lang != NULL ? harness_printf("Accept-Language: %s",
			    lang) : NULL;
	const char	*h[2] = { al, NULL };
	json_t		*j;

	ck_assert_int_eq(idl_reqh(e, "GET", path, h, NULL, &r), 200);
	j = harness_json(&r);
	ck_assert_msg(j != NULL, "%s: %s", path, r.body);
	if (keep != NULL)
		*keep = r;
	else
		http_resp_free(&r);
	free(al);
	return (j);
}

/* The item 'id' of a list's items, or NULL. */
static json_t *
item(const json_t *list, const char *id)
{
	json_t	*it;
	size_t	 i;

	json_array_foreach(json_object_get(list, "items"), i, it)
		if (strcmp(idl_jstr(it, "id"), id) == 0)
			return (it);
	return (NULL);
}

static long
summary(const json_t *list, const char *k)
{
	return ((long)json_integer_value(json_object_get(json_object_get(list,
	    "summary"), k)));
}

/*
 * The snow report in 'lang': its 'member' is 'value', its avalanche level
 * 'level', its comment 'comment'; the body (caller frees).
 */
static json_t *
snow_is(const struct idenv *e, const char *lang, const char *member,
    long value, long level, const char *comment)
{
	json_t	*j = get_ok(e, SNOW, lang, NULL);

	ck_assert_int_eq(json_integer_value(json_object_get(j, member)),
	    value);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "avalanche"), "level")), level);
	idl_assert_str(j, "comment", comment);
	return (j);
}

/*
 * GET 'path': Cache-Control with the short max-age and an ETag; again
 * with If-None-Match: 304 without a body, the same ETag; with another
 * ETag: 200.
 */
static void
revalidates(const struct idenv *e, const char *path)
{
	struct http_resp r, r2;
	const char	*h[2] = { NULL, NULL };
	char		*inm;

	ck_assert_int_eq(idl_reqh(e, "GET", path, h, NULL, &r), 200);
	ck_assert_msg(http_resp_header(&r, "Cache-Control") != NULL &&
	    strcmp(http_resp_header(&r, "Cache-Control"),
	    "public, max-age=10") == 0, "%s: Cache-Control", path);
	ck_assert_msg(http_resp_header(&r, "ETag") != NULL, "%s: no ETag",
	    path);
	inm = harness_printf("If-None-Match: %s", http_resp_header(&r, "ETag"));
	h[0] = inm;
	ck_assert_int_eq(idl_reqh(e, "GET", path, h, NULL, &r2), 304);
	ck_assert_uint_eq(r2.body_len, 0);
	ck_assert_str_eq(http_resp_header(&r2, "ETag"),
	    http_resp_header(&r, "ETag"));
	http_resp_free(&r2);
	free(inm);
	h[0] = "If-None-Match: \"another\"";
	ck_assert_int_eq(idl_reqh(e, "GET", path, h, NULL, &r2), 200);
	ck_assert_uint_gt(r2.body_len, 0);
	http_resp_free(&r2);
	http_resp_free(&r);
}

START_TEST(test_public)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *l;
	size_t		 i;

	idl_start_new(&e, FROZEN);
	j = get_ok(&e, LIFTS, NULL, &r);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 22);
	ck_assert_int_eq(summary(j, "total"), 22);
	ck_assert_int_eq(summary(j, "open"), 0);
	ck_assert(json_is_null(json_object_get(j, "next_cursor")));
	/* Montgenèvre's real lifts, types mapped from the Italian report. */
	l = item(j, "tc6-le-chalvet");
	ck_assert_ptr_nonnull(l);
	idl_assert_str(l, "name", "TC6* LE CHALVET");
	idl_assert_str(l, "type", "gondola");
	idl_assert_str(l, "status", "closed");
	idl_assert_str(item(j, "tp-la-butte"), "type", "magic_carpet");
	idl_assert_str(item(j, "sc-le-col"), "type", "drag_lift");
	ck_assert(json_is_object(json_object_get(json_object_get(l, "stations"),
	    "top")));
	json_array_foreach(json_object_get(j, "items"), i, l)
		ck_assert(json_integer_value(json_object_get(l,
		    "capacity_per_hour")) > 0);
	http_resp_free(&r);
	json_decref(j);
	/* Every public document: a short max-age, an ETag, 304. */
	revalidates(&e, LIFTS);
	revalidates(&e, SLOPES);
	revalidates(&e, SNOW);
	revalidates(&e, LIFTS "/" LIFT);

	j = get_ok(&e, SLOPES, "en", NULL);
	ck_assert_int_eq(summary(j, "total"), 11);
	ck_assert_int_eq(summary(j, "open"), 0);
	ck_assert(json_real_value(json_object_get(json_object_get(j,
	    "summary"), "km_total")) > 20.0);
	l = item(j, "le-chalvet");
	idl_assert_str(l, "difficulty", "red");
	ck_assert_int_eq(json_array_size(json_object_get(l, "lifts")), 2);
	ck_assert(json_is_true(json_object_get(l, "snowmaking")));
	idl_assert_str(item(j, "chemin-des-chalmettes"), "difficulty",
	    "itinerary");
	json_decref(j);

	j = get_ok(&e, LIFTS "/" LIFT, NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(j, "history")), 0);
	json_decref(j);
	j = cl_problem(&e, "GET", LIFTS "/nope", NULL, NULL, 404,
	    "lift_not_found");
	json_decref(j);

	/* The demo's report, in Italian. */
	json_decref(snow_is(&e, "it", "depth_top_cm", 110, 2,
	    "Bella neve fresca su tutto il comprensorio."));
	idl_stop(&e);
}
END_TEST

/* PUT a status of 'path' as 'token': the status, *out the body. */
static long
put_status(const struct idenv *e, const char *path, const char *token,
    const char *body, json_t **out)
{
	long	 st;
	json_t	*j;

	j = idl_reqj(e, "PUT", path, token, body, &st);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

START_TEST(test_status_and_history)
{
	struct idenv	 e;
	struct mtn_cast	 c;
	char		*by;
	json_t		*j, *h;
	long		 st;

	idl_start_new(&e, FROZEN);
	mtn_cast(&e, &c);

	/* Wind: on hold until 10:30, said in three languages. */
	ck_assert_int_eq(put_status(&e, LIFTS "/" LIFT "/status", c.op,
	    "{\"status\": \"on_hold\", \"reason\": {\"fr\": \"Vent fort\", "
	    "\"en\": \"Strong wind\", \"it\": \"Vento forte\"}, "
	    "\"expected_at\": \"2026-12-20T09:30:00Z\"}", &j), 200);
	idl_assert_str(j, "status", "on_hold");
	idl_assert_str(j, "reason", "Vent fort");
	idl_assert_str(j, "expected_at", "2026-12-20T09:30:00Z");
	ck_assert_int_eq(json_array_size(json_object_get(j, "history")), 1);
	json_decref(j);
	/* The list changed at once (the cache was emptied), in English. */
	j = get_ok(&e, LIFTS, "en", NULL);
	idl_assert_str(item(j, LIFT), "status", "on_hold");
	idl_assert_str(item(j, LIFT), "reason", "Strong wind");
	json_decref(j);

	/* Staff of the department opens it. */
	ck_assert_int_eq(put_status(&e, LIFTS "/" LIFT "/status", c.chief,
	    "{\"status\": \"open\"}", NULL), 200);
	j = get_ok(&e, LIFTS "/" LIFT, "en", NULL);
	idl_assert_str(j, "status", "open");
	ck_assert(json_is_null(json_object_get(j, "reason")));
	h = json_object_get(j, "history");
	ck_assert_int_eq(json_array_size(h), 2);
	idl_assert_str(json_array_get(h, 0), "status", "on_hold");
	idl_assert_str(json_array_get(h, 0), "reason", "Strong wind");
	idl_assert_str(json_array_get(h, 1), "status", "open");
	json_decref(j);
	j = get_ok(&e, LIFTS, NULL, NULL);
	ck_assert_int_eq(summary(j, "open"), 1);
	json_decref(j);
	/* Who did what is kept. */
	by = idl_sql(&e, "SELECT string_agg(changed_by, ' ' ORDER BY id) FROM "
	    "mountain.status_history WHERE item_id = '%s'", LIFT);
	ck_assert_ptr_nonnull(strstr(by, idl_demo.client_id));
	ck_assert_ptr_nonnull(strstr(by, cl_people.agent[CL_LIFT_CHIEF]));
	free(by);

	/* A slope. */
	ck_assert_int_eq(put_status(&e, SLOPES "/le-chalvet/status", c.op,
	    "{\"status\": \"scheduled\", \"expected_at\": "
	    "\"2026-12-20T11:00:00Z\", \"reason\": {\"fr\": \"Damage en "
	    "cours\"}}", NULL), 200);
	j = get_ok(&e, SLOPES, "it", NULL);
	idl_assert_str(item(j, "le-chalvet"), "status", "scheduled");
	ck_assert(json_is_false(json_object_get(item(j, "le-chalvet"),
	    "groomed")));
	/* No Italian given: the French. */
	idl_assert_str(item(j, "le-chalvet"), "reason", "Damage en cours");
	json_decref(j);

	/* guichetctl does the same, as itself. */
	{
		const char	*args[] = { "mountain", "status", "slope",
				    "la-butte", "closed", "Neige insuffisante",
				    NULL };
		const char	*bad[] = { "mountain", "status", "lift", "nope",
				    "open", NULL };
		char		*out = NULL, *err = NULL;

		ck_assert_int_eq(idl_ctl(e.db, 1, args, &out, &err), 0);
		free(out);
		free(err);
		ck_assert_int_ne(idl_ctl(e.db, 1, bad, &out, &err), 0);
		ck_assert_ptr_nonnull(strstr(err, "no lift nope"));
		free(out);
		free(err);
		j = get_ok(&e, SLOPES, NULL, NULL);
		idl_assert_str(item(j, "la-butte"), "status", "closed");
		idl_assert_str(item(j, "la-butte"), "reason",
		    "Neige insuffisante");
		json_decref(j);
		ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
		    "mountain.status_history WHERE changed_by = 'guichetctl' "
		    "AND item_id = 'la-butte'"), 1);
	}

	/* Groomed this morning: said with a status; unsaid, unchanged. */
	ck_assert_int_eq(put_status(&e, SLOPES "/le-chalvet/status", c.op,
	    "{\"status\": \"open\", \"groomed\": true}", &j), 200);
	ck_assert(json_is_true(json_object_get(j, "groomed")));
	json_decref(j);
	ck_assert_int_eq(put_status(&e, SLOPES "/le-chalvet/status", c.op,
	    "{\"status\": \"on_hold\"}", NULL), 200);
	j = get_ok(&e, SLOPES, NULL, NULL);
	ck_assert(json_is_true(json_object_get(item(j, "le-chalvet"),
	    "groomed")));
	idl_assert_str(item(j, "le-chalvet"), "groomed_on", "2026-12-20");
	json_decref(j);
	j = cl_problem(&e, "PUT", LIFTS "/" LIFT "/status", c.op,
	    "{\"status\": \"open\", \"groomed\": true}", 422, "validation");
	json_decref(j);

	/* What the schema cannot say. */
	j = cl_problem(&e, "PUT", LIFTS "/" LIFT "/status", c.op,
	    "{\"status\": \"scheduled\"}", 422, "validation");
	ck_assert_ptr_nonnull(idl_error_for(j, "/expected_at"));
	json_decref(j);
	j = cl_problem(&e, "PUT", LIFTS "/" LIFT "/status", c.op,
	    "{\"status\": \"scheduled\", \"expected_at\": "
	    "\"2026-12-20T07:00:00Z\"}", 422, "validation");
	ck_assert_ptr_nonnull(idl_error_for(j, "/expected_at"));
	json_decref(j);
	j = cl_problem(&e, "PUT", LIFTS "/" LIFT "/status", c.op,
	    "{\"status\": \"broken\"}", 422, "validation");
	json_decref(j);
	j = cl_problem(&e, "PUT", LIFTS "/nope/status", c.op,
	    "{\"status\": \"open\"}", 404, "lift_not_found");
	json_decref(j);
	j = cl_problem(&e, "PUT", SLOPES "/nope/status", c.op,
	    "{\"status\": \"open\"}", 404, "slope_not_found");
	json_decref(j);

	/* Nobody else. */
	ck_assert_int_eq(put_status(&e, LIFTS "/" LIFT "/status", NULL,
	    "{\"status\": \"closed\"}", NULL), 401);
	ck_assert_int_eq(put_status(&e, LIFTS "/" LIFT "/status", c.res,
	    "{\"status\": \"closed\"}", NULL), 403);
	ck_assert_int_eq(put_status(&e, LIFTS "/" LIFT "/status", c.tech,
	    "{\"status\": \"closed\"}", NULL), 403);
	st = 0;
	j = idl_reqj(&e, "GET", LIFTS "/" LIFT, NULL, NULL, &st);
	idl_assert_str(j, "status", "open");
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.status_history"), 6);
	mtn_cast_end(&e, &c);
}
END_TEST

START_TEST(test_batch)
{
	struct idenv	 e;
	char		*op, *before, *after;
	json_t		*j, *err;
	long		 st;

	idl_start_new(&e, FROZEN);
	op = idl_operator_token(&e);
	/* The morning opening: three lifts, two slopes, one batch. */
	j = idl_sendj(&e, "POST", LIFTS "/status", op, json_pack(
	    "{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s,s:s}],"
	    " s:[{s:s,s:s,s:b},{s:s,s:s}]}",
	    "lifts", "id", "tc6-le-chalvet", "status", "open",
	    "id", "sg4-les-gondrans", "status", "open",
	    "id", "sg4-la-crete", "status", "scheduled",
	    "expected_at", "2026-12-20T10:00:00Z",
	    "slopes", "id", "le-chalvet", "status", "open", "groomed", 1,
	    "id", "les-gondrans", "status", "open"), &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "changed"), "lifts")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "changed"), "slopes")), 2);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.status_history"), 5);
	j = get_ok(&e, LIFTS, NULL, NULL);
	ck_assert_int_eq(summary(j, "open"), 2);
	idl_assert_str(item(j, "sg4-la-crete"), "status", "scheduled");
	json_decref(j);
	j = get_ok(&e, SLOPES, NULL, NULL);
	ck_assert_int_eq(summary(j, "open"), 2);
	ck_assert(json_is_true(json_object_get(item(j, "le-chalvet"),
	    "groomed")));
	ck_assert(json_is_false(json_object_get(item(j, "les-gondrans"),
	    "groomed")));
	/* 2.8 km and 3.1 km open. */
	ck_assert(json_real_value(json_object_get(json_object_get(j,
	    "summary"), "km_open")) > 5.89 && json_real_value(
	    json_object_get(json_object_get(j, "summary"), "km_open")) < 5.91);
	json_decref(j);

	/* A batch with four bad items of five: one 422 names them all. */
	before = idl_sql(&e, "SELECT string_agg(id || status, ',' ORDER BY id) "
	    "FROM mountain.lifts");
	j = cl_problem(&e, "POST", LIFTS "/status", op,
	    "{\"lifts\": [{\"id\": \"sc-le-col\", \"status\": \"open\"}, "
	    "{\"id\": \"nope\", \"status\": \"open\"}, "
	    "{\"id\": \"sg4-prarial\", \"status\": \"scheduled\"}, "
	    "{\"id\": \"sc-le-col\", \"status\": \"closed\"}], "
	    "\"slopes\": [{\"id\": \"nope-either\", \"status\": \"open\"}]}",
	    422, "status_batch_invalid");
	ck_assert_int_eq(json_array_size(json_object_get(j, "errors")), 4);
	err = idl_error_for(j, "/lifts/1/id");
	ck_assert_ptr_nonnull(err);
	idl_assert_str(err, "code", "unknown");
	ck_assert_ptr_nonnull(idl_error_for(j, "/lifts/2/expected_at"));
	err = idl_error_for(j, "/lifts/3/id");
	ck_assert_ptr_nonnull(err);
	idl_assert_str(err, "code", "duplicate");
	ck_assert_ptr_nonnull(idl_error_for(j, "/slopes/0/id"));
	ck_assert_ptr_null(idl_error_for(j, "/lifts/0/id"));
	json_decref(j);
	/* Nothing of it happened, not even its good item. */
	after = idl_sql(&e, "SELECT string_agg(id || status, ',' ORDER BY id) "
	    "FROM mountain.lifts");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.status_history"), 5);
	free(before);
	free(after);
	free(op);
	idl_stop(&e);
}
END_TEST

START_TEST(test_snow_report)
{
	struct idenv	 e;
	char		*op, *res;
	json_t		*j;
	long		 st;

	idl_start_new(&e, FROZEN);
	op = idl_operator_token(&e);
	res = cl_resident(&e);
	j = idl_reqj(&e, "PUT", SNOW, op, "{\"depth_bottom_cm\": 60, "
	    "\"depth_top_cm\": 140, \"fresh_24h_cm\": 25, \"last_snowfall\": "
	    "\"2026-12-19\", \"avalanche_risk\": 3, \"avalanche_date\": "
	    "\"2026-12-20\", \"weather\": \"snow\", \"temperature_c\": -9, "
	    "\"comment\": {\"fr\": \"Neige fraîche\", \"en\": \"Fresh snow\"}}",
	    &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "reported_at", "2026-12-20T08:00:00Z");
	json_decref(j);
	j = snow_is(&e, "en", "fresh_24h_cm", 25, 3, "Fresh snow");
	idl_assert_str(json_object_get(j, "avalanche"), "date", "2026-12-20");
	idl_assert_str(j, "weather", "snow");
	json_decref(j);
	/* The demo's report stays in the history. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.snow_reports"), 2);
	j = cl_problem(&e, "PUT", SNOW, op, "{\"depth_bottom_cm\": 60, "
	    "\"depth_top_cm\": 40, \"fresh_24h_cm\": 0, \"avalanche_risk\": 6, "
	    "\"avalanche_date\": \"2026-12-20\", \"weather\": \"hail\"}", 422,
	    "validation");
	ck_assert_ptr_nonnull(idl_error_for(j, "/avalanche_risk"));
	ck_assert_ptr_nonnull(idl_error_for(j, "/weather"));
	json_decref(j);
	j = cl_problem(&e, "PUT", SNOW, op, "{\"depth_bottom_cm\": 60, "
	    "\"depth_top_cm\": 40, \"fresh_24h_cm\": 0, \"avalanche_risk\": 1, "
	    "\"avalanche_date\": \"2026-12-20\", \"weather\": \"fog\"}", 422,
	    "validation");
	ck_assert_ptr_nonnull(idl_error_for(j, "/depth_top_cm"));
	json_decref(j);
	j = idl_reqj(&e, "PUT", SNOW, res, "{\"depth_bottom_cm\": 60, "
	    "\"depth_top_cm\": 140, \"fresh_24h_cm\": 0, \"avalanche_risk\": 1, "
	    "\"avalanche_date\": \"2026-12-20\", \"weather\": \"fog\"}", &st);
	ck_assert_int_eq(st, 403);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.snow_reports"), 2);
	free(op);
	free(res);
	idl_stop(&e);
}
END_TEST

/* Poll 'path' on 'e' until the lift LIFT has 'status' (5 s): 1 if seen. */
static int
seen(const struct idenv *e, const char *path, const char *status)
{
	long long	 until = harness_now_ms() + 5000;
	json_t		*j;
	int		 ok;

	do {
		j = get_ok(e, path, NULL, NULL);
		ok = strcmp(idl_jstr(item(j, LIFT), "status"), status) == 0;
		json_decref(j);
		if (ok)
			return (1);
		harness_sleep_ms(50);
	} while (harness_now_ms() < until);
	return (0);
}

START_TEST(test_two_processes)
{
	struct idenv	 a, b;
	char		*op;
	json_t		*j;
	long		 hits;

	idl_start_new(&a, FROZEN);
	memset(&b, 0, sizeof(b));
	b.db = strdup(a.db);
	b.clock = FROZEN;
	idl_start(&b);
	op = idl_operator_token(&a);
	/* B caches the lifts as they are... */
	j = get_ok(&b, LIFTS, NULL, NULL);
	idl_assert_str(item(j, LIFT), "status", "closed");
	json_decref(j);
	hits = harness_metric(&b.s,
	    "guichet_cache_requests_total{result=\"hit\"}");
	j = get_ok(&b, LIFTS, NULL, NULL);
	json_decref(j);
	ck_assert_int_gt(harness_metric(&b.s,
	    "guichet_cache_requests_total{result=\"hit\"}"), hits);
	/* ...a change through A empties B's cache: B tells the new status. */
	ck_assert_int_eq(put_status(&a, LIFTS "/" LIFT "/status", op,
	    "{\"status\": \"open\"}", NULL), 200);
	ck_assert_msg(seen(&b, LIFTS, "open"), "B still says the old status");
	/* And the other way round. */
	ck_assert_int_eq(put_status(&b, LIFTS "/" LIFT "/status", op,
	    "{\"status\": \"on_hold\", \"reason\": {\"fr\": \"Incident\"}}",
	    NULL), 200);
	ck_assert_msg(seen(&a, LIFTS, "on_hold"), "A still says the old "
	    "status");
	free(op);
	idl_stop(&b);
	idl_stop(&a);
}
END_TEST

/*
 * The town's day ends at midnight in Europe/Paris: a lift's "today's
 * history" and a slope's "groomed" (today) are answered again then,
 * though the process kept them in its cache.  The server's clock runs
 * (an offset from the system's), set 20 seconds before midnight on
 * 20 December 2026 (23:00 UTC); the test waits for midnight to pass.
 */
START_TEST(test_midnight)
{
	struct idenv	 e;
	struct tm	 tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 20,
			    .tm_hour = 23 };
	time_t		 midnight = timegm(&tm);
	char		 clock[32];
	char		*op;
	json_t		*j, *h;
	long		 hits;

	snprintf(clock, sizeof(clock), "%+llds",
	    (long long)(midnight - 20 - time(NULL)));
	idl_start_new(&e, clock);
	op = idl_operator_token(&e);
	ck_assert_int_eq(put_status(&e, LIFTS "/" LIFT "/status", op,
	    "{\"status\": \"on_hold\", \"reason\": {\"fr\": \"Vent\"}}",
	    NULL), 200);
	ck_assert_int_eq(put_status(&e, SLOPES "/le-chalvet/status", op,
	    "{\"status\": \"open\", \"groomed\": true}", NULL), 200);
	/*
	 * Read, and so cached, before midnight (once the changes' own
	 * notifications came back: an answer read before them is not kept):
	 * read again, from the cache.
	 */
	harness_sleep_ms(500);
	json_decref(get_ok(&e, LIFTS "/" LIFT, NULL, NULL));
	json_decref(get_ok(&e, SLOPES, NULL, NULL));
	hits = harness_metric(&e.s,
	    "guichet_cache_requests_total{result=\"hit\"}");
	j = get_ok(&e, LIFTS "/" LIFT, NULL, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(j, "history")), 1);
	json_decref(j);
	j = get_ok(&e, SLOPES, NULL, NULL);
	ck_assert(json_is_true(json_object_get(item(j, "le-chalvet"),
	    "groomed")));
	json_decref(j);
	ck_assert_int_eq(harness_metric(&e.s,
	    "guichet_cache_requests_total{result=\"hit\"}"), hits + 2);
	ck_assert_msg(idl_server_now(&e) < (int64_t)midnight - 1, "the test "
	    "was too slow to read before midnight");
	while (idl_server_now(&e) <= (int64_t)midnight)
		harness_sleep_ms(100);
	/* The next day: yesterday's changes are not today's history. */
	j = get_ok(&e, LIFTS "/" LIFT, NULL, NULL);
	idl_assert_str(j, "status", "on_hold");
	h = json_object_get(j, "history");
	ck_assert_msg(json_array_size(h) == 0, "yesterday's history: %s",
	    json_dumps(h, 0));
	json_decref(j);
	j = get_ok(&e, SLOPES, NULL, NULL);
	ck_assert_msg(json_is_false(json_object_get(item(j, "le-chalvet"),
	    "groomed")), "still groomed today the next day");
	idl_assert_str(item(j, "le-chalvet"), "groomed_on", "2026-12-20");
	json_decref(j);
	free(op);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_public,
	&test_status_and_history,
	&test_batch,
	&test_snow_report,
	&test_two_processes,
	&test_midnight,
	NULL
};

const struct test_group test_groups[] = {
	{ "lifts", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
