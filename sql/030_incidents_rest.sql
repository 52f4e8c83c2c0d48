-- 030_incidents_rest: the rest of issue 11.
--
-- Anonymous reports take photos too: the answer to an anonymous filing
-- holds a secret (photo_token) that its holder sends with each photo
-- within 24 hours of filing; the report keeps its SHA-256 only.
--
-- Retention erases the originals of the photos of the reports it
-- anonymises (their bytes, with their EXIF: GPS, camera serial), as the
-- erasure of their uploader does; the public copies, re-encoded without
-- metadata, stay with the report on the map, as they do after an
-- erasure.  The purge hook of the incidents module does it through the
-- files module (files_erase()) and records it here.
--
-- The partner's address_id (Open311 POST requests), kept as given and
-- answered as given.
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.
ALTER TABLE incidents.reports ADD COLUMN photo_token text
    CHECK (photo_token ~ '^[0-9a-f]{64}$');
COMMENT ON COLUMN incidents.reports.photo_token IS 'nopii: SHA-256 (hex) of the secret with which the anonymous reporter adds photos within 24 hours of filing';

ALTER TABLE incidents.photos ADD COLUMN original_erased_at timestamptz;
COMMENT ON COLUMN incidents.photos.original_erased_at IS 'nopii: when the original''s bytes were erased (the report anonymised by retention or erasure)';
CREATE INDEX photos_original_kept ON incidents.photos (report_id)
    WHERE original_erased_at IS NULL;

ALTER TABLE open311.requests ADD COLUMN address_id text
    CHECK (length(address_id) BETWEEN 1 AND 200);
COMMENT ON COLUMN open311.requests.address_id IS 'nopii: the partner''s id of the place in its address repository, as given (public)';
