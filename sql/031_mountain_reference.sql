-- 031_mountain_reference: the mountain's reference data is the operator's
-- to set up (src/mountain/reference.c: guichetctl mountain import|export,
-- GET and PUT /api/v1/admin/mountain), not the demo's SQL alone.
--
-- The age bands of lift passes become data: until now the code held
-- them (free under 6, child 6 to 12, adult 13 to 64, senior 65 and
-- over); those stay the bands of a town that imports none.  A band is one
-- of the four names the prices use, from an age to the next band's.
CREATE TABLE mountain.age_bands (
	band		text PRIMARY KEY CHECK (band IN ('infant', 'child',
			    'adult', 'senior')),
	from_age	integer NOT NULL UNIQUE CHECK (from_age BETWEEN 0 AND 130)
);
COMMENT ON TABLE mountain.age_bands IS 'the age bands of lift-pass prices: each from its first age to the next band''s (age on the first day of validity)';
COMMENT ON COLUMN mountain.age_bands.band IS 'nopii';
COMMENT ON COLUMN mountain.age_bands.from_age IS 'nopii: the first age of the band, in whole years';
INSERT INTO mountain.age_bands (band, from_age) VALUES
	('infant', 0), ('child', 6), ('adult', 13), ('senior', 65);

CREATE TRIGGER age_bands_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON mountain.age_bands FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('lift_passes');

-- The import replaces the reference data in one transaction, through the
-- request threads too (PUT /api/v1/admin/mountain): lifts, slopes and
-- their links, seasons, bands, products and prices.  The histories stay
-- insert-only: a lift or slope removed keeps its history.
GRANT SELECT, INSERT, UPDATE, DELETE ON mountain.lifts, mountain.slopes,
    mountain.slope_lifts, mountain.seasons, mountain.age_bands,
    mountain.pass_products, mountain.pass_prices TO guichet_app;

-- An import that changed something is an event of the live stream
-- (src/http/live.h), sent at commit: the counts of what changed, so that
-- the screens fetch the lists again.  Through the mountain's own function,
-- as its changes of status go through mountain.live_status().
CREATE FUNCTION mountain.publish_reference(counts jsonb) RETURNS void
    LANGUAGE sql AS $$
	SELECT ops.live_publish('mountain_reference', counts);
$$;
COMMENT ON FUNCTION mountain.publish_reference(jsonb) IS 'sends the event mountain_reference of the live stream (what an import changed, counted)';
GRANT EXECUTE ON FUNCTION mountain.publish_reference(jsonb) TO guichet_app;
