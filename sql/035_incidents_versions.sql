-- 035: a report's longitude and latitude as columns of their own,
-- computed from its position once (generated): the map's box is a
-- rectangle of longitudes and latitudes (RFC 7946's bbox), which plain
-- comparisons of two floats test before the geography's && (the GiST
-- index's operator, about 0.45 us a row, most of a map's statement when a
-- thousand reports of the box are found among three thousand recent
-- ones); every read of a position writes them without ST_X(), ST_Y().
ALTER TABLE incidents.reports
	ADD COLUMN lon float8 GENERATED ALWAYS AS (ST_X(position::geometry)) STORED,
	ADD COLUMN lat float8 GENERATED ALWAYS AS (ST_Y(position::geometry)) STORED;
COMMENT ON COLUMN incidents.reports.lon IS 'nopii: the position''s longitude (generated)';
COMMENT ON COLUMN incidents.reports.lat IS 'nopii: the position''s latitude (generated)';

-- A report's revision: how many times its row changed (a trigger adds
-- one at every UPDATE), the version of the row that the Features and
-- Open311 requests kept written are keyed by (src/http/fragment.h).  Not
-- xmin: an index holds a column, never xmin, and the map's statement
-- reads only the index below.  The price: the map's indexes hold the
-- revision, so no change of a report is a HOT update any more (each adds
-- entries to the table's indexes; a report changes a few times in its
-- life).  On an existing town this migration rewrites the table (the
-- generated columns) and builds two indexes under an exclusive lock: 12
-- and about 2 s for a million reports on the bench machine.
ALTER TABLE incidents.reports ADD COLUMN revision bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN incidents.reports.revision IS 'nopii: how many times the row changed (incidents.reports_revision())';
CREATE FUNCTION incidents.reports_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.revision := OLD.revision + 1;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION incidents.reports_revision() IS 'a report''s revision: one more at every change of its row';
CREATE TRIGGER reports_revision BEFORE UPDATE ON incidents.reports
	FOR EACH ROW EXECUTE FUNCTION incidents.reports_revision();

-- The map's statement reads its indexes only (an index-only scan): the
-- newest reports of a state, or of every state, with what the box, the
-- filters and the keys need.  Walking 027's indexes read one heap page
-- for each of the ~3,000 recent reports among which the 1,000 of the
-- village's box are found (the bench's million reports): 850 statements
-- a second on two cores; from the index alone, 1,685.
DROP INDEX incidents.reports_map_status;
DROP INDEX incidents.reports_map_updated;
CREATE INDEX reports_map_status ON incidents.reports (status, updated_at DESC,
    id) INCLUDE (lon, lat, position, category, revision);
COMMENT ON INDEX incidents.reports_map_status IS 'the map of one state, newest first, read from the index alone';
CREATE INDEX reports_map_updated ON incidents.reports (updated_at DESC, id)
    INCLUDE (status, lon, lat, position, category, revision);
COMMENT ON INDEX incidents.reports_map_updated IS 'the map of every state, newest first, read from the index alone';
-- An index-only scan reads the table for rows on pages changed since the
-- last vacuum, and the map reads the newest rows: vacuum after 1 % of the
-- rows changed or were added, not PostgreSQL's 20 %.
ALTER TABLE incidents.reports SET (autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01);

-- incidents.public_reports says what each report as the public sees
-- it is made from: the report's revision and its category's xmin,
-- which every committed change of either changes.  A module above that
-- keeps rendered reports (Open311's lists, src/http/fragment.h) keys them
-- with it and the versions of its own rows, so that nothing has to tell
-- it of a change.  The map (incidents' own statement) reads the same two
-- versions from the tables.  The view is otherwise 033's, with the
-- longitude and latitude read from their columns and the version added
-- at the end.
CREATE OR REPLACE VIEW incidents.public_reports AS
SELECT r.id, r.category, c.name_fr, c.name_en, c.name_it, r.department,
	r.description, r.position, r.lon, r.lat, r.address,
	r.attributes::text AS attributes, r.status, r.close_reason,
	r.duplicate_of, r.status_note, r.supporters, r.created_at,
	r.updated_at, r.expected_at, r.finished_at,
	CASE WHEN r.photo_count > 0 THEN (SELECT string_agg(p.id::text, ','
	    ORDER BY p.created_at, p.id) FROM incidents.photos p
	    WHERE p.report_id = r.id) END AS photos,
	r.revision::text || '.' || c.xmin::text AS version
FROM incidents.reports r
JOIN incidents.categories c ON c.code = r.category;
COMMENT ON COLUMN incidents.public_reports.version IS 'nopii: the report''s revision and its category''s xmin: changes with either';
GRANT SELECT ON incidents.public_reports TO guichet_app;
