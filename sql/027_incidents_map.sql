-- 027: the public map's newest reports without reading the whole box.
--
-- The map (incidents_select_map) keeps the newest reports of a box.  A
-- box that holds a street is best served by the GiST index on the
-- position (reports_position); a box that holds the village, where a
-- third of a million reports may lie, by walking the reports newest
-- first and keeping those inside the box: the statement is planned with
-- its values (DB_CUSTOM_PLAN), so PostgreSQL picks one or the other from
-- its statistics.  Measured with 1,000,000 reports, 337,458 in the
-- village's box, 33,916 of them open: the 1,000 newest open ones in 12 ms
-- through reports_map_status, against 136 ms reading the box.
CREATE INDEX reports_map_status ON incidents.reports (status, updated_at DESC, id);
COMMENT ON INDEX incidents.reports_map_status IS 'the map of one state, newest first';
CREATE INDEX reports_map_updated ON incidents.reports (updated_at DESC, id);
COMMENT ON INDEX incidents.reports_map_updated IS 'the map of every state, newest first';
