/*
 * alerts.c: the alerts operators post on the shuttles, with
 * GTFS-Realtime's Alert semantics: a cause, an effect, active periods
 * (none: always), the routes and stops they inform about (ids of the
 * feed), a header and a description in fr, en and it, a URL.
 *
 * Posting is one business operation (alerts_post()); the public form
 * (alerts_json()) goes on the routes, stops and departures they affect;
 * alerts_feed() is the GTFS-Realtime FeedMessage of the active ones
 * (FULL_DATASET), packed with protobuf-c from the C that protoc-c makes
 * of gtfs-realtime.proto at build time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/lang.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "json/check.h"
#include "shuttles/gtfs-realtime.pb-c.h"
#include "shuttles/shuttles_int.h"

#define PERIODS_MAX	20
#define ENTITIES_MAX	50

/* The names of the API are GTFS-RT's enumerators in lower case. */
static const struct { const char *name; int value; } causes[] = {
	{ "unknown_cause", TRANSIT_REALTIME__ALERT__CAUSE__UNKNOWN_CAUSE },
	{ "other_cause", TRANSIT_REALTIME__ALERT__CAUSE__OTHER_CAUSE },
	{ "technical_problem",
	  TRANSIT_REALTIME__ALERT__CAUSE__TECHNICAL_PROBLEM },
	{ "strike", TRANSIT_REALTIME__ALERT__CAUSE__STRIKE },
	{ "demonstration", TRANSIT_REALTIME__ALERT__CAUSE__DEMONSTRATION },
	{ "accident", TRANSIT_REALTIME__ALERT__CAUSE__ACCIDENT },
	{ "holiday", TRANSIT_REALTIME__ALERT__CAUSE__HOLIDAY },
	{ "weather", TRANSIT_REALTIME__ALERT__CAUSE__WEATHER },
	{ "maintenance", TRANSIT_REALTIME__ALERT__CAUSE__MAINTENANCE },
	{ "construction", TRANSIT_REALTIME__ALERT__CAUSE__CONSTRUCTION },
	{ "police_activity", TRANSIT_REALTIME__ALERT__CAUSE__POLICE_ACTIVITY },
	{ "medical_emergency",
	  TRANSIT_REALTIME__ALERT__CAUSE__MEDICAL_EMERGENCY },
	{ "special_event", TRANSIT_REALTIME__ALERT__CAUSE__SPECIAL_EVENT },
}, effects[] = {
	{ "no_service", TRANSIT_REALTIME__ALERT__EFFECT__NO_SERVICE },
	{ "reduced_service", TRANSIT_REALTIME__ALERT__EFFECT__REDUCED_SERVICE },
	{ "significant_delays",
	  TRANSIT_REALTIME__ALERT__EFFECT__SIGNIFICANT_DELAYS },
	{ "detour", TRANSIT_REALTIME__ALERT__EFFECT__DETOUR },
	{ "additional_service",
	  TRANSIT_REALTIME__ALERT__EFFECT__ADDITIONAL_SERVICE },
	{ "modified_service",
	  TRANSIT_REALTIME__ALERT__EFFECT__MODIFIED_SERVICE },
	{ "other_effect", TRANSIT_REALTIME__ALERT__EFFECT__OTHER_EFFECT },
	{ "unknown_effect", TRANSIT_REALTIME__ALERT__EFFECT__UNKNOWN_EFFECT },
	{ "stop_moved", TRANSIT_REALTIME__ALERT__EFFECT__STOP_MOVED },
	{ "no_effect", TRANSIT_REALTIME__ALERT__EFFECT__NO_EFFECT },
	{ "accessibility_issue",
	  TRANSIT_REALTIME__ALERT__EFFECT__ACCESSIBILITY_ISSUE },
};

static const char *const cause_names[] = { "unknown_cause", "other_cause",
    "technical_problem", "strike", "demonstration", "accident", "holiday",
    "weather", "maintenance", "construction", "police_activity",
    "medical_emergency", "special_event", NULL };
static const char *const effect_names[] = { "no_service", "reduced_service",
    "significant_delays", "detour", "additional_service", "modified_service",
    "other_effect", "unknown_effect", "stop_moved", "no_effect",
    "accessibility_issue", NULL };

/* A text in French, English and Italian, each of 'min' to 'max'. */
#define ALERT_TEXT_FIELDS(min, max) { \
	{ .name = "fr", .kind = JK_STRING, .flags = JF_REQUIRED, \
	  .min_len = (min), .max_len = (max) }, \
	{ .name = "en", .kind = JK_STRING, .flags = JF_REQUIRED, \
	  .min_len = (min), .max_len = (max) }, \
	{ .name = "it", .kind = JK_STRING, .flags = JF_REQUIRED, \
	  .min_len = (min), .max_len = (max) }, \
	{ NULL, JK_END, 0, 0, 0, 0, 0, 0, NULL, NULL, JK_END } \
}

static const struct json_field text_fields[] = ALERT_TEXT_FIELDS(1, 200);
static const struct json_spec text_spec = { "ShuttleAlertText",
    text_fields, 0 };
static const struct json_field desc_fields[] = ALERT_TEXT_FIELDS(0, 4000);
static const struct json_spec desc_spec = { "ShuttleAlertDescription",
    desc_fields, 0 };
static const struct json_field period_fields[] = {
	{ .name = "start", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .format = JF_DATETIME },
	{ .name = "end", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .format = JF_DATETIME },
	{ NULL, JK_END, 0, 0, 0, 0, 0, 0, NULL, NULL, JK_END }
};
static const struct json_spec period_spec = { "ShuttleAlertPeriodInput",
    period_fields, 0 };
static const struct json_field alert_fields[] = {
	{ .name = "cause", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = cause_names },
	{ .name = "effect", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = effect_names },
	{ .name = "active_periods", .kind = JK_ARRAY, .max_len = PERIODS_MAX,
	  .object = &period_spec, .items = JK_OBJECT },
	{ .name = "route_ids", .kind = JK_ARRAY, .max_len = ENTITIES_MAX,
	  .items = JK_STRING },
	{ .name = "stop_ids", .kind = JK_ARRAY, .max_len = ENTITIES_MAX,
	  .items = JK_STRING },
	{ .name = "header", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &text_spec },
	{ .name = "description", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &desc_spec },
	{ .name = "url", .kind = JK_STRING, .min_len = 8, .max_len = 500 },
	{ NULL, JK_END, 0, 0, 0, 0, 0, 0, NULL, NULL, JK_END }
};
const struct json_spec shuttles_alert_spec = { "ShuttleAlertInput",
    alert_fields, 0 };

static int
enum_of(const char *name, int cause)
{
	size_t	 i, n = cause ? NELEM(causes) : NELEM(effects);

	for (i = 0; i < n; i++)
		if (strcmp(cause ? causes[i].name : effects[i].name,
		    name) == 0)
			return (cause ? causes[i].value : effects[i].value);
	return (cause ? TRANSIT_REALTIME__ALERT__CAUSE__UNKNOWN_CAUSE :
	    TRANSIT_REALTIME__ALERT__EFFECT__UNKNOWN_EFFECT);
}

/* A period's bound: 0 and *t, or 1 when null/absent. */
static int
bound(const json_t *period, const char *name, int64_t *t)
{
	const char	*s = json_str(period, name);

	if (s == NULL || clock_parse(s, t) == -1)
		return (1);
	return (0);
}

/*
 * The ids of 'routes' and 'stops' (JSON texts) that the feed does not
 * have, into 'arg' ("route N9, stop X"): 1 when some, 0, or -1.
 */
static int
unknown_ids(struct db *db, const char *routes, const char *stops, char *arg,
    size_t arglen, struct db_error *err)
{
	struct db_res	*res;
	const char	*p[2], *r, *s;
	int		 n;

	p[0] = routes;
	p[1] = stops;
	if (db_exec(db, SHUT_STMT(SS_ALERT_UNKNOWN), p, &res, err) == -1)
		return (-1);
	r = db_str(res, 0, "routes");
	s = db_str(res, 0, "stops");
	n = r != NULL || s != NULL;
	snprintf(arg, arglen, "%s%s%s", r != NULL ? r : "",
	    r != NULL && s != NULL ? ", " : "", s != NULL ? s : "");
	db_res_free(res);
	return (n);
}

int
alerts_post(struct db *db, const json_t *in, const char *posted_by,
    int64_t now, char *id, size_t idlen, enum shuttles_err *problem,
    char *arg, size_t arglen, struct db_error *err)
{
	const json_t	*periods = json_object_get(in, "active_periods");
	const json_t	*routes = json_object_get(in, "route_ids");
	const json_t	*stops = json_object_get(in, "stop_ids");
	const json_t	*h = json_object_get(in, "header");
	const json_t	*d = json_object_get(in, "description");
	const json_t	*v;
	struct db_res	*res = NULL;
	const char	*p[14];
	char		*pj = NULL, *rj, *sj, when[40], a[40], b[40];
	int64_t		 s, e;
	size_t		 i;
	int		 rc = -1, has_s, has_e;
	json_t		*norm;

	if (arglen > 0)
		arg[0] = '\0';
	json_array_foreach(periods, i, v) {
		has_s = !bound(v, "start", &s);
		has_e = !bound(v, "end", &e);
		if (has_s && has_e && e <= s) {
			*problem = SHE_ALERT_PERIOD;
			return (1);
		}
	}
	if (json_array_size(routes) + json_array_size(stops) == 0) {
		*problem = SHE_ALERT_NO_TARGET;
		return (1);
	}
	rj = routes != NULL ? json_dumps(routes, JSON_COMPACT) : strdup("[]");
	sj = stops != NULL ? json_dumps(stops, JSON_COMPACT) : strdup("[]");
	/* A typo would inform about nothing: the ids are the feed's. */
	if ((rc = unknown_ids(db, rj, sj, arg, arglen, err)) != 0) {
		*problem = SHE_ALERT_UNKNOWN;
		goto out;
	}
	rc = -1;
	/* The periods as the API says times: UTC to the second, or null. */
	norm = json_array();
	json_array_foreach(periods, i, v) {
		has_s = !bound(v, "start", &s);
		has_e = !bound(v, "end", &e);
		if (has_s)
			clock_format(s / 1000000 * 1000000, a, sizeof(a));
		if (has_e)
			clock_format(e / 1000000 * 1000000, b, sizeof(b));
		json_array_append_new(norm, json_pack("{s:s?, s:s?}", "start",
		    has_s ? a : NULL, "end", has_e ? b : NULL));
	}
	pj = json_dumps(norm, JSON_COMPACT);
	json_decref(norm);
	clock_format(now, when, sizeof(when));
	p[0] = json_str(in, "cause");
	p[1] = json_str(in, "effect");
	p[2] = pj;
	p[3] = rj;
	p[4] = sj;
	p[5] = json_str(h, "fr");
	p[6] = json_str(h, "en");
	p[7] = json_str(h, "it");
	p[8] = json_str(d, "fr");
	p[9] = json_str(d, "en");
	p[10] = json_str(d, "it");
	p[11] = json_str(in, "url");
	p[12] = posted_by;
	p[13] = when;
	if (db_exec(db, SHUT_STMT(SS_ALERT_INSERT), p, &res, err) == -1)
		goto out;
	snprintf(id, idlen, "%s", db_str(res, 0, "id"));
	db_res_free(res);
	rc = 0;
out:
	free(pj);
	free(rj);
	free(sj);
	return (rc);
}

static json_t *
json_text(const char *s)
{
	json_t	*j = s != NULL ? json_loads(s, 0, NULL) : NULL;

	return (j != NULL ? j : json_array());
}

json_t *
alerts_json(const struct db_res *res, int first, enum lang lang)
{
	const char	*l = lang_code(lang);
	char		 hcol[24], dcol[24];
	json_t		*all = json_array(), *a;
	int		 i;

	snprintf(hcol, sizeof(hcol), "header_%s", l);
	snprintf(dcol, sizeof(dcol), "description_%s", l);
	for (i = first; i < db_res_rows(res); i++) {
		a = json_pack("{s:s?, s:s?, s:s?, s:o, s:o, s:o, s:s?, s:s?, "
		    "s:s?}",
		    "id", db_str(res, i, "id"),
		    "cause", db_str(res, i, "cause"),
		    "effect", db_str(res, i, "effect"),
		    "active_periods", json_text(db_str(res, i, "periods")),
		    "route_ids", json_text(db_str(res, i, "route_ids")),
		    "stop_ids", json_text(db_str(res, i, "stop_ids")),
		    "header", db_str(res, i, hcol),
		    "description", db_str(res, i, dcol),
		    "url", db_str(res, i, "url"));
		json_array_append_new(all, a);
	}
	return (all);
}

/* The alerts of 'all' (alerts_json()) whose 'member' array holds 'id'. */
json_t *
alerts_on(const json_t *all, const char *member, const char *id)
{
	const json_t	*a, *v;
	json_t		*out = json_array();
	size_t		 i, j;

	json_array_foreach(all, i, a)
		json_array_foreach(json_object_get(a, member), j, v)
			if (strcmp(json_string_value(v), id) == 0) {
				json_array_append(out, (json_t *)a);
				break;
			}
	return (out);
}

/* GTFS-Realtime */

/* Everything one entity of the feed points to, freed at once. */
struct rt_alert {
	TransitRealtime__FeedEntity	 entity;
	TransitRealtime__Alert		 alert;
	TransitRealtime__TimeRange	*ranges;
	TransitRealtime__TimeRange	**range_ptrs;
	TransitRealtime__EntitySelector	*sel;
	TransitRealtime__EntitySelector	**sel_ptrs;
	TransitRealtime__TranslatedString text[3];	/* header, desc, url */
	/* The header's and description's in each language, then the url. */
#define RT_URL		(2 * LANG__COUNT)
	TransitRealtime__TranslatedString__Translation tr[RT_URL + 1];
	TransitRealtime__TranslatedString__Translation *tr_ptrs[RT_URL + 1];
	json_t				*periods, *routes, *stops;
};

/* A TranslatedString of the columns <col>_fr, _en, _it of row i. */
static void
translated(struct rt_alert *a, int which, const struct db_res *res, int i,
    const char *col)
{
	TransitRealtime__TranslatedString	*t = &a->text[which];
	char					 name[32];
	int					 k, base = which * LANG__COUNT;

	transit_realtime__translated_string__init(t);
	for (k = 0; k < LANG__COUNT; k++) {
		transit_realtime__translated_string__translation__init(
		    &a->tr[base + k]);
		snprintf(name, sizeof(name), "%s_%s", col,
		    lang_code((enum lang)k));
		a->tr[base + k].text = (char *)db_str(res, i, name);
		a->tr[base + k].language = (char *)lang_code((enum lang)k);
		a->tr_ptrs[base + k] = &a->tr[base + k];
	}
	t->n_translation = LANG__COUNT;
	t->translation = &a->tr_ptrs[base];
}

static void
rt_alert_fill(struct rt_alert *a, const struct db_res *res, int i)
{
	const json_t	*v;
	size_t		 k, n;
	int64_t		 t;

	memset(a, 0, sizeof(*a));
	transit_realtime__feed_entity__init(&a->entity);
	transit_realtime__alert__init(&a->alert);
	a->entity.id = (char *)db_str(res, i, "id");
	a->entity.alert = &a->alert;
	a->alert.has_cause = 1;
	a->alert.cause = enum_of(db_str(res, i, "cause"), 1);
	a->alert.has_effect = 1;
	a->alert.effect = enum_of(db_str(res, i, "effect"), 0);
	a->periods = json_text(db_str(res, i, "periods"));
	a->routes = json_text(db_str(res, i, "route_ids"));
	a->stops = json_text(db_str(res, i, "stop_ids"));
	n = json_array_size(a->periods);
	a->ranges = xcalloc(n + 1, sizeof(*a->ranges));
	a->range_ptrs = xcalloc(n + 1, sizeof(*a->range_ptrs));
	json_array_foreach(a->periods, k, v) {
		transit_realtime__time_range__init(&a->ranges[k]);
		if (!bound(v, "start", &t)) {
			a->ranges[k].has_start = 1;
			a->ranges[k].start = (uint64_t)(t / 1000000);
		}
		if (!bound(v, "end", &t)) {
			a->ranges[k].has_end = 1;
			a->ranges[k].end = (uint64_t)(t / 1000000);
		}
		a->range_ptrs[k] = &a->ranges[k];
	}
	a->alert.n_active_period = n;
	a->alert.active_period = a->range_ptrs;
	n = json_array_size(a->routes) + json_array_size(a->stops);
	a->sel = xcalloc(n + 1, sizeof(*a->sel));
	a->sel_ptrs = xcalloc(n + 1, sizeof(*a->sel_ptrs));
	n = 0;
	json_array_foreach(a->routes, k, v) {
		transit_realtime__entity_selector__init(&a->sel[n]);
		a->sel[n].route_id = (char *)json_string_value(v);
		a->sel_ptrs[n] = &a->sel[n];
		n++;
	}
	json_array_foreach(a->stops, k, v) {
		transit_realtime__entity_selector__init(&a->sel[n]);
		a->sel[n].stop_id = (char *)json_string_value(v);
		a->sel_ptrs[n] = &a->sel[n];
		n++;
	}
	a->alert.n_informed_entity = n;
	a->alert.informed_entity = a->sel_ptrs;
	translated(a, 0, res, i, "header");
	translated(a, 1, res, i, "description");
	a->alert.header_text = &a->text[0];
	a->alert.description_text = &a->text[1];
	if (!db_isnull(res, i, "url")) {
		transit_realtime__translated_string__init(&a->text[2]);
		transit_realtime__translated_string__translation__init(
		    &a->tr[RT_URL]);
		a->tr[RT_URL].text = (char *)db_str(res, i, "url");
		a->tr_ptrs[RT_URL] = &a->tr[RT_URL];
		a->text[2].n_translation = 1;
		a->text[2].translation = &a->tr_ptrs[RT_URL];
		a->alert.url = &a->text[2];
	}
}

static void
rt_alert_free(struct rt_alert *a)
{
	free(a->ranges);
	free(a->range_ptrs);
	free(a->sel);
	free(a->sel_ptrs);
	json_decref(a->periods);
	json_decref(a->routes);
	json_decref(a->stops);
}

int
alerts_feed(struct db *db, int64_t now, void **out, size_t *len,
    struct db_error *err)
{
	TransitRealtime__FeedMessage	 msg;
	TransitRealtime__FeedHeader	 hdr;
	TransitRealtime__FeedEntity	**ents;
	struct rt_alert			*a;
	struct db_res			*res;
	const char			*p[1];
	char				 when[40];
	int				 i, n;

	clock_format(now, when, sizeof(when));
	p[0] = when;
	if (db_exec(db, SHUT_STMT(SS_ALERTS_ACTIVE), p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	transit_realtime__feed_message__init(&msg);
	transit_realtime__feed_header__init(&hdr);
	hdr.gtfs_realtime_version = (char *)"2.0";
	hdr.has_incrementality = 1;
	hdr.incrementality =
	    TRANSIT_REALTIME__FEED_HEADER__INCREMENTALITY__FULL_DATASET;
	hdr.has_timestamp = 1;
	hdr.timestamp = (uint64_t)(now / 1000000);
	msg.header = &hdr;
	a = xcalloc((size_t)n + 1, sizeof(*a));
	ents = xcalloc((size_t)n + 1, sizeof(*ents));
	for (i = 0; i < n; i++) {
		rt_alert_fill(&a[i], res, i);
		ents[i] = &a[i].entity;
	}
	msg.n_entity = (size_t)n;
	msg.entity = ents;
	*len = transit_realtime__feed_message__get_packed_size(&msg);
	*out = xmalloc(*len + 1);
	transit_realtime__feed_message__pack(&msg, *out);
	for (i = 0; i < n; i++)
		rt_alert_free(&a[i]);
	free(a);
	free(ents);
	db_res_free(res);
	return (0);
}
