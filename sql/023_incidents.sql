-- 023_incidents: signalements (issue 11).  A report of a problem in the
-- public space (a pothole, a broken street light, ice on a path) under a
-- category owned by a department, placed on the map, which the department
-- acknowledges, handles and resolves or closes; people support an open
-- report instead of filing the same one again ("me too").
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.
-- Times come from the injectable clock as parameters, never now().
--
-- Positions are PostGIS geography points (WGS84, metres on the
-- spheroid): one GiST index serves the map's bounding box (&&) and the
-- duplicate search (ST_DWithin).  PostGIS (Debian postgresql-15-postgis-3)
-- is not a trusted extension: a superuser creates it, either the role that
-- migrates (tools/dev, the tests) or the DBA once before the first
-- migration (README, "Installing"); IF NOT EXISTS then does nothing.
CREATE EXTENSION IF NOT EXISTS postgis;

-- The commune's area: a report's position must fall inside it (one row;
-- the demo sets Montgenèvre's, a seaside town sets its own).
CREATE TABLE incidents.area (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	area		geometry(Polygon, 4326) NOT NULL
);
COMMENT ON TABLE incidents.area IS 'the commune''s area, in which reports are placed (WGS84)';
COMMENT ON COLUMN incidents.area.id IS 'nopii';
COMMENT ON COLUMN incidents.area.area IS 'nopii: the polygon (longitude, latitude)';

-- Is (lon, lat) inside the commune's area?  False without an area.
CREATE FUNCTION incidents.in_area(p_lon double precision,
    p_lat double precision) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT ST_Covers(a.area, ST_SetSRID(
	    ST_MakePoint(p_lon, p_lat), 4326)) FROM incidents.area a), false)
$$;

-- The categories: data, not code.  Their codes are the Open311 service
-- codes; their attributes are Open311 attributes (datatype string,
-- number, datetime, text, singlevaluelist, multivaluelist).
CREATE TABLE incidents.categories (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,47}$'),
	department	text NOT NULL CHECK (department ~ '^[a-z][a-z0-9_]{1,39}$'),
	name_fr		text NOT NULL CHECK (length(name_fr) BETWEEN 1 AND 120),
	name_en		text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 120),
	name_it		text NOT NULL CHECK (length(name_it) BETWEEN 1 AND 120),
	attributes	jsonb NOT NULL DEFAULT '[]'
			    CHECK (jsonb_typeof(attributes) = 'array'),
	resolution_days	integer NOT NULL CHECK (resolution_days BETWEEN 1 AND 365),
	anonymous_allowed boolean NOT NULL DEFAULT false,
	position	integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE incidents.categories IS 'kinds of reports (Open311 services): the department in charge, names, attributes, target resolution time';
COMMENT ON COLUMN incidents.categories.code IS 'nopii: the Open311 service code';
COMMENT ON COLUMN incidents.categories.department IS 'nopii: code of identity.departments';
COMMENT ON COLUMN incidents.categories.name_fr IS 'nopii';
COMMENT ON COLUMN incidents.categories.name_en IS 'nopii';
COMMENT ON COLUMN incidents.categories.name_it IS 'nopii';
COMMENT ON COLUMN incidents.categories.attributes IS 'nopii: the extra attributes, Open311 style';
COMMENT ON COLUMN incidents.categories.resolution_days IS 'nopii: target resolution time, days';
COMMENT ON COLUMN incidents.categories.anonymous_allowed IS 'nopii';
COMMENT ON COLUMN incidents.categories.position IS 'nopii: order in lists';

CREATE TABLE incidents.reports (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	category	text NOT NULL REFERENCES incidents.categories (code),
	department	text NOT NULL CHECK (department ~ '^[a-z][a-z0-9_]{1,39}$'),
	description	text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
	position	geography(Point, 4326),
	address		text CHECK (length(address) BETWEEN 1 AND 300),
	attributes	jsonb NOT NULL DEFAULT '{}'
			    CHECK (jsonb_typeof(attributes) = 'object'),
	status		text NOT NULL CHECK (status IN ('open', 'acknowledged',
			    'in_progress', 'resolved', 'closed')),
	close_reason	text CHECK (close_reason IN ('duplicate',
			    'not_responsible', 'invalid')),
	duplicate_of	uuid REFERENCES incidents.reports (id),
	status_note	text CHECK (length(status_note) BETWEEN 1 AND 4000),
	reporter_id	uuid,
	contact_email	text CHECK (length(contact_email) BETWEEN 3 AND 254),
	contact_token	text CHECK (length(contact_token) = 64),
	contact_verified_at timestamptz,
	contact_locale	text CHECK (contact_locale IN ('fr', 'en', 'it')),
	supporters	integer NOT NULL DEFAULT 0 CHECK (supporters >= 0),
	assignee_id	uuid,
	personal_data_flagged boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	expected_at	timestamptz NOT NULL,
	finished_at	timestamptz,
	anonymised_at	timestamptz,
	CHECK (position IS NOT NULL OR address IS NOT NULL),
	CHECK ((status = 'closed') = (close_reason IS NOT NULL)),
	CHECK ((close_reason = 'duplicate') = (duplicate_of IS NOT NULL)),
	CHECK ((status IN ('resolved', 'closed')) = (finished_at IS NOT NULL)),
	CHECK (duplicate_of <> id),
	CHECK (contact_email IS NULL OR reporter_id IS NULL)
);
COMMENT ON TABLE incidents.reports IS 'signalements: a problem in the public space, from open to resolved or closed';
COMMENT ON COLUMN incidents.reports.id IS 'nopii';
COMMENT ON COLUMN incidents.reports.category IS 'nopii';
COMMENT ON COLUMN incidents.reports.department IS 'nopii: the category''s department when filed';
COMMENT ON COLUMN incidents.reports.description IS 'pii:incident_report: what the reporter wrote (public; an agent flags personal data in it, then an erasure removes it)';
COMMENT ON COLUMN incidents.reports.position IS 'nopii: where the problem is (public map)';
COMMENT ON COLUMN incidents.reports.address IS 'nopii: where the problem is, when no position was given';
COMMENT ON COLUMN incidents.reports.attributes IS 'nopii: the category''s attribute values';
COMMENT ON COLUMN incidents.reports.status IS 'nopii';
COMMENT ON COLUMN incidents.reports.close_reason IS 'nopii';
COMMENT ON COLUMN incidents.reports.duplicate_of IS 'nopii: the original of a duplicate';
COMMENT ON COLUMN incidents.reports.status_note IS 'nopii: the department''s public note';
COMMENT ON COLUMN incidents.reports.reporter_id IS 'pii:incident_report: the account that reported (never public)';
COMMENT ON COLUMN incidents.reports.contact_email IS 'pii:incident_report: the follow-up address of an anonymous report (mail only once confirmed)';
COMMENT ON COLUMN incidents.reports.contact_token IS 'pii:incident_report: SHA-256 (hex) of the confirmation token of the follow-up address';
COMMENT ON COLUMN incidents.reports.contact_verified_at IS 'pii:incident_report: when its holder confirmed the follow-up address';
COMMENT ON COLUMN incidents.reports.contact_locale IS 'nopii: the language of the follow-up mail';
COMMENT ON COLUMN incidents.reports.supporters IS 'nopii: how many people support it';
COMMENT ON COLUMN incidents.reports.assignee_id IS 'nopii: the agent of the department it is assigned to';
COMMENT ON COLUMN incidents.reports.personal_data_flagged IS 'nopii: an agent saw personal data in the description';
COMMENT ON COLUMN incidents.reports.created_at IS 'nopii';
COMMENT ON COLUMN incidents.reports.updated_at IS 'nopii';
COMMENT ON COLUMN incidents.reports.expected_at IS 'nopii: expected resolution (the category''s target)';
COMMENT ON COLUMN incidents.reports.finished_at IS 'nopii: resolved or closed at';
COMMENT ON COLUMN incidents.reports.anonymised_at IS 'nopii: when retention or erasure cut it from people';

-- The one spatial index: the map's bounding box and the duplicates.
CREATE INDEX reports_position ON incidents.reports USING gist (position);
-- The department's board, by sort, and the reporter's own.
CREATE INDEX reports_board_created ON incidents.reports (department, status,
    created_at, id);
CREATE INDEX reports_board_updated ON incidents.reports (department, status,
    updated_at, id);
CREATE INDEX reports_reporter ON incidents.reports (reporter_id)
    WHERE reporter_id IS NOT NULL;
CREATE INDEX reports_duplicate_of ON incidents.reports (duplicate_of)
    WHERE duplicate_of IS NOT NULL;
CREATE INDEX reports_finished ON incidents.reports (finished_at)
    WHERE anonymised_at IS NULL AND finished_at IS NOT NULL;

-- "Me too": who supports a report (subscribed to its updates).
CREATE TABLE incidents.supporters (
	report_id	uuid NOT NULL REFERENCES incidents.reports (id)
			    ON DELETE CASCADE,
	account_id	uuid NOT NULL,
	at		timestamptz NOT NULL,
	PRIMARY KEY (report_id, account_id)
);
CREATE INDEX supporters_account ON incidents.supporters (account_id);
COMMENT ON TABLE incidents.supporters IS 'the people who support a report and get its updates';
COMMENT ON COLUMN incidents.supporters.report_id IS 'nopii';
COMMENT ON COLUMN incidents.supporters.account_id IS 'pii:incident_report: the supporter';
COMMENT ON COLUMN incidents.supporters.at IS 'nopii';

-- The public history of a report (who among the agents stays internal).
CREATE TABLE incidents.history (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	report_id	uuid NOT NULL REFERENCES incidents.reports (id)
			    ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	actor_id	uuid,
	from_status	text,
	to_status	text NOT NULL,
	note		text CHECK (length(note) BETWEEN 1 AND 4000)
);
CREATE INDEX history_report ON incidents.history (report_id, id);
COMMENT ON TABLE incidents.history IS 'the moves of a report with the department''s public notes';
COMMENT ON COLUMN incidents.history.id IS 'nopii';
COMMENT ON COLUMN incidents.history.report_id IS 'nopii';
COMMENT ON COLUMN incidents.history.at IS 'nopii';
COMMENT ON COLUMN incidents.history.actor_id IS 'nopii: the agent (never shown publicly)';
COMMENT ON COLUMN incidents.history.from_status IS 'nopii';
COMMENT ON COLUMN incidents.history.to_status IS 'nopii';
COMMENT ON COLUMN incidents.history.note IS 'nopii: the department''s public note';

-- The department's internal notes: agents only.
CREATE TABLE incidents.notes (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	report_id	uuid NOT NULL REFERENCES incidents.reports (id)
			    ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	author_id	uuid NOT NULL,
	body		text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000)
);
CREATE INDEX notes_report ON incidents.notes (report_id, id);
COMMENT ON TABLE incidents.notes IS 'agents'' internal notes on a report';
COMMENT ON COLUMN incidents.notes.id IS 'nopii';
COMMENT ON COLUMN incidents.notes.report_id IS 'nopii';
COMMENT ON COLUMN incidents.notes.at IS 'nopii';
COMMENT ON COLUMN incidents.notes.author_id IS 'nopii: the agent';
COMMENT ON COLUMN incidents.notes.body IS 'pii:incident_report: what an agent wrote (may name the reporter)';

-- Photos (at most 3 a report, by its reporter shortly after filing): the
-- files module keeps the bytes.  The original, as sent (with its EXIF:
-- GPS, camera serial...), is for the department's agents only and goes
-- with its uploader's erasure; the public copy and the thumbnail were
-- re-encoded from the pixels without any metadata (files_image_strip()),
-- and are served once scanned clean.
CREATE TABLE incidents.photos (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	report_id	uuid NOT NULL REFERENCES incidents.reports (id)
			    ON DELETE CASCADE,
	original_file	uuid NOT NULL,
	public_file	uuid NOT NULL,
	thumb_file	uuid NOT NULL,
	width		integer NOT NULL CHECK (width > 0),
	height		integer NOT NULL CHECK (height > 0),
	created_at	timestamptz NOT NULL
);
CREATE INDEX photos_report ON incidents.photos (report_id, created_at);
COMMENT ON TABLE incidents.photos IS 'a report''s photos: the original (agents) and its public copies without metadata';
COMMENT ON COLUMN incidents.photos.id IS 'nopii';
COMMENT ON COLUMN incidents.photos.report_id IS 'nopii';
COMMENT ON COLUMN incidents.photos.original_file IS 'nopii: files.files id of the photo as sent (agents only)';
COMMENT ON COLUMN incidents.photos.public_file IS 'nopii: files.files id of the re-encoded copy';
COMMENT ON COLUMN incidents.photos.thumb_file IS 'nopii: files.files id of the thumbnail';
COMMENT ON COLUMN incidents.photos.width IS 'nopii';
COMMENT ON COLUMN incidents.photos.height IS 'nopii';
COMMENT ON COLUMN incidents.photos.created_at IS 'nopii';

-- Least privilege: the history is insert-only for the request threads;
-- the categories and the area are the operator's data.
REVOKE UPDATE, DELETE ON incidents.history FROM guichet_app;
REVOKE INSERT, UPDATE, DELETE ON incidents.categories, incidents.area
    FROM guichet_app;

INSERT INTO privacy.retention_events (code, description_fr, description_en,
    description_it) VALUES
	('incident_finished', 'la résolution ou la clôture du signalement',
	    'the resolution or closure of the report',
	    'la risoluzione o la chiusura della segnalazione');

INSERT INTO privacy.categories (code, erasure, retention, retention_from,
    description_fr, description_en, description_it) VALUES
	('incident_report', 'nullify', '1 year', 'incident_finished',
	    'Signalements : qui a signalé ou soutenu, l''adresse de suivi, '
	    'la description, les photos telles qu''envoyées ; la personne est '
	    'détachée du signalement un an après sa résolution',
	    'Reports: who reported or supported, the follow-up address, the '
	    'description, the photos as sent; the person is cut from the '
	    'report a year after its resolution',
	    'Segnalazioni: chi ha segnalato o sostenuto, l''indirizzo di '
	    'seguito, la descrizione, le foto come inviate; la persona è '
	    'staccata dalla segnalazione un anno dopo la risoluzione');

-- The retention of a finished report: it stays on the map, cut from its
-- people (reporter, follow-up address, supporters; the description when
-- an agent flagged personal data in it), like an erasure does.  The
-- purge calls it for the rule below instead of a DELETE (007's
-- purge_function); the period is the rule's, data an operator may
-- shorten.  The originals of the photos go with their uploader's erasure
-- or the account's own retention (files module).
CREATE FUNCTION incidents.retention_anonymise(p_before timestamptz,
    p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n	bigint;
BEGIN
	DELETE FROM incidents.supporters s USING incidents.reports r
	    WHERE r.id = s.report_id AND r.finished_at < p_before
	    AND r.anonymised_at IS NULL;
	UPDATE incidents.reports SET reporter_id = NULL, contact_email = NULL,
	    contact_token = NULL, contact_verified_at = NULL,
	    contact_locale = NULL, supporters = 0, description = CASE WHEN
	    personal_data_flagged THEN '[effacé]' ELSE description END,
	    anonymised_at = p_now
	    WHERE finished_at < p_before AND anonymised_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

INSERT INTO privacy.retention_rules (code, table_name, starts_sql, retention,
    retention_from, action, categories, legal_reference_fr, purge_function,
    position) VALUES
	('incident_reports', 'incidents.reports',
	    'CASE WHEN t.anonymised_at IS NULL THEN t.finished_at END',
	    '1 year', 'incident_finished', 'delete', '{incident_report}',
	    'Signalements : la personne (compte, adresse de suivi, soutiens) '
	    'est détachée du signalement un an après sa résolution ou sa '
	    'clôture ; le signalement reste, anonymisé, sur la carte publique '
	    '(art. 5.1.e RGPD).',
	    'incidents.retention_anonymise(timestamptz,timestamptz)', 70);
