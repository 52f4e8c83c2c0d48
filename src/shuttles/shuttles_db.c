/*
 * shuttles_db.c: the shuttles module's SQL, one statement per use.  Times
 * of the feed are seconds of the service day (import.c); instants come
 * from the injectable clock as parameters, never now().
 */
#include <stddef.h>

#include "core/module.h"
#include "shuttles/shuttles_int.h"

#define DEL(t)	"DELETE FROM shuttles." t
/* The great-circle distance in metres from ($3, $4) to a stop. */
#define DISTANCE \
	"2 * 6371008.8 * asin(sqrt(power(sin(radians(s.lat - $3::float8) / 2)," \
	" 2) + cos(radians($3::float8)) * cos(radians(s.lat)) * " \
	"power(sin(radians(s.lon - $4::float8) / 2), 2)))"
/* An alert in every language (alerts_json(), alerts_feed()). */
#define ALERT_COLS \
	"id::text AS id, cause, effect, periods::text AS periods, " \
	"to_json(route_ids)::text AS route_ids, " \
	"to_json(stop_ids)::text AS stop_ids, header_fr, header_en, " \
	"header_it, description_fr, description_en, description_it, url, " \
	"created_at"

/*
 * The next instant after $1 at which an alert starts or ends (NULL:
 * none): until then the set of active alerts stays what it is.  Only the
 * alerts still to come are unnested.
 */
#define NEXT_CHANGE \
	"SELECT min(v.at) FROM shuttles.alerts a " \
	"CROSS JOIN LATERAL unnest(a.active) AS r (period) " \
	"CROSS JOIN LATERAL (VALUES (lower(r.period)), (upper(r.period))) " \
	"AS v (at) WHERE a.active && tstzrange($1::timestamptz, NULL) " \
	"AND v.at > $1::timestamptz"

/* The alert columns of the rows of SS_TIMETABLE that are not alerts. */
#define NO_ALERT \
	"NULL::text AS id, NULL::text AS cause, NULL::text AS effect, " \
	"NULL::text AS periods, NULL::text AS route_ids, " \
	"NULL::text AS stop_ids, NULL::text AS header_fr, " \
	"NULL::text AS header_en, NULL::text AS header_it, " \
	"NULL::text AS description_fr, NULL::text AS description_en, " \
	"NULL::text AS description_it, NULL::text AS url, " \
	"NULL::timestamptz AS created_at"

struct db_stmt shuttles_stmts[SS__COUNT] = {
	/* import_tx(): the old feed goes, in the transaction of the new */
	[SS_DELETE_STOP_TIMES] = { .name = "shuttles_delete_stop_times",
	  .sql = DEL("stop_times") },
	[SS_DELETE_TRIPS] = { .name = "shuttles_delete_trips",
	  .sql = DEL("trips") },
	[SS_DELETE_FREQUENCIES] = { .name = "shuttles_delete_frequencies",
	  .sql = DEL("frequencies") },
	[SS_DELETE_SHAPES] = { .name = "shuttles_delete_shapes",
	  .sql = DEL("shapes") },
	[SS_DELETE_CALENDAR_DATES] = {
	  .name = "shuttles_delete_calendar_dates",
	  .sql = DEL("calendar_dates") },
	[SS_DELETE_CALENDAR] = { .name = "shuttles_delete_calendar",
	  .sql = DEL("calendar") },
	[SS_DELETE_ROUTES] = { .name = "shuttles_delete_routes",
	  .sql = DEL("routes") },
	[SS_DELETE_STOPS] = { .name = "shuttles_delete_stops",
	  .sql = DEL("stops") },
	[SS_DELETE_AGENCIES] = { .name = "shuttles_delete_agencies",
	  .sql = DEL("agencies") },
	/* ...and the new one comes by COPY (import.c writes the rows) */
	[SS_COPY_AGENCIES] = { .name = "shuttles_copy_agencies",
	  .sql = "COPY shuttles.agencies (agency_id, name, url, timezone, "
	  "lang, phone) FROM STDIN" },
	[SS_COPY_STOPS] = { .name = "shuttles_copy_stops",
	  .sql = "COPY shuttles.stops (stop_id, code, name, description, lat, "
	  "lon, location_type, parent_station, wheelchair) FROM STDIN" },
	[SS_COPY_ROUTES] = { .name = "shuttles_copy_routes",
	  .sql = "COPY shuttles.routes (route_id, agency_id, short_name, "
	  "long_name, description, route_type, url, color, text_color) "
	  "FROM STDIN" },
	[SS_COPY_TRIPS] = { .name = "shuttles_copy_trips",
	  .sql = "COPY shuttles.trips (trip_id, route_id, service_id, headsign, "
	  "short_name, direction_id, block_id, shape_id) FROM STDIN" },
	[SS_COPY_STOP_TIMES] = { .name = "shuttles_copy_stop_times",
	  .sql = "COPY shuttles.stop_times (trip_id, stop_sequence, stop_id, "
	  "arrival, departure, headsign, pickup_type, drop_off_type) "
	  "FROM STDIN" },
	[SS_COPY_CALENDAR] = { .name = "shuttles_copy_calendar",
	  .sql = "COPY shuttles.calendar (service_id, days, start_date, "
	  "end_date) FROM STDIN" },
	[SS_COPY_CALENDAR_DATES] = { .name = "shuttles_copy_calendar_dates",
	  .sql = "COPY shuttles.calendar_dates (service_id, date, "
	  "exception_type) FROM STDIN" },
	[SS_COPY_FREQUENCIES] = { .name = "shuttles_copy_frequencies",
	  .sql = "COPY shuttles.frequencies (trip_id, start_time, end_time, "
	  "headway, exact_times) FROM STDIN" },
	[SS_COPY_SHAPES] = { .name = "shuttles_copy_shapes",
	  .sql = "COPY shuttles.shapes (shape_id, sequence, lat, lon, dist) "
	  "FROM STDIN" },
	/* then what a request does not compute (migrations 028, 032) */
	[SS_EXPAND_FEED] = { .name = "shuttles_expand_feed",
	  .sql = "SELECT shuttles.expand_feed() AS expanded", .nparams = 0 },
	/*
	 * after the import's commit: the visibility map that lets a request
	 * read the rows' indexes alone, and fresh statistics
	 */
	[SS_VACUUM] = { .name = "shuttles_vacuum_departures",
	  .sql = "VACUUM (ANALYZE) shuttles.stop_patterns, "
	  "shuttles.day_patterns, shuttles.patterns, shuttles.service_days",
	  .nparams = 0, .flags = DB_CUSTOM_PLAN },
	/* the last statement of an import */
	[SS_FEED_SET] = { .name = "shuttles_upsert_feed",
	  .sql = "INSERT INTO shuttles.feed (one, source, timezone, "
	  "imported_at, skipped) VALUES (true, $1, $2, $3, $4) "
	  "ON CONFLICT (one) DO UPDATE SET source = EXCLUDED.source, "
	  "timezone = EXCLUDED.timezone, imported_at = EXCLUDED.imported_at, "
	  "skipped = EXCLUDED.skipped", .nparams = 4 },
	[SS_FEED_GET] = { .name = "shuttles_select_feed",
	  .sql = "SELECT source, timezone, imported_at FROM shuttles.feed",
	  .nparams = 0 },
	/* GET /api/v1/shuttles/routes: a page after route $1 */
	[SS_ROUTES] = { .name = "shuttles_select_routes",
	  .sql = "SELECT route_id, agency_id, short_name, long_name, "
	  "description, route_type, url, color, text_color "
	  "FROM shuttles.routes WHERE $1::text IS NULL OR route_id > $1 "
	  "ORDER BY route_id LIMIT $2", .nparams = 2 },
	/*
	 * GET /api/v1/shuttles/stops: a page after stop $1, or with
	 * ?near=$3,$4 those within $5 metres, nearest first.
	 */
	[SS_STOPS] = { .name = "shuttles_select_stops",
	  .sql = "SELECT stop_id, code, name, description, lat, lon, "
	  "location_type, parent_station, wheelchair, distance FROM "
	  "(SELECT s.stop_id AS stop_id, s.code AS code, s.name AS name, "
	  "s.description AS description, s.lat AS lat, s.lon AS lon, "
	  "s.location_type AS location_type, "
	  "s.parent_station AS parent_station, s.wheelchair AS wheelchair, "
	  "CASE WHEN $3::float8 IS NULL OR s.lat IS NULL THEN NULL "
	  "ELSE round((" DISTANCE ")::numeric, 1) END AS distance "
	  "FROM shuttles.stops s) x "
	  "WHERE ($1::text IS NULL OR stop_id > $1) AND ($3::float8 IS NULL "
	  "OR distance <= $5::float8) "
	  "ORDER BY distance NULLS FIRST, stop_id LIMIT $2", .nparams = 5 },
	/*
	 * The timetable the departures are computed from (timetable.c), in
	 * one statement so that it is one snapshot of the data: its rows, in
	 * this order (kind):
	 *  0  the feed (none: no feed): its time zone, its version (the
	 *     xmin of its row, which every import writes: imported_at may
	 *     repeat under a frozen clock) and the next instant after $1 at
	 *     which an alert starts or ends (NULL: none);
	 *  1  each service day D (days since 1970-01-01) and the patterns of
	 *     D, D + 1 and D + 2 (migrations 028 and 032);
	 *  2  the alerts active at $1, as SS_ALERTS_ACTIVE.
	 */
	[SS_TIMETABLE] = { .name = "shuttles_select_timetable",
	  .sql = "SELECT 0 AS kind, f.timezone AS timezone, "
	  "f.xmin::text AS version, (" NEXT_CHANGE ") AS next_change, "
	  "NULL::int AS day, NULL::text AS patterns, " NO_ALERT
	  " FROM shuttles.feed f "
	  "UNION ALL SELECT 1, NULL, NULL, NULL, d.day - DATE '1970-01-01', "
	  "d.patterns::text, " NO_ALERT " FROM shuttles.day_patterns d "
	  "UNION ALL SELECT 2, NULL, NULL, NULL, NULL, NULL, " ALERT_COLS
	  " FROM shuttles.alerts WHERE active @> $1::timestamptz "
	  "ORDER BY kind, day, created_at, id", .nparams = 1 },
	/*
	 * The departures of stop $1 on the patterns $2 (int[]; 0: the stop
	 * itself, its name), one row per pattern asked, with the version of
	 * the feed they belong to: 'present' is false when the stop has no
	 * departures on that pattern (on pattern 0: the stop is not in the
	 * feed).
	 */
	[SS_STOP_PATTERNS] = { .name = "shuttles_select_stop_patterns",
	  .sql = "SELECT w.p AS pattern, sp.stop_id IS NOT NULL AS present, "
	  "sp.name AS name, sp.departures AS departures, "
	  "(SELECT f.xmin::text FROM shuttles.feed f) AS version "
	  "FROM unnest($2::int[]) AS w (p) LEFT JOIN shuttles.stop_patterns sp "
	  "ON sp.stop_id = $1 AND sp.pattern = w.p ORDER BY w.p",
	  .nparams = 2 },
	/* POST /api/v1/shuttles/alerts */
	[SS_ALERT_INSERT] = { .name = "shuttles_insert_alert",
	  .sql = "INSERT INTO shuttles.alerts (cause, effect, active, periods, "
	  "route_ids, stop_ids, header_fr, header_en, header_it, "
	  "description_fr, description_en, description_it, url, posted_by, "
	  "created_at, updated_at) SELECT $1, $2, CASE WHEN "
	  "jsonb_array_length($3::jsonb) = 0 THEN '{(,)}'::tstzmultirange "
	  "ELSE (SELECT range_agg(tstzrange((p->>'start')::timestamptz, "
	  "(p->>'end')::timestamptz)) FROM jsonb_array_elements($3::jsonb) p) "
	  "END, $3::jsonb, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), "
	  "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), $6, $7, $8, "
	  "$9, $10, $11, $12, $13, $14, $14 RETURNING id::text AS id",
	  .nparams = 14 },
	[SS_ALERT_DELETE] = { .name = "shuttles_delete_alert",
	  .sql = "DELETE FROM shuttles.alerts WHERE id = $1::uuid "
	  "RETURNING id::text AS id", .nparams = 1 },
	/* alerts_post(): the ids of $1 (routes) and $2 (stops) not in the feed */
	[SS_ALERT_UNKNOWN] = { .name = "shuttles_select_unknown_ids",
	  .sql = "SELECT (SELECT string_agg('route ' || r.id, ', ') "
	  "FROM jsonb_array_elements_text($1::jsonb) AS r (id) "
	  "WHERE NOT EXISTS (SELECT 1 FROM shuttles.routes x "
	  "WHERE x.route_id = r.id)) AS routes, "
	  "(SELECT string_agg('stop ' || s.id, ', ') "
	  "FROM jsonb_array_elements_text($2::jsonb) AS s (id) "
	  "WHERE NOT EXISTS (SELECT 1 FROM shuttles.stops x "
	  "WHERE x.stop_id = s.id)) AS stops", .nparams = 2 },
	/* The alerts active at $1, in every language (alerts.c) */
	[SS_ALERTS_ACTIVE] = { .name = "shuttles_select_active_alerts",
	  .sql = "SELECT " ALERT_COLS " FROM shuttles.alerts "
	  "WHERE active @> $1::timestamptz ORDER BY created_at, id",
	  .nparams = 1 },
	/*
	 * The next instant after $1 at which an alert starts or ends: until
	 * then the set of active alerts stays what it is.
	 */
	[SS_ALERTS_NEXT_CHANGE] = { .name = "shuttles_select_alerts_next_change",
	  .sql = "SELECT (" NEXT_CHANGE ") AS next_change", .nparams = 1 },
	[SS_ALERT_GET] = { .name = "shuttles_select_alert",
	  .sql = "SELECT " ALERT_COLS " FROM shuttles.alerts "
	  "WHERE id = $1::uuid", .nparams = 1 },
};

const struct module_stmts shuttles_stmt_table = { shuttles_stmts,
    SS__COUNT };
