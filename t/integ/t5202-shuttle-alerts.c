/*
 * t5202-shuttle-alerts: disruptions on the shuttles (src/shuttles/alerts.c)
 * against a real guichetd, on the demo town and its navette feed, with the
 * agents of caselib.h:
 *  - who may post and remove alerts: agents (second factor) of the
 *    department in charge (services_techniques by default, another with
 *    the setting shuttles_department) and partner apps holding
 *    shuttles:write; not an agent of another department, a resident, a
 *    partner without the scope, nobody anonymous; what the schema cannot
 *    say is a 422 of its own;
 *  - an active alert appears at once on the routes, stops and departures
 *    it informs about (the cache is emptied), in the caller's language; a
 *    future one does not; a removed one goes; the process that made the
 *    change shows it at once, without waiting for the notification;
 *  - GET /gtfs-rt/alerts.pb, decoded with protoc --decode against the
 *    tree's gtfs-realtime.proto, says every field of every active alert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "caselib.h"

#define ALERTS		"/api/v1/shuttles/alerts"

/* A partner app with 'scopes': its access token. */
static char *
partner(struct idenv *e, const char *scopes)
{
	char		*name = harness_printf("Operator %s", scopes);
	const char	*args[] = { "client", "add", name, "--scopes", scopes,
			    NULL };
	char		*out = NULL, *err = NULL, id[40], secret[80], *p;
	json_t		*j;
	long		 st;

	ck_assert_msg(idl_ctl(e->db, 0, args, &out, &err) == 0, "%s%s", out,
	    err);
	ck_assert((p = strstr(out, "client_id:")) != NULL &&
	    sscanf(p, "client_id: %39s", id) == 1);
	ck_assert((p = strstr(out, "client_secret:")) != NULL &&
	    sscanf(p, "client_secret: %79s", secret) == 1);
	free(out);
	free(err);
	free(name);
	j = idl_sendj(e, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials",
	    "client_id", id, "client_secret", secret), &st);
	ck_assert_int_eq(st, 200);
	p = strdup(idl_jstr(j, "access_token"));
	json_decref(j);
	return (p);
}

static void
rfc3339(time_t t, char *out, size_t len)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An alert body on 'route' and 'stop' (NULL: none) from 'from' to 'to'. */
static json_t *
alert_body(const char *route, const char *stop, time_t from, time_t to,
    const char *header_en)
{
	char	 a[40], b[40];
	json_t	*j;

	rfc3339(from, a, sizeof(a));
	rfc3339(to, b, sizeof(b));
	j = json_pack("{s:s, s:s, s:[{s:s, s:s}], s:{s:s, s:s, s:s}, "
	    "s:{s:s, s:s, s:s}, s:s}",
	    "cause", "weather", "effect", "significant_delays",
	    "active_periods", "start", a, "end", b,
	    "header", "fr", "Neige sur la route", "en", header_en, "it",
	    "Neve sulla strada",
	    "description", "fr", "Prevoir 20 minutes de retard.", "en",
	    "Expect 20 minutes of delay.", "it", "Prevedere 20 minuti di "
	    "ritardo.",
	    "url", "https://montgenevre.example/info");
	json_object_set_new(j, "route_ids", route != NULL ?
	    json_pack("[s]", route) : json_array());
	json_object_set_new(j, "stop_ids", stop != NULL ?
	    json_pack("[s]", stop) : json_array());
	return (j);
}

/* POST it as 'token': the status; *id the new alert's (201). */
static long
post(struct idenv *e, const char *token, json_t *body, char *id)
{
	long	 st;
	json_t	*j = idl_sendj(e, "POST", ALERTS, token, body, &st);

	if (st == 201 && id != NULL)
		snprintf(id, 40, "%s", idl_jstr(j, "id"));
	json_decref(j);
	return (st);
}

static void
problem_code(struct idenv *e, const char *method, const char *path,
    const char *token, json_t *body, long want, const char *code)
{
	char		*text = body != NULL ? json_dumps(body, 0) : NULL;
	struct http_resp r;

	ck_assert_int_eq(idl_req(e, method, path, token, text, &r), want);
	ck_assert_msg(strstr(r.body, code) != NULL, "%s %s: %s", method, path,
	    r.body);
	http_resp_free(&r);
	free(text);
	json_decref(body);
}

START_TEST(test_who_may_post)
{
	struct idenv	 e;
	char		*tech, *mairie, *resident, id[40], id2[40], *path;
	char		*partner_write, *partner_other;
	time_t		 now = time(NULL);
	json_t		*j, *p;
	long		 st;

	idl_start_new(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	resident = cl_resident(&e);
	partner_write = partner(&e, "shuttles:write");
	partner_other = partner(&e, "lifts:write");
	ck_assert_int_eq(post(&e, NULL, alert_body("N2", NULL, now - 60,
	    now + 3600, "Snow"), NULL), 401);
	ck_assert_int_eq(post(&e, resident, alert_body("N2", NULL, now - 60,
	    now + 3600, "Snow"), NULL), 403);
	ck_assert_int_eq(post(&e, partner_other, alert_body("N2", NULL,
	    now - 60, now + 3600, "Snow"), NULL), 403);
	problem_code(&e, "POST", ALERTS, mairie, alert_body("N2", NULL,
	    now - 60, now + 3600, "Snow"), 403, "\"forbidden\"");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.alerts"), 0);
	/* The department in charge, and a partner with the scope. */
	ck_assert_int_eq(post(&e, tech, alert_body("N2", NULL, now - 60,
	    now + 3600, "Snow"), id), 201);
	ck_assert_int_eq(post(&e, partner_write, alert_body(NULL, "CESANA",
	    now - 60, now + 3600, "Road closed"), id2), 201);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.alerts WHERE posted_by = 'department:"
	    "services_techniques' AND id = '%s'", id), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.alerts WHERE posted_by LIKE 'client:%%' AND id = '%s'",
	    id2), 1);
	/* What the schema cannot say. */
	problem_code(&e, "POST", ALERTS, tech, alert_body(NULL, NULL,
	    now - 60, now + 3600, "Snow"), 422, "shuttle_alert_no_target");
	problem_code(&e, "POST", ALERTS, tech, alert_body("N2", NULL,
	    now + 60, now - 3600, "Snow"), 422, "shuttle_alert_period");
	/* A typo would inform about nothing: named in the detail. */
	problem_code(&e, "POST", ALERTS, tech, alert_body("N9", "MTG_OFICE",
	    now - 60, now + 3600, "Snow"), 422, "route N9, stop MTG_OFICE");
	problem_code(&e, "POST", ALERTS, tech, alert_body("N9", NULL,
	    now - 60, now + 3600, "Snow"), 422, "shuttle_alert_unknown");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.alerts"), 2);
	p = alert_body("N2", NULL, now, now + 60, "Snow");
	json_object_set_new(p, "cause", json_string("avalanche"));
	problem_code(&e, "POST", ALERTS, tech, p, 422, "validation");
	/* The answer: the alert, its periods as the API says times. */
	j = idl_sendj(&e, "POST", ALERTS, partner_write, alert_body("N3",
	    NULL, now, now + 60, "Late"), &st);
	ck_assert_int_eq(st, 201);
	idl_assert_strs(j, "cause", "weather", "effect",
	    "significant_delays", "header", "Neige sur la route", NULL);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j,
	    "route_ids"), 0)), "N3");
	ck_assert_int_eq(strlen(idl_jstr(json_array_get(json_object_get(j,
	    "active_periods"), 0), "start")), 20);
	json_decref(j);
	/* Removing: operators only; then it is gone. */
	path = harness_printf(ALERTS "/%s", id);
	problem_code(&e, "DELETE", path, mairie, NULL, 403,
	    "\"forbidden\"");
	ck_assert_int_eq(idl_status(&e, "DELETE", path, partner_other, NULL),
	    403);
	ck_assert_int_eq(idl_status(&e, "DELETE", path, tech, NULL), 204);
	problem_code(&e, "DELETE", path, tech, NULL, 404,
	    "shuttle_alert_not_found");
	free(path);
	free(tech);
	free(mairie);
	free(resident);
	free(partner_write);
	free(partner_other);
	idl_stop(&e);
}
END_TEST

/* Another department in charge (shuttles_department): its agents, only. */
START_TEST(test_department_setting)
{
	static const char *const extra[] = { "--shuttles-department",
	    "mairie", NULL };
	struct idenv	 e;
	char		*tech, *mairie;
	time_t		 now = time(NULL);

	memset(&e, 0, sizeof(e));
	e.extra = extra;
	idl_start(&e);
	tech = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	problem_code(&e, "POST", ALERTS, tech, alert_body("N2", NULL,
	    now - 60, now + 3600, "Snow"), 403, "\"forbidden\"");
	ck_assert_int_eq(post(&e, mairie, alert_body("N2", NULL, now - 60,
	    now + 3600, "Snow"), NULL), 201);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.alerts WHERE posted_by = 'department:mairie'"), 1);
	free(tech);
	free(mairie);
	idl_stop(&e);
}
END_TEST

/* The alerts of 'j' (an array of alerts) as "id,id,..." */
static char *
ids_of(const json_t *alerts)
{
	const json_t	*a;
	char		*s = strdup(""), *t;
	size_t		 i;

	json_array_foreach(alerts, i, a) {
		t = harness_printf("%s%s%s", s, i > 0 ? "," : "",
		    idl_jstr(a, "id"));
		free(s);
		s = t;
	}
	return (s);
}

/* The item of list 'path' whose 'key' is 'value'. */
static char *
alerts_of(struct idenv *e, const char *path, const char *key,
    const char *value, const char *lang)
{
	struct http_resp r;
	const json_t	*it;
	json_t		*j;
	char		*h = lang != NULL ? harness_printf("Accept-Language: %s",
			    lang) : NULL, *s = NULL;
	size_t		 i;

	ck_assert_int_eq(idl_req_with(e, "GET", path, NULL, h, NULL, &r), 200);
	j = harness_json(&r);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (strcmp(idl_jstr(it, key), value) == 0) {
			s = ids_of(json_object_get(it, "alerts"));
			if (json_array_size(json_object_get(it, "alerts")) > 0 &&
			    lang != NULL && strcmp(lang, "en") == 0)
				ck_assert_str_eq(idl_jstr(json_array_get(
				    json_object_get(it, "alerts"), 0),
				    "header"), "Snow");
		}
	ck_assert_msg(s != NULL, "no %s %s in %s", key, value, path);
	json_decref(j);
	http_resp_free(&r);
	free(h);
	return (s);
}

/*
 * The alerts on that item, once the change has reached the server's
 * cache (its notification is asynchronous): within 2 s, the ids 'want'.
 */
static void
assert_alerts(struct idenv *e, const char *path, const char *key,
    const char *value, const char *lang, const char *want)
{
	char	*s = NULL;
	int	 i;

	for (i = 0; i < 40; i++) {
		free(s);
		s = alerts_of(e, path, key, value, lang);
		if (strcmp(s, want) == 0)
			break;
		harness_sleep_ms(50);
	}
	ck_assert_msg(strcmp(s, want) == 0, "%s %s: alerts [%s], not [%s]",
	    path, value, s, want);
	free(s);
}

#define DEPARTURES	"/api/v1/shuttles/stops/MTG_OFFICE/departures?" \
			"limit=20&at=2026-12-21T06:00:00Z"

/*
 * The alerts of the departures at MTG_OFFICE (DEPARTURES): "stop|route",
 * the ids on the stop, then those on the items of route N2 (all the same,
 * or the answer says "mixed").
 */
static char *
dep_alerts(struct idenv *e)
{
	const json_t	*it;
	json_t		*j;
	char		*stop, *route = NULL, *s, *out;
	size_t		 i;
	long		 st;

	j = idl_reqj(e, "GET", DEPARTURES, NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	stop = ids_of(json_object_get(json_object_get(j, "stop"), "alerts"));
	json_array_foreach(json_object_get(j, "items"), i, it) {
		if (strcmp(idl_jstr(it, "route_id"), "N2") != 0)
			continue;
		s = ids_of(json_object_get(it, "alerts"));
		if (route == NULL)
			route = s;
		else {
			if (strcmp(route, s) != 0) {
				free(route);
				route = strdup("mixed");
			}
			free(s);
		}
	}
	ck_assert_msg(route != NULL, "no departure of N2 in " DEPARTURES);
	out = harness_printf("%s|%s", stop, route);
	free(stop);
	free(route);
	json_decref(j);
	return (out);
}

/* The departures' alerts, within 2 s: "stop|route" as dep_alerts(). */
static void
assert_dep_alerts(struct idenv *e, const char *want)
{
	char	*s = NULL;
	int	 i;

	for (i = 0; i < 40; i++) {
		free(s);
		s = dep_alerts(e);
		if (strcmp(s, want) == 0)
			break;
		harness_sleep_ms(50);
	}
	ck_assert_msg(strcmp(s, want) == 0, "departures: alerts [%s], not "
	    "[%s]", s, want);
	free(s);
}

START_TEST(test_alerts_appear)
{
	struct idenv	 e;
	char		*tech, id[40], future[40], *s, *path;
	time_t		 now = time(NULL);
	json_t		*j;
	long		 st;

	idl_start_new(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	/* Read (and cached) before the alert. */
	s = alerts_of(&e, "/api/v1/shuttles/routes", "route_id", "N2", NULL);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(post(&e, tech, alert_body("N2", "MTG_OFFICE",
	    now - 600, now + 3600, "Snow"), id), 201);
	ck_assert_int_eq(post(&e, tech, alert_body("N1", "MTG_CHALVET",
	    now + 86400, now + 90000, "Tomorrow"), future), 201);
	/* At once, on what it informs about only; not the future one. */
	assert_alerts(&e, "/api/v1/shuttles/routes", "route_id", "N2", "en",
	    id);
	assert_alerts(&e, "/api/v1/shuttles/routes", "route_id", "N1", NULL,
	    "");
	assert_alerts(&e, "/api/v1/shuttles/stops?limit=100", "stop_id",
	    "MTG_OFFICE", "en", id);
	assert_alerts(&e, "/api/v1/shuttles/stops?limit=100", "stop_id",
	    "MTG_CHALVET", NULL, "");
	s = alerts_of(&e, ALERTS, "id", id, NULL);
	free(s);
	j = idl_reqj(&e, "GET", ALERTS, NULL, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	/* The departures: the stop's, and those of route N2. */
	path = harness_printf("/api/v1/shuttles/stops/MTG_OFFICE/departures?"
	    "limit=20&at=2026-12-21T06:00:00Z");
	j = idl_reqj(&e, "GET", path, NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	s = ids_of(json_object_get(json_object_get(j, "stop"), "alerts"));
	ck_assert_str_eq(s, id);
	free(s);
	{
		const json_t	*it;
		size_t		 i;
		int		 n2 = 0;

		json_array_foreach(json_object_get(j, "items"), i, it) {
			s = ids_of(json_object_get(it, "alerts"));
			if (strcmp(idl_jstr(it, "route_id"), "N2") == 0) {
				ck_assert_str_eq(s, id);
				n2++;
			} else
				ck_assert_str_eq(s, "");
			free(s);
		}
		ck_assert_int_ge(n2, 1);
	}
	json_decref(j);
	free(path);
	/* Removed: gone at once. */
	path = harness_printf(ALERTS "/%s", id);
	ck_assert_int_eq(idl_status(&e, "DELETE", path, tech, NULL), 204);
	free(path);
	assert_alerts(&e, "/api/v1/shuttles/routes", "route_id", "N2", NULL,
	    "");
	free(tech);
	idl_stop(&e);
}
END_TEST

/*
 * The process that posts or removes an alert drops its cached routes and
 * stops itself, once committed: with the notification of migration 024
 * turned off, so that nothing else empties the cache (it would for 5
 * minutes), the very next read shows the change, and the one after the
 * removal no longer does.
 */
START_TEST(test_alerts_cache_dropped_at_once)
{
	struct idenv	 e;
	char		*tech, id[40], *s, *path, *both;
	time_t		 now = time(NULL);
	int		 round;

	idl_start_new(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE shuttles.alerts "
	    "DISABLE TRIGGER alerts_cache"), 0);
	for (round = 0; round < 2; round++) {
		/* Read, and so cached, before the change. */
		s = alerts_of(&e, "/api/v1/shuttles/routes", "route_id", "N2",
		    NULL);
		ck_assert_str_eq(s, "");
		free(s);
		s = alerts_of(&e, "/api/v1/shuttles/stops?limit=100",
		    "stop_id", "MTG_OFFICE", NULL);
		ck_assert_str_eq(s, "");
		free(s);
		/* The departures: their timetable, kept, too. */
		s = dep_alerts(&e);
		ck_assert_str_eq(s, "|");
		free(s);
		ck_assert_int_eq(post(&e, tech, alert_body("N2", "MTG_OFFICE",
		    now - 600, now + 3600, "Snow"), id), 201);
		s = dep_alerts(&e);
		both = harness_printf("%s|%s", id, id);
		ck_assert_str_eq(s, both);
		free(both);
		free(s);
		s = alerts_of(&e, "/api/v1/shuttles/routes", "route_id", "N2",
		    NULL);
		ck_assert_str_eq(s, id);
		free(s);
		s = alerts_of(&e, "/api/v1/shuttles/stops?limit=100",
		    "stop_id", "MTG_OFFICE", NULL);
		ck_assert_str_eq(s, id);
		free(s);
		path = harness_printf(ALERTS "/%s", id);
		ck_assert_int_eq(idl_status(&e, "DELETE", path, tech, NULL),
		    204);
		free(path);
		/* The loop's next reads: gone at once. */
	}
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE shuttles.alerts "
	    "ENABLE TRIGGER alerts_cache"), 0);
	free(tech);
	idl_stop(&e);
}
END_TEST

/*
 * An alert that starts and ends later shows in the cached routes and
 * stops from its start to its end: no change to the data tells the cache
 * then, time does (cache_store_until()).
 */
START_TEST(test_alerts_cache_follows_periods)
{
	struct idenv	 e;
	char		*tech, id[40], *s, *both;
	time_t		 now;
	int		 k;
	static const char *const reads[][3] = {
		{ "/api/v1/shuttles/routes", "route_id", "N2" },
		{ "/api/v1/shuttles/stops?limit=100", "stop_id", "MTG_OFFICE" },
	};

	idl_start_new(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	/*
	 * Taken once the server and the agent are ready (their start, with
	 * its password hashing, took more than the period's lead on a busy
	 * machine); the lead leaves the reads below time to come first.
	 */
	now = time(NULL);
	ck_assert_int_eq(post(&e, tech, alert_body("N2", "MTG_OFFICE",
	    now + 5, now + 9, "Snow"), id), 201);
	/* Read, and so cached, before it starts. */
	for (k = 0; k < 2; k++) {
		s = alerts_of(&e, reads[k][0], reads[k][1], reads[k][2], NULL);
		ck_assert_str_eq(s, "");
		free(s);
	}
	s = dep_alerts(&e);
	ck_assert_str_eq(s, "|");
	free(s);
	while (time(NULL) < now + 6)
		usleep(100000);
	for (k = 0; k < 2; k++) {
		s = alerts_of(&e, reads[k][0], reads[k][1], reads[k][2], NULL);
		ck_assert_msg(strcmp(s, id) == 0, "%s: the alert from its "
		    "start: '%s'", reads[k][0], s);
		free(s);
	}
	s = dep_alerts(&e);
	both = harness_printf("%s|%s", id, id);
	ck_assert_msg(strcmp(s, both) == 0, "departures: the alert from its "
	    "start: '%s'", s);
	free(both);
	free(s);
	while (time(NULL) < now + 10)
		usleep(100000);
	for (k = 0; k < 2; k++) {
		s = alerts_of(&e, reads[k][0], reads[k][1], reads[k][2], NULL);
		ck_assert_msg(strcmp(s, "") == 0, "%s: no alert after its "
		    "end: '%s'", reads[k][0], s);
		free(s);
	}
	s = dep_alerts(&e);
	ck_assert_msg(strcmp(s, "|") == 0, "departures: no alert after its "
	    "end: '%s'", s);
	free(s);
	free(tech);
	idl_stop(&e);
}
END_TEST

/*
 * The departures are computed on every request from the timetable each
 * guichetd keeps (src/shuttles/timetable.c), not read again: forty
 * answers at forty instants cost the database fewer statements than
 * there are requests (guichet_db_statements_total counts them: a read per
 * request would be forty).  A change made by another process, an alert
 * written in SQL or posted through another guichetd on the database,
 * reaches them through the notification within a second, and so does its
 * removal.
 */
START_TEST(test_departures_from_memory)
{
	struct idenv	 e, b;
	char		*path, *id, *both, *tech, other[40];
	long		 before, after, st;
	json_t		*j;
	int		 i;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_status(&e, "GET", DEPARTURES, NULL, NULL), 200);
	before = harness_metric(&e.s, "guichet_db_statements_total");
	ck_assert_int_gt(before, 0);
	for (i = 0; i < 40; i++) {
		/* forty instants over eight days, some after midnight */
		path = harness_printf("/api/v1/shuttles/stops/MTG_OFFICE/"
		    "departures?limit=5&at=2026-12-%02dT%02d:%02d:00Z",
		    14 + i / 5, (i * 5) % 24, (i * 7) % 60);
		j = idl_reqj(&e, "GET", path, NULL, NULL, &st);
		ck_assert_int_eq(st, 200);
		ck_assert_int_gt(json_array_size(json_object_get(j, "items")),
		    0);
		json_decref(j);
		free(path);
	}
	after = harness_metric(&e.s, "guichet_db_statements_total");
	ck_assert_msg(after - before < 20, "%ld statements for 40 departures",
	    after - before);
	/* Another process's change: the notification tells. */
	id = idl_sql(&e, "INSERT INTO shuttles.alerts (cause, effect, active, "
	    "periods, route_ids, stop_ids, header_fr, header_en, header_it, "
	    "description_fr, description_en, description_it, posted_by, "
	    "created_at, updated_at) VALUES ('weather', 'detour', "
	    "'{(,)}', '[]', '{N2}', '{MTG_OFFICE}', 'Neige', 'Snow', 'Neve', "
	    "'', '', '', 'department:services_techniques', now(), now()) "
	    "RETURNING id");
	both = harness_printf("%s|%s", id, id);
	assert_dep_alerts(&e, both);
	ck_assert_int_eq(idl_sql_exec(&e, "DELETE FROM shuttles.alerts WHERE "
	    "id = '%s'", id), 0);
	assert_dep_alerts(&e, "|");
	free(both);
	free(id);
	/* Another guichetd on the database: what it takes, this one tells. */
	memset(&b, 0, sizeof(b));
	b.db = strdup(e.db);
	idl_start(&b);
	tech = cl_agent(&e, CL_TECH);
	ck_assert_int_eq(post(&b, tech, alert_body("N2", "MTG_OFFICE",
	    time(NULL) - 600, time(NULL) + 3600, "Snow"), other), 201);
	both = harness_printf("%s|%s", other, other);
	assert_dep_alerts(&e, both);
	free(both);
	path = harness_printf(ALERTS "/%s", other);
	ck_assert_int_eq(idl_status(&b, "DELETE", path, tech, NULL), 204);
	free(path);
	assert_dep_alerts(&e, "|");
	free(tech);
	idl_stop(&b);
	idl_stop(&e);
}
END_TEST

/* protoc --decode of 'pb' (a file): its text format, or NULL. */
static char *
decode(const char *pb)
{
	char		*proto_dir = harness_src("src/shuttles");
	char		*cmd = harness_printf("protoc --proto_path='%s' "
			    "--decode=transit_realtime.FeedMessage "
			    "gtfs-realtime.proto < '%s'", proto_dir, pb);
	const char	*argv[] = { "/bin/sh", "-c", cmd, NULL };
	char		*out = NULL, *err = NULL;
	int		 rc;

	rc = harness_exec(argv, NULL, 30000, &out, &err);
	ck_assert_msg(rc == 0, "protoc: %d: %s", rc, err);
	free(err);
	free(cmd);
	free(proto_dir);
	return (out);
}

START_TEST(test_gtfs_rt_feed)
{
	struct idenv	 e;
	struct http_resp r;
	char		*tech, *operator, a[40], b[40], *pb, *text, *want;
	const char	*p;
	time_t		 now = time(NULL), t0, t1;
	unsigned long	 ts;
	json_t		*body;

	idl_start_new(&e, NULL);
	tech = cl_agent(&e, CL_TECH);
	operator = partner(&e, "shuttles:write");
	t0 = now - 600;
	t1 = now + 3600;
	ck_assert_int_eq(post(&e, tech, alert_body("N2", "MTG_OFFICE", t0, t1,
	    "Snow"), a), 201);
	/* No period (always), a stop only, no URL, another cause. */
	body = alert_body(NULL, "CESANA", t0, t1, "Closed");
	json_object_del(body, "active_periods");
	json_object_del(body, "url");
	json_object_set_new(body, "cause", json_string("construction"));
	json_object_set_new(body, "effect", json_string("no_service"));
	ck_assert_int_eq(post(&e, operator, body, b), 201);
	ck_assert_int_eq(idl_req(&e, "GET", "/gtfs-rt/alerts.pb", NULL, NULL,
	    &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"),
	    "application/x-protobuf");
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "public, max-age=30");
	pb = harness_printf("%s/%d-alerts.pb", harness_tmpdir(),
	    (int)getpid());
	{
		FILE	*f = fopen(pb, "wb");

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(r.body, 1, r.body_len, f),
		    r.body_len);
		fclose(f);
	}
	http_resp_free(&r);
	text = decode(pb);
	/* The header: version, full dataset, the server's time. */
	p = "header {\n  gtfs_realtime_version: \"2.0\"\n"
	    "  incrementality: FULL_DATASET\n  timestamp: ";
	ck_assert_msg(strncmp(text, p, strlen(p)) == 0, "%s", text);
	ck_assert_int_eq(sscanf(text + strlen(p), "%lu", &ts), 1);
	ck_assert_msg(ts >= (unsigned long)now && ts <= (unsigned long)
	    time(NULL), "timestamp %lu", ts);
	ck_assert_int_eq(idl_count(text, "\nentity {"), 2);
	/* Every field of each alert. */
	want = harness_printf("entity {\n  id: \"%s\"\n  alert {\n"
	    "    active_period {\n      start: %ld\n      end: %ld\n    }\n"
	    "    informed_entity {\n      route_id: \"N2\"\n    }\n"
	    "    informed_entity {\n      stop_id: \"MTG_OFFICE\"\n    }\n"
	    "    cause: WEATHER\n    effect: SIGNIFICANT_DELAYS\n"
	    "    url {\n      translation {\n        text: "
	    "\"https://montgenevre.example/info\"\n      }\n    }\n"
	    "    header_text {\n"
	    "      translation {\n        text: \"Neige sur la route\"\n"
	    "        language: \"fr\"\n      }\n"
	    "      translation {\n        text: \"Snow\"\n"
	    "        language: \"en\"\n      }\n"
	    "      translation {\n        text: \"Neve sulla strada\"\n"
	    "        language: \"it\"\n      }\n    }\n"
	    "    description_text {\n"
	    "      translation {\n        text: \"Prevoir 20 minutes de "
	    "retard.\"\n        language: \"fr\"\n      }\n"
	    "      translation {\n        text: \"Expect 20 minutes of "
	    "delay.\"\n        language: \"en\"\n      }\n"
	    "      translation {\n        text: \"Prevedere 20 minuti di "
	    "ritardo.\"\n        language: \"it\"\n      }\n    }\n"
	    "  }\n}\n", a, (long)t0, (long)t1);
	ck_assert_msg(strstr(text, want) != NULL, "%s\nwanted:\n%s", text,
	    want);
	free(want);
	want = harness_printf("entity {\n  id: \"%s\"\n  alert {\n"
	    "    informed_entity {\n      stop_id: \"CESANA\"\n    }\n"
	    "    cause: CONSTRUCTION\n    effect: NO_SERVICE\n"
	    "    header_text {\n", b);
	ck_assert_msg(strstr(text, want) != NULL, "%s\nwanted:\n%s", text,
	    want);
	p = strstr(text, want);
	ck_assert_ptr_null(strstr(p, "url {"));
	free(want);
	free(text);
	/* Removed: the feed has one entity left. */
	want = harness_printf(ALERTS "/%s", a);
	ck_assert_int_eq(idl_status(&e, "DELETE", want, tech, NULL), 204);
	free(want);
	ck_assert_int_eq(idl_req(&e, "GET", "/gtfs-rt/alerts.pb", NULL, NULL,
	    &r), 200);
	{
		FILE	*f = fopen(pb, "wb");

		ck_assert_ptr_nonnull(f);
		fwrite(r.body, 1, r.body_len, f);
		fclose(f);
	}
	http_resp_free(&r);
	text = decode(pb);
	ck_assert_int_eq(idl_count(text, "\nentity {"), 1);
	ck_assert_ptr_nonnull(strstr(text, b));
	ck_assert_ptr_null(strstr(text, a));
	free(text);
	free(pb);
	free(tech);
	free(operator);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_who_may_post,
	&test_department_setting,
	&test_alerts_appear,
	&test_alerts_cache_dropped_at_once,
	&test_alerts_cache_follows_periods,
	&test_departures_from_memory,
	&test_gtfs_rt_feed,
	NULL
};

const struct test_group test_groups[] = {
	{ "alerts", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
