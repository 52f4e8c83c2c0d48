-- 032_shuttles_day_patterns: the next departures at a stop off a few rows
-- read by primary key (issue 12).
--
-- Migration 028 read the first departures of three service days off an
-- index, each checked against the days its service runs: three index
-- scans and their probes, 0.44 x pgbench -S for the statement alone.
-- Most days of a calendar run the same set of services, so the import now
-- computes, in its transaction (shuttles.expand_feed()):
--
--  - shuttles.patterns: each distinct set of services that run on one day
--    (a "day pattern");
--  - shuttles.day_patterns: for each day, the patterns of that day and of
--    the two days after it (a request's yesterday, today and tomorrow);
--  - shuttles.stop_patterns: per stop, its name (pattern 0), and per stop
--    and pattern ONE text holding the departures of such a day at the
--    stop where a rider may board, sorted
--    as the answer is (seconds of the service day, then trip_id in byte
--    order), frequency-based trips expanded, one line each:
--
--        <seconds> <trip rank> <f|t> <route_id bytes>:<route_id> <item>\n
--
--    the trip rank orders trip ids in byte order (a tie between two days
--    at one instant), f/t whether it is a trip of a frequencies.txt
--    window, the route_id as it is (its alerts) after its length in bytes,
--    and the start of the item of the answer as compact JSON (which holds
--    no raw line break).
--
-- shuttles.service_days stays (the days each service runs, from which the
-- patterns are made); shuttles.stop_departures goes (its rows are in the
-- lines).  A request reads the stop and its departures on the patterns of
-- yesterday's, today's and tomorrow's service days, and the active alerts,
-- in one statement: one row of day_patterns and the stop's rows of
-- stop_patterns for pattern 0 and those patterns, all by primary key
-- (departures.c); readers see the old rows until an import commits.

DROP TABLE shuttles.stop_departures;

CREATE TABLE shuttles.patterns (
	pattern		integer PRIMARY KEY,
	service_ids	text[] NOT NULL UNIQUE
);
COMMENT ON TABLE shuttles.patterns IS 'the distinct sets of services that run on one day, computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.patterns.pattern IS 'nopii';
COMMENT ON COLUMN shuttles.patterns.service_ids IS 'nopii: sorted';

CREATE TABLE shuttles.day_patterns (
	day		date PRIMARY KEY,
	patterns	integer[] NOT NULL
);
COMMENT ON TABLE shuttles.day_patterns IS 'the patterns of a day and of the two days after it (what one request reads), computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.day_patterns.day IS 'nopii: a service day, in the feed''s time zone';
COMMENT ON COLUMN shuttles.day_patterns.patterns IS 'nopii: the patterns of day, day + 1 and day + 2 (NULL: no service that day)';

CREATE TABLE shuttles.stop_patterns (
	stop_id		text NOT NULL,
	pattern		integer NOT NULL,
	name		text,
	departures	text NOT NULL,
	PRIMARY KEY (stop_id, pattern)
);
-- lz4 when the server has it: a busy stop's text is compressed and read
-- whole by every request.
DO $$
BEGIN
	ALTER TABLE shuttles.stop_patterns ALTER departures
	    SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	NULL;
END $$;
COMMENT ON TABLE shuttles.stop_patterns IS 'the boarding departures at each stop on the days of a pattern, frequency-based trips expanded, computed at import by shuttles.expand_feed()';
COMMENT ON COLUMN shuttles.stop_patterns.stop_id IS 'nopii';
COMMENT ON COLUMN shuttles.stop_patterns.pattern IS 'nopii: 0 for the stop itself (every stop has that row: a request reads it with the others)';
COMMENT ON COLUMN shuttles.stop_patterns.name IS 'nopii: the stop''s name, in its pattern 0 row';
COMMENT ON COLUMN shuttles.stop_patterns.departures IS 'nopii: one line per departure, in the answer''s order: seconds since noon minus 12 h of the service day, trip rank, f/t (frequency-based), route_id length:route_id, the start of the item of GET /api/v1/shuttles/stops/{id}/departures as JSON (departures.c writes the rest)';

CREATE OR REPLACE FUNCTION shuttles.expand_feed() RETURNS void
LANGUAGE sql AS $$
	DELETE FROM shuttles.stop_patterns;
	DELETE FROM shuttles.day_patterns;
	DELETE FROM shuttles.patterns;
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
	INSERT INTO shuttles.patterns (pattern, service_ids)
	SELECT row_number() OVER (ORDER BY s), s
	FROM (SELECT DISTINCT array_agg(service_id COLLATE "C"
	    ORDER BY service_id COLLATE "C") AS s
	    FROM shuttles.service_days GROUP BY day) x;
	-- Every day from two days before the first with a service to the
	-- last: a request reads yesterday's row.
	INSERT INTO shuttles.day_patterns (day, patterns)
	WITH dp AS (SELECT d.day AS day, p.pattern AS pattern
	    FROM (SELECT day, array_agg(service_id COLLATE "C"
	    ORDER BY service_id COLLATE "C") AS s
	    FROM shuttles.service_days GROUP BY day) d
	    JOIN shuttles.patterns p ON p.service_ids = d.s)
	SELECT g.day::date, ARRAY[a.pattern, b.pattern, c.pattern]
	FROM (SELECT min(day) - 2 AS lo, max(day) AS hi FROM dp) r
	CROSS JOIN generate_series(r.lo::timestamp, r.hi::timestamp,
	    interval '1 day') AS g (day)
	LEFT JOIN dp a ON a.day = g.day::date
	LEFT JOIN dp b ON b.day = g.day::date + 1
	LEFT JOIN dp c ON c.day = g.day::date + 2;
	INSERT INTO shuttles.stop_patterns (stop_id, pattern, name, departures)
	SELECT stop_id, 0, name, '' FROM shuttles.stops;
	-- The item's first members as departures.c continues them: compact,
	-- in the order of the API's schema.
	INSERT INTO shuttles.stop_patterns (stop_id, pattern, departures)
	SELECT x.stop_id, p.pattern, string_agg(x.departure || ' ' ||
	    x.rank || CASE WHEN x.frequency THEN ' t ' ELSE ' f ' END ||
	    octet_length(x.route_id) || ':' || x.route_id || ' ' || x.item ||
	    E'\n', '' ORDER BY x.departure, x.trip_id COLLATE "C")
	FROM (SELECT st.stop_id AS stop_id, CASE WHEN f.trip_id IS NULL
	    THEN st.departure ELSE w.start + st.departure - first.departure
	    END AS departure, st.trip_id AS trip_id,
	    dense_rank() OVER (ORDER BY st.trip_id COLLATE "C") AS rank,
	    t.service_id AS service_id, f.trip_id IS NOT NULL AS frequency,
	    r.route_id AS route_id,
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
	    ORDER BY l.stop_sequence DESC LIMIT 1)))::text, 'null') AS item
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
	AND (f.trip_id IS NULL OR first.departure IS NOT NULL)) x
	JOIN shuttles.patterns p ON x.service_id = ANY (p.service_ids)
	GROUP BY x.stop_id, p.pattern;
$$;
COMMENT ON FUNCTION shuttles.expand_feed() IS 'shuttles.service_days, patterns, day_patterns and stop_patterns from the feed''s tables (import.c)';
REVOKE ALL ON FUNCTION shuttles.expand_feed() FROM PUBLIC;

GRANT SELECT ON shuttles.patterns, shuttles.day_patterns,
	shuttles.stop_patterns TO guichet_app;

-- The feed imported before this migration.
SELECT shuttles.expand_feed();
