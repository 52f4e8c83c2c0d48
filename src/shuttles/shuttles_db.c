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
/* The columns of a departure: its trip, route and headsign. */
#define DEPARTURE_COLS \
	"st.trip_id AS trip_id, r.route_id AS route_id, " \
	"r.short_name AS short_name, r.long_name AS long_name, " \
	"coalesce(st.headsign, t.headsign, " \
	"(SELECT ls.name FROM shuttles.stop_times l JOIN shuttles.stops ls " \
	"ON ls.stop_id = l.stop_id WHERE l.trip_id = st.trip_id " \
	"ORDER BY l.stop_sequence DESC LIMIT 1)) AS headsign"
/*
 * A departure at stop $1 on service day d (of the VALUES below): a trip of
 * the services that run that day, where the rider may board (it picks up,
 * and it is not the trip's last stop).
 */
#define BOARDING \
	"st.stop_id = $1 AND t.service_id = ANY (d.services) AND " \
	"st.pickup_type <> 1 AND st.departure IS NOT NULL AND EXISTS " \
	"(SELECT 1 FROM shuttles.stop_times n WHERE n.trip_id = st.trip_id " \
	"AND n.stop_sequence > st.stop_sequence)"
#define TRIP_JOINS \
	"FROM shuttles.stop_times st " \
	"JOIN shuttles.trips t ON t.trip_id = st.trip_id " \
	"JOIN shuttles.routes r ON r.route_id = t.route_id "

/* An alert in every language (alerts_json(), alerts_feed()). */
#define ALERT_COLS \
	"id::text AS id, cause, effect, periods::text AS periods, " \
	"to_json(route_ids)::text AS route_ids, " \
	"to_json(stop_ids)::text AS stop_ids, header_fr, header_en, " \
	"header_it, description_fr, description_en, description_it, url, " \
	"created_at"

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
	[SS_STOP_GET] = { .name = "shuttles_select_stop",
	  .sql = "SELECT stop_id, name FROM shuttles.stops WHERE stop_id = $1",
	  .nparams = 1 },
	/*
	 * The services with a calendar, and the exceptions of the three
	 * days from $1: departures.c decides which run each day
	 * (gtfs_service_runs()).
	 */
	[SS_SERVICES] = { .name = "shuttles_select_services",
	  .sql = "SELECT c.service_id AS service_id, c.days AS days, "
	  "c.start_date - date '1970-01-01' AS start_day, "
	  "c.end_date - date '1970-01-01' AS end_day, NULL::integer AS day, "
	  "0::smallint AS exception FROM shuttles.calendar c "
	  "UNION ALL SELECT d.service_id AS service_id, NULL AS days, "
	  "NULL AS start_day, NULL AS end_day, "
	  "d.date - date '1970-01-01' AS day, d.exception_type AS exception "
	  "FROM shuttles.calendar_dates d "
	  "WHERE d.date BETWEEN $1::date AND $1::date + 2", .nparams = 1 },
	/*
	 * The departures at stop $1 on three service days: day 0 runs
	 * services $2 from second $3 of that day, day 1 $4 from $5, day 2
	 * $6 from $7.  Per day, the first $8 scheduled ones (frequency 0,
	 * at 'departure'), and the windows of the frequency-based trips
	 * that reach the second (frequency 1, 'departure' the stop's
	 * offset from the trip's first departure), which departures.c
	 * expands.
	 */
	[SS_DEPARTURES] = { .name = "shuttles_select_departures",
	  .sql = "SELECT d.day AS day, x.frequency AS frequency, "
	  "x.departure AS departure, x.start_time AS start_time, "
	  "x.end_time AS end_time, x.headway AS headway, "
	  "x.trip_id AS trip_id, x.route_id AS route_id, "
	  "x.short_name AS short_name, x.long_name AS long_name, "
	  "x.headsign AS headsign "
	  "FROM (VALUES (0, $2::text[], $3::integer), "
	  "(1, $4::text[], $5::integer), (2, $6::text[], $7::integer)) "
	  "AS d (day, services, since) CROSS JOIN LATERAL ("
	  "(SELECT 0 AS frequency, st.departure AS departure, "
	  "NULL::integer AS start_time, NULL::integer AS end_time, "
	  "NULL::integer AS headway, " DEPARTURE_COLS " " TRIP_JOINS
	  "WHERE " BOARDING " AND st.departure >= d.since AND NOT EXISTS "
	  "(SELECT 1 FROM shuttles.frequencies f WHERE f.trip_id = st.trip_id)"
	  " ORDER BY st.departure, st.trip_id LIMIT $8) "
	  "UNION ALL "
	  "(SELECT 1 AS frequency, st.departure - first.departure AS departure, "
	  "f.start_time AS start_time, f.end_time AS end_time, "
	  "f.headway AS headway, " DEPARTURE_COLS " " TRIP_JOINS
	  "JOIN shuttles.frequencies f ON f.trip_id = st.trip_id "
	  "CROSS JOIN LATERAL (SELECT s0.departure AS departure "
	  "FROM shuttles.stop_times s0 WHERE s0.trip_id = st.trip_id "
	  "ORDER BY s0.stop_sequence LIMIT 1) first "
	  "WHERE " BOARDING " AND f.end_time + (st.departure - "
	  "first.departure) > d.since)) x", .nparams = 8 },
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
	[SS_ALERT_GET] = { .name = "shuttles_select_alert",
	  .sql = "SELECT " ALERT_COLS " FROM shuttles.alerts "
	  "WHERE id = $1::uuid", .nparams = 1 },
};

const struct module_stmts shuttles_stmt_table = { shuttles_stmts,
    SS__COUNT };
