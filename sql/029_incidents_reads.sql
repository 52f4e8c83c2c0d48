-- 029: the public reads of signalements (the map, Open311's requests).
--
-- 1. A report's public columns without looking into the photos of each.
-- The public columns (INCIDENTS_PUBLIC_COLS) list a report's photos.  A
-- look into incidents.photos for each of the 1,000 reports of a map costs
-- about 2 ms even when none has a photo, and PostgreSQL may instead hash
-- the whole table for each map (173 ms with 200,000 photos).  Each report
-- now counts its photos, kept by a trigger on incidents.photos, and the
-- photos are read only for the reports that have some.
ALTER TABLE incidents.reports ADD COLUMN photo_count smallint NOT NULL
	DEFAULT 0;
COMMENT ON COLUMN incidents.reports.photo_count IS 'nopii: how many photos it has (incidents.photos; kept by the trigger photos_count)';

UPDATE incidents.reports r SET photo_count = p.n
FROM (SELECT report_id, count(*) AS n FROM incidents.photos
	GROUP BY report_id) p
WHERE r.id = p.report_id;

CREATE FUNCTION incidents.photos_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE incidents.reports SET photo_count = photo_count - 1
		WHERE id = OLD.report_id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE incidents.reports SET photo_count = photo_count + 1
		WHERE id = NEW.report_id;
	END IF;
	RETURN NULL;
END;
$$;
COMMENT ON FUNCTION incidents.photos_count() IS 'keeps incidents.reports.photo_count';
CREATE TRIGGER photos_count AFTER INSERT OR DELETE OR UPDATE OF report_id
	ON incidents.photos FOR EACH ROW EXECUTE FUNCTION incidents.photos_count();

-- 2. The partners' media_url of the 1,000 requests of an Open311 list:
-- only the requests that have one, not a probe of every request.
CREATE INDEX requests_media ON open311.requests (report_id)
	WHERE media_url IS NOT NULL;
COMMENT ON INDEX open311.requests_media IS 'the media_url of a list of requests (open311_select_requests_media)';
