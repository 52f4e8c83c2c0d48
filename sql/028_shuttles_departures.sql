-- 028_shuttles_departures: the next departures at a stop in one statement
-- (issue 12).
--
-- What a departure board does not learn from the request is computed when
-- the feed is imported, in the transaction of the import (so that readers
-- see the old feed and what was computed from it until the new one
-- commits), by shuttles.expand_feed():
--
--  - shuttles.service_days: the days each service runs, from calendar.txt
--    (the days of the week between its dates) and calendar_dates.txt
--    (1 adds a day, 2 removes one);
--  - shuttles.stop_departures: every departure at a stop where a rider may
--    board (the trip picks up there and goes on), in seconds of its
--    service day, with the part of its item of the answer that does not
--    depend on the day (trip, route, headsign) already written; a
--    frequency-based trip (frequencies.txt) gives one row per trip of its
--    windows, at the window's start plus the stop's offset from the trip's
--    first stop.
--
-- A request (shuttles_db.c, shuttles_select_departures) reads, for the
-- service days that began yesterday, today and tomorrow in the feed's time
-- zone, the first departures of the stop after the instant off the index
-- stop_departures_next, each checked against service_days.  The rows do
-- not multiply with the days of the calendar (an earlier try wrote every
-- departure on every day: 598 MB for the 4-year calendar of the reference
-- sample feed).

CREATE TABLE shuttles.service_days (
	day		date NOT NULL,
	service_id	text NOT NULL,
	PRIMARY KEY (day, service_id)
);
COMMENT ON TABLE shuttles.service_days IS 'the days each service runs (calendar.txt with calendar_dates.txt), computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.service_days.day IS 'nopii: a service day, in the feed''s time zone';
COMMENT ON COLUMN shuttles.service_days.service_id IS 'nopii';

CREATE TABLE shuttles.stop_departures (
	stop_id		text NOT NULL,
	departure	integer NOT NULL,
	trip_id		text COLLATE "C" NOT NULL,
	service_id	text NOT NULL,
	frequency	boolean NOT NULL,
	route_id	text NOT NULL,
	item		text NOT NULL
);
-- The departures of a stop in the order of the answer, with the rest of
-- the row: a request reads the index alone (once VACUUM has seen the
-- table: guichetctl gtfs import runs it after its transaction).
CREATE INDEX stop_departures_next ON shuttles.stop_departures
	(stop_id, departure, trip_id) INCLUDE (service_id, frequency,
	route_id, item);
COMMENT ON TABLE shuttles.stop_departures IS 'the boarding departures at each stop, frequency-based trips expanded, computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.stop_departures.stop_id IS 'nopii';
COMMENT ON COLUMN shuttles.stop_departures.departure IS 'nopii: seconds since noon minus 12 h of the service day';
COMMENT ON COLUMN shuttles.stop_departures.trip_id IS 'nopii: in byte order, the answer''s order at one instant';
COMMENT ON COLUMN shuttles.stop_departures.service_id IS 'nopii: the trip''s';
COMMENT ON COLUMN shuttles.stop_departures.frequency IS 'nopii: one trip of a frequencies.txt window';
COMMENT ON COLUMN shuttles.stop_departures.route_id IS 'nopii: the route, whose alerts the item gets';
COMMENT ON COLUMN shuttles.stop_departures.item IS 'nopii: the start of the item of GET /api/v1/shuttles/stops/{id}/departures as JSON, its members that do not depend on the day (departures.c writes the rest)';

-- Recompute both from the feed's tables: the last step of an import
-- (import.c), in its transaction.
CREATE FUNCTION shuttles.expand_feed() RETURNS void
LANGUAGE sql AS $$
	DELETE FROM shuttles.stop_departures;
	DELETE FROM shuttles.service_days;
	INSERT INTO shuttles.service_days (day, service_id)
	SELECT g.day::date, c.service_id
	FROM shuttles.calendar c
	CROSS JOIN generate_series(c.start_date::timestamp,
	    c.end_date::timestamp, interval '1 day') AS g (day)
	WHERE substr(c.days, extract(isodow FROM g.day)::integer, 1) = '1'
	AND NOT EXISTS (SELECT 1 FROM shuttles.calendar_dates x
	    WHERE x.service_id = c.service_id AND x.date = g.day::date
	    AND x.exception_type = 2)
	UNION
	SELECT x.date, x.service_id FROM shuttles.calendar_dates x
	WHERE x.exception_type = 1;
	-- The item's first members as departures.c continues them: compact,
	-- in the order of the API's schema.
	INSERT INTO shuttles.stop_departures (stop_id, departure, trip_id,
	    service_id, frequency, route_id, item)
	SELECT st.stop_id, CASE WHEN f.trip_id IS NULL THEN st.departure
	    ELSE w.start + st.departure - first.departure END,
	    st.trip_id, t.service_id, f.trip_id IS NOT NULL, r.route_id,
	    '{"trip_id":' || to_json(st.trip_id) ||
	    ',"route_id":' || to_json(r.route_id) ||
	    ',"route_short_name":' || coalesce(to_json(r.short_name)::text,
	    'null') ||
	    ',"route_long_name":' || coalesce(to_json(r.long_name)::text,
	    'null') ||
	    ',"headsign":' || coalesce(to_json(coalesce(st.headsign,
	    t.headsign, (SELECT ls.name FROM shuttles.stop_times l
	    JOIN shuttles.stops ls ON ls.stop_id = l.stop_id
	    WHERE l.trip_id = st.trip_id
	    ORDER BY l.stop_sequence DESC LIMIT 1)))::text, 'null')
	FROM shuttles.stop_times st
	JOIN shuttles.trips t ON t.trip_id = st.trip_id
	JOIN shuttles.routes r ON r.route_id = t.route_id
	CROSS JOIN LATERAL (SELECT s0.departure FROM shuttles.stop_times s0
	    WHERE s0.trip_id = st.trip_id ORDER BY s0.stop_sequence
	    LIMIT 1) first
	LEFT JOIN shuttles.frequencies f ON f.trip_id = st.trip_id
	LEFT JOIN LATERAL generate_series(f.start_time, f.end_time - 1,
	    f.headway) AS w (start) ON true
	WHERE st.pickup_type <> 1 AND st.departure IS NOT NULL
	AND EXISTS (SELECT 1 FROM shuttles.stop_times n
	    WHERE n.trip_id = st.trip_id AND n.stop_sequence > st.stop_sequence)
	AND (f.trip_id IS NULL OR first.departure IS NOT NULL);
$$;
COMMENT ON FUNCTION shuttles.expand_feed() IS 'shuttles.service_days and stop_departures from the feed''s tables (import.c)';
REVOKE ALL ON FUNCTION shuttles.expand_feed() FROM PUBLIC;

GRANT SELECT ON shuttles.service_days, shuttles.stop_departures
	TO guichet_app;

-- The feed imported before this migration.
SELECT shuttles.expand_feed();
