-- 025_mountain: the ski area, the mountain module's own schema
-- (src/mountain/mountain.h): its lifts and slopes with their status set by
-- the operator, the history of every change of status, the snow report
-- and its history, the lift-pass products and their prices.  And, for the
-- live stream below the modules (src/http/live.h), the function that
-- publishes an event to every guichetd.
--
-- Nothing here is about residents: the operators who change a status are
-- recorded by the id of their account or partner client, like every other
-- act of staff.  The discounts of residents are read from the cases
-- module's entitlements through cases.h, never stored here.

CREATE SCHEMA mountain;
COMMENT ON SCHEMA mountain IS 'the ski area: lifts, slopes, their status and its history, the snow report, lift-pass products and prices';

-- The statuses an operator sets, on lifts and slopes alike.
CREATE DOMAIN mountain.status AS text
	CHECK (VALUE IN ('open', 'closed', 'on_hold', 'scheduled'));

CREATE TABLE mountain.lifts (
	id		text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,47}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	kind		text NOT NULL CHECK (kind IN ('chairlift', 'gondola',
			    'cable_car', 'drag_lift', 'magic_carpet')),
	sector		text NOT NULL CHECK (length(sector) BETWEEN 1 AND 100),
	capacity_per_hour integer NOT NULL CHECK (capacity_per_hour BETWEEN 1 AND 20000),
	-- {"winter": {"opens": "09:00", "closes": "16:45"}, "summer": ...}
	hours		jsonb NOT NULL DEFAULT '{}',
	bottom_lat	double precision NOT NULL CHECK (bottom_lat BETWEEN -90 AND 90),
	bottom_lon	double precision NOT NULL CHECK (bottom_lon BETWEEN -180 AND 180),
	bottom_alt	integer,
	top_lat		double precision NOT NULL CHECK (top_lat BETWEEN -90 AND 90),
	top_lon		double precision NOT NULL CHECK (top_lon BETWEEN -180 AND 180),
	top_alt		integer,
	position	integer NOT NULL DEFAULT 0,
	status		mountain.status NOT NULL DEFAULT 'closed',
	reason_fr	text CHECK (length(reason_fr) <= 200),
	reason_en	text CHECK (length(reason_en) <= 200),
	reason_it	text CHECK (length(reason_it) <= 200),
	expected_at	timestamptz,
	status_at	timestamptz NOT NULL,
	source		text CHECK (length(source) <= 200)
);
COMMENT ON TABLE mountain.lifts IS 'the lifts of the ski area and their current status';
COMMENT ON COLUMN mountain.lifts.id IS 'nopii';
COMMENT ON COLUMN mountain.lifts.name IS 'nopii';
COMMENT ON COLUMN mountain.lifts.kind IS 'nopii';
COMMENT ON COLUMN mountain.lifts.sector IS 'nopii';
COMMENT ON COLUMN mountain.lifts.hours IS 'nopii: opening hours by season';
COMMENT ON COLUMN mountain.lifts.reason_fr IS 'nopii: why (wind, incident), as the operator says it';
COMMENT ON COLUMN mountain.lifts.reason_en IS 'nopii';
COMMENT ON COLUMN mountain.lifts.reason_it IS 'nopii';
COMMENT ON COLUMN mountain.lifts.status IS 'nopii';
COMMENT ON COLUMN mountain.lifts.source IS 'nopii: where the data comes from (the operator''s id)';

CREATE TABLE mountain.slopes (
	id		text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,47}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	difficulty	text NOT NULL CHECK (difficulty IN ('green', 'blue', 'red',
			    'black', 'itinerary')),
	sector		text NOT NULL CHECK (length(sector) BETWEEN 1 AND 100),
	length_m	integer NOT NULL CHECK (length_m BETWEEN 1 AND 50000),
	snowmaking	boolean NOT NULL DEFAULT false,
	groomed_on	date,
	position	integer NOT NULL DEFAULT 0,
	status		mountain.status NOT NULL DEFAULT 'closed',
	reason_fr	text CHECK (length(reason_fr) <= 200),
	reason_en	text CHECK (length(reason_en) <= 200),
	reason_it	text CHECK (length(reason_it) <= 200),
	expected_at	timestamptz,
	status_at	timestamptz NOT NULL
);
COMMENT ON TABLE mountain.slopes IS 'the slopes (pistes) of the ski area and their current status';
COMMENT ON COLUMN mountain.slopes.id IS 'nopii';
COMMENT ON COLUMN mountain.slopes.name IS 'nopii';
COMMENT ON COLUMN mountain.slopes.difficulty IS 'nopii';
COMMENT ON COLUMN mountain.slopes.sector IS 'nopii';
COMMENT ON COLUMN mountain.slopes.status IS 'nopii';
COMMENT ON COLUMN mountain.slopes.reason_fr IS 'nopii';
COMMENT ON COLUMN mountain.slopes.reason_en IS 'nopii';
COMMENT ON COLUMN mountain.slopes.reason_it IS 'nopii';

-- The lifts that serve a slope (bring skiers to its start).
CREATE TABLE mountain.slope_lifts (
	slope_id	text NOT NULL REFERENCES mountain.slopes (id) ON DELETE CASCADE,
	lift_id		text NOT NULL REFERENCES mountain.lifts (id) ON DELETE CASCADE,
	PRIMARY KEY (slope_id, lift_id)
);
COMMENT ON TABLE mountain.slope_lifts IS 'which lifts serve which slope';
COMMENT ON COLUMN mountain.slope_lifts.slope_id IS 'nopii';
COMMENT ON COLUMN mountain.slope_lifts.lift_id IS 'nopii';

-- Every change of status, kept.
CREATE TABLE mountain.status_history (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	item_kind	text NOT NULL CHECK (item_kind IN ('lift', 'slope')),
	item_id		text NOT NULL,
	status		mountain.status NOT NULL,
	reason_fr	text,
	reason_en	text,
	reason_it	text,
	expected_at	timestamptz,
	changed_at	timestamptz NOT NULL,
	changed_by	text NOT NULL CHECK (length(changed_by) BETWEEN 1 AND 64)
);
CREATE INDEX status_history_item ON mountain.status_history (item_kind, item_id, changed_at);
COMMENT ON INDEX mountain.status_history_item IS 'the history of one lift or slope, by time';
COMMENT ON TABLE mountain.status_history IS 'every change of status of a lift or slope (append-only)';
COMMENT ON COLUMN mountain.status_history.item_kind IS 'nopii';
COMMENT ON COLUMN mountain.status_history.item_id IS 'nopii';
COMMENT ON COLUMN mountain.status_history.status IS 'nopii';
COMMENT ON COLUMN mountain.status_history.reason_fr IS 'nopii';
COMMENT ON COLUMN mountain.status_history.reason_en IS 'nopii';
COMMENT ON COLUMN mountain.status_history.reason_it IS 'nopii';
COMMENT ON COLUMN mountain.status_history.changed_by IS 'nopii: the operator''s account or partner client id';

-- The snow report: the latest row is the current one; the others its
-- history.
CREATE TABLE mountain.snow_reports (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	depth_bottom_cm	integer NOT NULL CHECK (depth_bottom_cm BETWEEN 0 AND 2000),
	depth_top_cm	integer NOT NULL CHECK (depth_top_cm BETWEEN 0 AND 2000),
	fresh_24h_cm	integer NOT NULL CHECK (fresh_24h_cm BETWEEN 0 AND 500),
	last_snowfall	date,
	avalanche_risk	integer NOT NULL CHECK (avalanche_risk BETWEEN 1 AND 5),
	avalanche_date	date NOT NULL,
	weather		text NOT NULL CHECK (weather IN ('sunny', 'partly_cloudy',
			    'cloudy', 'snow', 'rain', 'fog', 'wind')),
	temperature_c	integer CHECK (temperature_c BETWEEN -60 AND 50),
	comment_fr	text CHECK (length(comment_fr) <= 500),
	comment_en	text CHECK (length(comment_en) <= 500),
	comment_it	text CHECK (length(comment_it) <= 500),
	reported_at	timestamptz NOT NULL,
	reported_by	text NOT NULL CHECK (length(reported_by) BETWEEN 1 AND 64)
);
CREATE INDEX snow_reports_at ON mountain.snow_reports (reported_at);
COMMENT ON INDEX mountain.snow_reports_at IS 'the latest report';
COMMENT ON TABLE mountain.snow_reports IS 'the snow reports, the latest being current (append-only)';
COMMENT ON COLUMN mountain.snow_reports.weather IS 'nopii: the weather of the morning';
COMMENT ON COLUMN mountain.snow_reports.comment_fr IS 'nopii';
COMMENT ON COLUMN mountain.snow_reports.comment_en IS 'nopii';
COMMENT ON COLUMN mountain.snow_reports.comment_it IS 'nopii';
COMMENT ON COLUMN mountain.snow_reports.reported_by IS 'nopii: the operator''s account or partner client id';

-- Seasons: a lift pass is for one; a discount entitlement is for one.
CREATE TABLE mountain.seasons (
	code		text PRIMARY KEY CHECK (code ~ '^[0-9]{4}-[0-9]{4}$'),
	starts_on	date NOT NULL,
	ends_on		date NOT NULL,
	CHECK (ends_on >= starts_on)
);
COMMENT ON TABLE mountain.seasons IS 'the winter seasons of the ski area (first and last day of operation)';
COMMENT ON COLUMN mountain.seasons.code IS 'nopii: 2026-2027';

CREATE TABLE mountain.pass_products (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,47}$'),
	season		text NOT NULL REFERENCES mountain.seasons (code),
	kind		text NOT NULL CHECK (kind IN ('day', 'half_day', 'multi_day',
			    'season', 'pedestrian')),
	days		integer NOT NULL CHECK (days BETWEEN 1 AND 366),
	title_fr	text NOT NULL CHECK (length(title_fr) BETWEEN 1 AND 100),
	title_en	text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 100),
	title_it	text NOT NULL CHECK (length(title_it) BETWEEN 1 AND 100),
	position	integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE mountain.pass_products IS 'the lift passes on sale, by season';
COMMENT ON COLUMN mountain.pass_products.code IS 'nopii';
COMMENT ON COLUMN mountain.pass_products.season IS 'nopii';
COMMENT ON COLUMN mountain.pass_products.kind IS 'nopii';
COMMENT ON COLUMN mountain.pass_products.title_fr IS 'nopii';
COMMENT ON COLUMN mountain.pass_products.title_en IS 'nopii';
COMMENT ON COLUMN mountain.pass_products.title_it IS 'nopii';

-- The price of a product by profile and age band, in cents of EUR.  The
-- 'standard' profile is everyone's; the others need the entitlement of
-- the same name for the product's season (cases.h).
CREATE TABLE mountain.pass_prices (
	product		text NOT NULL REFERENCES mountain.pass_products (code) ON DELETE CASCADE,
	profile		text NOT NULL CHECK (profile IN ('standard', 'resident',
			    'seasonal_worker', 'secondary_resident')),
	band		text NOT NULL CHECK (band IN ('infant', 'child', 'adult',
			    'senior')),
	cents		integer NOT NULL CHECK (cents BETWEEN 0 AND 10000000),
	PRIMARY KEY (product, profile, band)
);
COMMENT ON TABLE mountain.pass_prices IS 'prices of lift passes by profile and age band, cents of EUR';
COMMENT ON COLUMN mountain.pass_prices.product IS 'nopii';
COMMENT ON COLUMN mountain.pass_prices.profile IS 'nopii';
COMMENT ON COLUMN mountain.pass_prices.band IS 'nopii';

-- The public answers (GET /api/v1/lifts...) are cached (src/http/cache.h):
-- a change empties them in every guichetd.
CREATE TRIGGER lifts_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.lifts FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('mountain');
CREATE TRIGGER slopes_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.slopes FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('mountain');
CREATE TRIGGER slope_lifts_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.slope_lifts FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('mountain');
CREATE TRIGGER history_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.status_history FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('mountain');
CREATE TRIGGER snow_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.snow_reports FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('mountain');
CREATE TRIGGER seasons_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.seasons FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('lift_passes');
CREATE TRIGGER products_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.pass_products FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('lift_passes');
CREATE TRIGGER prices_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.pass_prices FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('lift_passes');

-- The live stream (src/http/live.h): an event to every guichetd, with an
-- id that is the same in all of them (Last-Event-ID resumption).  The
-- payload must stay under PostgreSQL's 8000 bytes.
CREATE SEQUENCE ops.live_event_id;
COMMENT ON SEQUENCE ops.live_event_id IS 'the ids of the live stream''s events (src/http/live.h)';
CREATE FUNCTION ops.live_publish(event text, data jsonb) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('guichet_live', json_build_object('id',
	    nextval('ops.live_event_id'), 'event', event, 'data', data)::text);
END;
$$;
COMMENT ON FUNCTION ops.live_publish(text, jsonb) IS 'sends one event of the live stream to every guichetd, at commit';

-- A change of status, of either kind, is an event of the stream.
CREATE FUNCTION mountain.live_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ops.live_publish(NEW.item_kind, json_build_object('id',
	    NEW.item_id, 'status', NEW.status, 'reason',
	    CASE WHEN NEW.reason_fr IS NULL AND NEW.reason_en IS NULL AND
	    NEW.reason_it IS NULL THEN NULL ELSE json_build_object('fr',
	    NEW.reason_fr, 'en', NEW.reason_en, 'it', NEW.reason_it) END,
	    'expected_at', to_char(NEW.expected_at AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'changed_at',
	    to_char(NEW.changed_at AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::jsonb);
	RETURN NULL;
END;
$$;
CREATE TRIGGER status_live AFTER INSERT ON mountain.status_history
	FOR EACH ROW EXECUTE FUNCTION mountain.live_status();

CREATE FUNCTION mountain.live_snow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ops.live_publish('snow_report', json_build_object(
	    'depth_bottom_cm', NEW.depth_bottom_cm, 'depth_top_cm',
	    NEW.depth_top_cm, 'fresh_24h_cm', NEW.fresh_24h_cm,
	    'avalanche_risk', NEW.avalanche_risk, 'weather', NEW.weather,
	    'reported_at', to_char(NEW.reported_at AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::jsonb);
	RETURN NULL;
END;
$$;
CREATE TRIGGER snow_live AFTER INSERT ON mountain.snow_reports
	FOR EACH ROW EXECUTE FUNCTION mountain.live_snow();

-- Least privilege (migration 014): the histories are insert-only.
GRANT USAGE ON SCHEMA mountain TO guichet_app;
GRANT SELECT ON ALL TABLES IN SCHEMA mountain TO guichet_app;
GRANT UPDATE ON mountain.lifts, mountain.slopes TO guichet_app;
GRANT INSERT ON mountain.status_history, mountain.snow_reports TO guichet_app;
GRANT USAGE ON SEQUENCE ops.live_event_id TO guichet_app;
GRANT EXECUTE ON FUNCTION ops.live_publish(text, jsonb) TO guichet_app;
