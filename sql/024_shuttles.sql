-- 024_shuttles: the town's shuttles (issue 12), the shuttles module's own
-- schema (src/shuttles): one GTFS static feed, imported whole by
-- `guichetctl gtfs import` (a re-import replaces it in one transaction,
-- so that readers see the old feed until the new one commits), and the
-- disruptions operators post (GTFS-Realtime alerts).
--
-- Times of the feed are kept as GTFS says them: seconds since noon minus
-- 12 h of the service day (past 24:00:00 for trips after midnight);
-- dates as dates.  Nothing here is about people: every column is nopii
-- (an alert records the department or the partner application that
-- posted it, never a person).  No foreign key leaves the schema; within
-- the feed, the import checks references itself (file:line reasons).

CREATE SCHEMA shuttles;
COMMENT ON SCHEMA shuttles IS 'the shuttles: the GTFS static feed and the alerts posted on it';

-- The feed imported: one row, replaced by each import.
CREATE TABLE shuttles.feed (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	source		text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
	timezone	text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
	imported_at	timestamptz NOT NULL,
	skipped		integer NOT NULL CHECK (skipped >= 0)
);
COMMENT ON TABLE shuttles.feed IS 'the GTFS feed imported: where from, when, its time zone (the agencies'')';
COMMENT ON COLUMN shuttles.feed.one IS 'nopii: there is one feed';
COMMENT ON COLUMN shuttles.feed.source IS 'nopii: the name of the directory or zip imported';
COMMENT ON COLUMN shuttles.feed.timezone IS 'nopii: agency_timezone, in which the feed''s times are';
COMMENT ON COLUMN shuttles.feed.imported_at IS 'nopii';
COMMENT ON COLUMN shuttles.feed.skipped IS 'nopii: rows left out with --skip-errors';

CREATE TABLE shuttles.agencies (
	agency_id	text PRIMARY KEY,
	name		text NOT NULL,
	url		text NOT NULL,
	timezone	text NOT NULL,
	lang		text,
	phone		text
);
COMMENT ON TABLE shuttles.agencies IS 'agency.txt';
COMMENT ON COLUMN shuttles.agencies.agency_id IS 'nopii: "" when the feed has one agency and no id';
COMMENT ON COLUMN shuttles.agencies.name IS 'nopii';
COMMENT ON COLUMN shuttles.agencies.url IS 'nopii';
COMMENT ON COLUMN shuttles.agencies.timezone IS 'nopii';
COMMENT ON COLUMN shuttles.agencies.lang IS 'nopii';
COMMENT ON COLUMN shuttles.agencies.phone IS 'nopii: the operator''s public number';

CREATE TABLE shuttles.stops (
	stop_id		text PRIMARY KEY,
	code		text,
	name		text NOT NULL,
	description	text,
	lat		double precision CHECK (lat BETWEEN -90 AND 90),
	lon		double precision CHECK (lon BETWEEN -180 AND 180),
	location_type	smallint NOT NULL DEFAULT 0,
	parent_station	text,
	wheelchair	smallint NOT NULL DEFAULT 0
);
COMMENT ON TABLE shuttles.stops IS 'stops.txt';
COMMENT ON COLUMN shuttles.stops.stop_id IS 'nopii';
COMMENT ON COLUMN shuttles.stops.code IS 'nopii';
COMMENT ON COLUMN shuttles.stops.name IS 'nopii';
COMMENT ON COLUMN shuttles.stops.description IS 'nopii';
COMMENT ON COLUMN shuttles.stops.lat IS 'nopii';
COMMENT ON COLUMN shuttles.stops.lon IS 'nopii';
COMMENT ON COLUMN shuttles.stops.location_type IS 'nopii: 0 stop, 1 station...';
COMMENT ON COLUMN shuttles.stops.parent_station IS 'nopii';
COMMENT ON COLUMN shuttles.stops.wheelchair IS 'nopii: wheelchair_boarding';

CREATE TABLE shuttles.routes (
	route_id	text PRIMARY KEY,
	agency_id	text NOT NULL,
	short_name	text,
	long_name	text,
	description	text,
	route_type	integer NOT NULL,
	url		text,
	color		text,
	text_color	text
);
COMMENT ON TABLE shuttles.routes IS 'routes.txt';
COMMENT ON COLUMN shuttles.routes.route_id IS 'nopii';
COMMENT ON COLUMN shuttles.routes.agency_id IS 'nopii';
COMMENT ON COLUMN shuttles.routes.short_name IS 'nopii';
COMMENT ON COLUMN shuttles.routes.long_name IS 'nopii';
COMMENT ON COLUMN shuttles.routes.description IS 'nopii';
COMMENT ON COLUMN shuttles.routes.route_type IS 'nopii: 3 bus...';
COMMENT ON COLUMN shuttles.routes.url IS 'nopii';
COMMENT ON COLUMN shuttles.routes.color IS 'nopii';
COMMENT ON COLUMN shuttles.routes.text_color IS 'nopii';

CREATE TABLE shuttles.trips (
	trip_id		text PRIMARY KEY,
	route_id	text NOT NULL,
	service_id	text NOT NULL,
	headsign	text,
	short_name	text,
	direction_id	smallint,
	block_id	text,
	shape_id	text
);
CREATE INDEX trips_service ON shuttles.trips (service_id);
COMMENT ON TABLE shuttles.trips IS 'trips.txt';
COMMENT ON COLUMN shuttles.trips.trip_id IS 'nopii';
COMMENT ON COLUMN shuttles.trips.route_id IS 'nopii';
COMMENT ON COLUMN shuttles.trips.service_id IS 'nopii';
COMMENT ON COLUMN shuttles.trips.headsign IS 'nopii';
COMMENT ON COLUMN shuttles.trips.short_name IS 'nopii';
COMMENT ON COLUMN shuttles.trips.direction_id IS 'nopii';
COMMENT ON COLUMN shuttles.trips.block_id IS 'nopii';
COMMENT ON COLUMN shuttles.trips.shape_id IS 'nopii';

CREATE TABLE shuttles.stop_times (
	trip_id		text NOT NULL,
	stop_sequence	integer NOT NULL CHECK (stop_sequence >= 0),
	stop_id		text NOT NULL,
	arrival		integer CHECK (arrival >= 0),
	departure	integer CHECK (departure >= 0),
	headsign	text,
	pickup_type	smallint NOT NULL DEFAULT 0,
	drop_off_type	smallint NOT NULL DEFAULT 0,
	PRIMARY KEY (trip_id, stop_sequence)
);
CREATE INDEX stop_times_stop ON shuttles.stop_times (stop_id, departure);
COMMENT ON TABLE shuttles.stop_times IS 'stop_times.txt; times in seconds of the service day';
COMMENT ON COLUMN shuttles.stop_times.trip_id IS 'nopii';
COMMENT ON COLUMN shuttles.stop_times.stop_sequence IS 'nopii';
COMMENT ON COLUMN shuttles.stop_times.stop_id IS 'nopii';
COMMENT ON COLUMN shuttles.stop_times.arrival IS 'nopii: seconds since noon minus 12 h of the service day';
COMMENT ON COLUMN shuttles.stop_times.departure IS 'nopii: seconds since noon minus 12 h of the service day';
COMMENT ON COLUMN shuttles.stop_times.headsign IS 'nopii: stop_headsign';
COMMENT ON COLUMN shuttles.stop_times.pickup_type IS 'nopii: 1 no pickup';
COMMENT ON COLUMN shuttles.stop_times.drop_off_type IS 'nopii';

CREATE TABLE shuttles.calendar (
	service_id	text PRIMARY KEY,
	days		text NOT NULL CHECK (days ~ '^[01]{7}$'),
	start_date	date NOT NULL,
	end_date	date NOT NULL
);
COMMENT ON TABLE shuttles.calendar IS 'calendar.txt';
COMMENT ON COLUMN shuttles.calendar.service_id IS 'nopii';
COMMENT ON COLUMN shuttles.calendar.days IS 'nopii: monday to sunday, 1 when it runs';
COMMENT ON COLUMN shuttles.calendar.start_date IS 'nopii';
COMMENT ON COLUMN shuttles.calendar.end_date IS 'nopii';

CREATE TABLE shuttles.calendar_dates (
	service_id	text NOT NULL,
	date		date NOT NULL,
	exception_type	smallint NOT NULL CHECK (exception_type IN (1, 2)),
	PRIMARY KEY (service_id, date)
);
CREATE INDEX calendar_dates_date ON shuttles.calendar_dates (date);
COMMENT ON TABLE shuttles.calendar_dates IS 'calendar_dates.txt';
COMMENT ON COLUMN shuttles.calendar_dates.service_id IS 'nopii';
COMMENT ON COLUMN shuttles.calendar_dates.date IS 'nopii';
COMMENT ON COLUMN shuttles.calendar_dates.exception_type IS 'nopii: 1 added, 2 removed';

CREATE TABLE shuttles.frequencies (
	trip_id		text NOT NULL,
	start_time	integer NOT NULL CHECK (start_time >= 0),
	end_time	integer NOT NULL,
	headway		integer NOT NULL CHECK (headway > 0),
	exact_times	smallint NOT NULL DEFAULT 0,
	PRIMARY KEY (trip_id, start_time),
	CHECK (end_time > start_time)
);
COMMENT ON TABLE shuttles.frequencies IS 'frequencies.txt; times in seconds of the service day';
COMMENT ON COLUMN shuttles.frequencies.trip_id IS 'nopii';
COMMENT ON COLUMN shuttles.frequencies.start_time IS 'nopii';
COMMENT ON COLUMN shuttles.frequencies.end_time IS 'nopii: exclusive';
COMMENT ON COLUMN shuttles.frequencies.headway IS 'nopii: seconds';
COMMENT ON COLUMN shuttles.frequencies.exact_times IS 'nopii';

CREATE TABLE shuttles.shapes (
	shape_id	text NOT NULL,
	sequence	integer NOT NULL,
	lat		double precision NOT NULL,
	lon		double precision NOT NULL,
	dist		double precision,
	PRIMARY KEY (shape_id, sequence)
);
COMMENT ON TABLE shuttles.shapes IS 'shapes.txt';
COMMENT ON COLUMN shuttles.shapes.shape_id IS 'nopii';
COMMENT ON COLUMN shuttles.shapes.sequence IS 'nopii';
COMMENT ON COLUMN shuttles.shapes.lat IS 'nopii';
COMMENT ON COLUMN shuttles.shapes.lon IS 'nopii';
COMMENT ON COLUMN shuttles.shapes.dist IS 'nopii';

-- Disruptions (GTFS-Realtime Alert): the routes and stops they affect are
-- ids of the feed, kept as text (a re-import may drop one: the alert
-- stays, pointing at nothing).  'active' is the union of the active
-- periods; without periods, always.
CREATE TABLE shuttles.alerts (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	cause		text NOT NULL,
	effect		text NOT NULL,
	active		tstzmultirange NOT NULL,
	periods		jsonb NOT NULL CHECK (jsonb_typeof(periods) = 'array'),
	route_ids	text[] NOT NULL DEFAULT '{}',
	stop_ids	text[] NOT NULL DEFAULT '{}',
	header_fr	text NOT NULL CHECK (length(header_fr) BETWEEN 1 AND 200),
	header_en	text NOT NULL CHECK (length(header_en) BETWEEN 1 AND 200),
	header_it	text NOT NULL CHECK (length(header_it) BETWEEN 1 AND 200),
	description_fr	text NOT NULL CHECK (length(description_fr) <= 4000),
	description_en	text NOT NULL CHECK (length(description_en) <= 4000),
	description_it	text NOT NULL CHECK (length(description_it) <= 4000),
	url		text,
	posted_by	text NOT NULL,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	CHECK (cardinality(route_ids) + cardinality(stop_ids) >= 1)
);
CREATE INDEX alerts_active ON shuttles.alerts USING gist (active);
COMMENT ON TABLE shuttles.alerts IS 'disruptions posted by operators, published as GTFS-Realtime alerts';
COMMENT ON COLUMN shuttles.alerts.id IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.cause IS 'nopii: GTFS-RT Alert.Cause, lower case';
COMMENT ON COLUMN shuttles.alerts.effect IS 'nopii: GTFS-RT Alert.Effect, lower case';
COMMENT ON COLUMN shuttles.alerts.active IS 'nopii: the union of the periods';
COMMENT ON COLUMN shuttles.alerts.periods IS 'nopii: [{start, end}] as posted (RFC 3339, null: open)';
COMMENT ON COLUMN shuttles.alerts.route_ids IS 'nopii: route_id of the feed';
COMMENT ON COLUMN shuttles.alerts.stop_ids IS 'nopii: stop_id of the feed';
COMMENT ON COLUMN shuttles.alerts.header_fr IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.header_en IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.header_it IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.description_fr IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.description_en IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.description_it IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.url IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.posted_by IS 'nopii: department:<code> or client:<client id>, never a person';
COMMENT ON COLUMN shuttles.alerts.created_at IS 'nopii';
COMMENT ON COLUMN shuttles.alerts.updated_at IS 'nopii';

GRANT USAGE ON SCHEMA shuttles TO guichet_app;
GRANT SELECT ON ALL TABLES IN SCHEMA shuttles TO guichet_app;
GRANT INSERT, UPDATE, DELETE ON shuttles.alerts TO guichet_app;

-- The public answers (routes, stops) are cached (src/http/cache.h): an
-- import or an alert empties them in every guichetd.
CREATE TRIGGER feed_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON shuttles.feed FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('shuttles');
CREATE TRIGGER alerts_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON shuttles.alerts FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('shuttles');
