-- 028_shuttles_departures: the next departures at a stop in one statement
-- on one index (issue 12).
--
-- What a departure board does not learn from the request is computed when
-- the feed is imported, in the transaction of the import (so that readers
-- see the old feed and these tables' rows of it until the new one
-- commits), by shuttles.expand_feed():
--
--  - shuttles.service_days: the days each service runs, from calendar.txt
--    (the days of the week between its dates) and calendar_dates.txt
--    (1 adds a day, 2 removes one);
--  - shuttles.stop_departures: every departure at a stop where a rider may
--    board (the trip picks up there and goes on), in seconds of its
--    service day, with what the answer shows of its trip and route; a
--    frequency-based trip (frequencies.txt) gives one row per trip of its
--    windows, at the window's start plus the stop's offset from the trip's
--    first stop;
--  - shuttles.timetable: each of those on each day its service runs, at
--    its instant: the service day's noon minus 12 h in the feed's time
--    zone, plus its seconds (so a time past 24:00:00 is the next
--    morning's, and a day of a change of summer time counts right), with
--    its item of the answer already written (all of it but its alerts,
--    which change without an import).
--
-- A request reads the first rows of timetable_next for the stop from the
-- instant (shuttles_db.c, shuttles_select_departures): the service day
-- that began yesterday is there like any other.

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
	short_name	text,
	long_name	text,
	headsign	text
);
COMMENT ON TABLE shuttles.stop_departures IS 'the boarding departures at each stop, frequency-based trips expanded, computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.stop_departures.stop_id IS 'nopii';
COMMENT ON COLUMN shuttles.stop_departures.departure IS 'nopii: seconds since noon minus 12 h of the service day';
COMMENT ON COLUMN shuttles.stop_departures.trip_id IS 'nopii: in byte order, the answer''s';
COMMENT ON COLUMN shuttles.stop_departures.service_id IS 'nopii: the trip''s';
COMMENT ON COLUMN shuttles.stop_departures.frequency IS 'nopii: one trip of a frequencies.txt window';
COMMENT ON COLUMN shuttles.stop_departures.route_id IS 'nopii';
COMMENT ON COLUMN shuttles.stop_departures.short_name IS 'nopii: route_short_name';
COMMENT ON COLUMN shuttles.stop_departures.long_name IS 'nopii: route_long_name';
COMMENT ON COLUMN shuttles.stop_departures.headsign IS 'nopii: stop_headsign, else trip_headsign, else the name of the trip''s last stop';

CREATE TABLE shuttles.timetable (
	stop_id		text NOT NULL,
	at		bigint NOT NULL,
	trip_id		text COLLATE "C" NOT NULL,
	route_id	text NOT NULL,
	item		text NOT NULL
);
-- The departures of a stop in the order of the answer, with the rest of
-- the row: a request reads the index alone (once VACUUM has seen the
-- table: guichetctl gtfs import runs it after its transaction).
CREATE INDEX timetable_next ON shuttles.timetable (stop_id, at, trip_id)
	INCLUDE (route_id, item);
COMMENT ON TABLE shuttles.timetable IS 'every departure of stop_departures on each day its service runs, at its instant, with its item of the answer, computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.timetable.stop_id IS 'nopii';
COMMENT ON COLUMN shuttles.timetable.at IS 'nopii: the instant, seconds since the epoch';
COMMENT ON COLUMN shuttles.timetable.trip_id IS 'nopii: in byte order, the answer''s order at one instant';
COMMENT ON COLUMN shuttles.timetable.route_id IS 'nopii: the route, whose alerts the item gets';
COMMENT ON COLUMN shuttles.timetable.item IS 'nopii: the item of GET /api/v1/shuttles/stops/{id}/departures as JSON, without its alerts and its closing brace';

-- Recompute the three from the feed's tables, the feed's times being in
-- time zone 'tz': the last step of an import (import.c), in its
-- transaction.
CREATE FUNCTION shuttles.expand_feed(tz text) RETURNS void
LANGUAGE sql AS $$
	DELETE FROM shuttles.timetable;
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
	INSERT INTO shuttles.stop_departures (stop_id, departure, trip_id,
	    service_id, frequency, route_id, short_name, long_name, headsign)
	SELECT st.stop_id, CASE WHEN f.trip_id IS NULL THEN st.departure
	    ELSE w.start + st.departure - first.departure END,
	    st.trip_id, t.service_id, f.trip_id IS NOT NULL, r.route_id,
	    r.short_name, r.long_name, coalesce(st.headsign, t.headsign,
	    (SELECT ls.name FROM shuttles.stop_times l
	    JOIN shuttles.stops ls ON ls.stop_id = l.stop_id
	    WHERE l.trip_id = st.trip_id
	    ORDER BY l.stop_sequence DESC LIMIT 1))
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
	-- The item as departures.c completes it: compact, in the order of
	-- the API's schema, times as the API writes them.
	INSERT INTO shuttles.timetable (stop_id, at, trip_id, route_id, item)
	SELECT n.stop_id, a.at, n.trip_id, n.route_id,
	    '{"trip_id":' || to_json(n.trip_id::text) ||
	    ',"route_id":' || to_json(n.route_id) ||
	    ',"route_short_name":' || coalesce(to_json(n.short_name)::text,
	    'null') ||
	    ',"route_long_name":' || coalesce(to_json(n.long_name)::text,
	    'null') ||
	    ',"headsign":' || coalesce(to_json(n.headsign)::text, 'null') ||
	    ',"local_time":"' || to_char(l.local, 'HH24:MI:SS') ||
	    CASE WHEN l.off < 0 THEN '-' ELSE '+' END ||
	    to_char(abs(l.off) / 3600, 'FM00') || ':' ||
	    to_char(abs(l.off) / 60 % 60, 'FM00') ||
	    '","timezone":' || to_json(tz) ||
	    ',"service_date":"' || to_char(v.day, 'YYYY-MM-DD') ||
	    '","gtfs_time":"' ||
	    CASE WHEN n.departure < 36000 THEN '0' ELSE '' END ||
	    (n.departure / 3600)::text || ':' ||
	    to_char(n.departure / 60 % 60, 'FM00') || ':' ||
	    to_char(n.departure % 60, 'FM00') ||
	    '","frequency_based":' || n.frequency::text ||
	    ',"departs_at":"' || to_char(to_timestamp(a.at) AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '"'
	FROM shuttles.stop_departures n
	JOIN shuttles.service_days v ON v.service_id = n.service_id
	CROSS JOIN LATERAL (SELECT extract(epoch FROM
	    (v.day + time '12:00') AT TIME ZONE tz)::bigint - 43200 +
	    n.departure) AS a (at)
	CROSS JOIN LATERAL (SELECT to_timestamp(a.at) AT TIME ZONE tz,
	    extract(epoch FROM (to_timestamp(a.at) AT TIME ZONE tz) -
	    (to_timestamp(a.at) AT TIME ZONE 'UTC'))::integer) AS l (local, off);
$$;
COMMENT ON FUNCTION shuttles.expand_feed(text) IS 'shuttles.service_days, stop_departures and timetable from the feed''s tables, its times in time zone tz (import.c)';
REVOKE ALL ON FUNCTION shuttles.expand_feed(text) FROM PUBLIC;

GRANT SELECT ON shuttles.service_days, shuttles.stop_departures,
	shuttles.timetable TO guichet_app;

-- The feed imported before this migration.
SELECT shuttles.expand_feed(timezone) FROM shuttles.feed;
