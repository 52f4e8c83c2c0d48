-- 035: incidents.public_reports says what each report as the public sees
-- it is made from: the xmin of the report's row and of its category's,
-- which every committed change of either changes.  A module above that
-- keeps rendered reports (Open311's lists, src/http/fragment.h) keys them
-- with it and the versions of its own rows, so that nothing has to tell
-- it of a change.  The map (incidents' own statement) reads the same two
-- versions from the tables.  A column added at the end: the view is
-- otherwise 033's.
CREATE OR REPLACE VIEW incidents.public_reports AS
SELECT r.id, r.category, c.name_fr, c.name_en, c.name_it, r.department,
	r.description, r.position, ST_X(r.position::geometry) AS lon,
	ST_Y(r.position::geometry) AS lat, r.address,
	r.attributes::text AS attributes, r.status, r.close_reason,
	r.duplicate_of, r.status_note, r.supporters, r.created_at,
	r.updated_at, r.expected_at, r.finished_at,
	CASE WHEN r.photo_count > 0 THEN (SELECT string_agg(p.id::text, ','
	    ORDER BY p.created_at, p.id) FROM incidents.photos p
	    WHERE p.report_id = r.id) END AS photos,
	r.xmin::text || '.' || c.xmin::text AS version
FROM incidents.reports r
JOIN incidents.categories c ON c.code = r.category;
COMMENT ON COLUMN incidents.public_reports.version IS 'nopii: the versions (xmin) of the report''s row and its category''s: changes with either';
