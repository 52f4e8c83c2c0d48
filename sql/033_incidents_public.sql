-- 033: incidents.public_reports, a report as the public sees it, for the
-- modules above incidents (ARCHITECTURE.md, "Rules a module keeps": they
-- read another module's data only through what it exports).
--
-- Open311's request list read the reports through incidents (one
-- statement), then the partners' media_url and address_id of the 1,000
-- listed in a second statement that took their ids as a uuid[] text
-- (parsing it was 7 % of the CPU of a list), and the departments' names
-- in a third.  With this view the open311 module reads the reports, its
-- own columns and the departments' names in one statement; the view is
-- inlined by the planner, so the filters and the order reach the indexes
-- of incidents.reports as before.
--
-- The columns are those of INCIDENTS_PUBLIC_COLS (src/incidents/
-- incidents_int.h), which incidents_view() reads, plus the position for
-- the filters: never who reported or supports a report.
CREATE VIEW incidents.public_reports AS
SELECT r.id, r.category, c.name_fr, c.name_en, c.name_it, r.department,
	r.description, r.position, ST_X(r.position::geometry) AS lon,
	ST_Y(r.position::geometry) AS lat, r.address,
	r.attributes::text AS attributes, r.status, r.close_reason,
	r.duplicate_of, r.status_note, r.supporters, r.created_at,
	r.updated_at, r.expected_at, r.finished_at,
	CASE WHEN r.photo_count > 0 THEN (SELECT string_agg(p.id::text, ','
	    ORDER BY p.created_at, p.id) FROM incidents.photos p
	    WHERE p.report_id = r.id) END AS photos
FROM incidents.reports r
JOIN incidents.categories c ON c.code = r.category;
COMMENT ON VIEW incidents.public_reports IS 'the incidents module''s interface to the modules above it: every report as the public sees it (the map, Open311), never who reported or supports it';
COMMENT ON COLUMN incidents.public_reports.id IS 'nopii';
COMMENT ON COLUMN incidents.public_reports.category IS 'nopii';
COMMENT ON COLUMN incidents.public_reports.name_fr IS 'nopii: the category''s name';
COMMENT ON COLUMN incidents.public_reports.name_en IS 'nopii: the category''s name';
COMMENT ON COLUMN incidents.public_reports.name_it IS 'nopii: the category''s name';
COMMENT ON COLUMN incidents.public_reports.department IS 'nopii: the category''s department when filed';
COMMENT ON COLUMN incidents.public_reports.description IS 'pii:incident_report: what the reporter wrote (public; an agent flags personal data in it, then an erasure removes it)';
COMMENT ON COLUMN incidents.public_reports.position IS 'nopii: where the problem is (public map)';
COMMENT ON COLUMN incidents.public_reports.lon IS 'nopii: the position''s longitude';
COMMENT ON COLUMN incidents.public_reports.lat IS 'nopii: the position''s latitude';
COMMENT ON COLUMN incidents.public_reports.address IS 'nopii: where the problem is, when no position was given';
COMMENT ON COLUMN incidents.public_reports.attributes IS 'nopii: the category''s attribute values (JSON text)';
COMMENT ON COLUMN incidents.public_reports.status IS 'nopii';
COMMENT ON COLUMN incidents.public_reports.close_reason IS 'nopii';
COMMENT ON COLUMN incidents.public_reports.duplicate_of IS 'nopii: the original of a duplicate';
COMMENT ON COLUMN incidents.public_reports.status_note IS 'nopii: the department''s public note';
COMMENT ON COLUMN incidents.public_reports.supporters IS 'nopii: how many people support it';
COMMENT ON COLUMN incidents.public_reports.created_at IS 'nopii';
COMMENT ON COLUMN incidents.public_reports.updated_at IS 'nopii';
COMMENT ON COLUMN incidents.public_reports.expected_at IS 'nopii: expected resolution (the category''s target)';
COMMENT ON COLUMN incidents.public_reports.finished_at IS 'nopii: resolved or closed at';
COMMENT ON COLUMN incidents.public_reports.photos IS 'nopii: its photos'' ids, comma separated, oldest first (NULL: none)';
GRANT SELECT ON incidents.public_reports TO guichet_app;
