-- 026_open311: the Open311 GeoReport v2 server (src/open311).  What
-- Open311 brings beyond a report, which the incidents module does not
-- hold: the partner application that filed a request, the reporter's
-- contact as the partner gave it (email, first and last name, phone),
-- the partner's device and account ids and its media_url; and the
-- updates partners send (servicerequestupdates), idempotent on the
-- partner's own update_id.  Reports themselves are the incidents
-- module's: this schema holds their ids only (no foreign key across
-- modules, ARCHITECTURE.md, "Modules").
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.
CREATE SCHEMA open311;
COMMENT ON SCHEMA open311 IS 'the Open311 GeoReport v2 server: partners'' requests and updates';

GRANT USAGE ON SCHEMA open311 TO guichet_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA open311
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO guichet_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA open311
    GRANT USAGE, SELECT ON SEQUENCES TO guichet_app;

CREATE TABLE open311.requests (
	report_id	uuid PRIMARY KEY,
	client_id	text NOT NULL CHECK (client_id ~ '^cl_[0-9a-f]{16}$'),
	person_id	uuid,
	email		text CHECK (length(email) BETWEEN 3 AND 254),
	email_key	text CHECK (length(email_key) BETWEEN 3 AND 512),
	first_name	text CHECK (length(first_name) BETWEEN 1 AND 100),
	last_name	text CHECK (length(last_name) BETWEEN 1 AND 100),
	phone		text CHECK (length(phone) BETWEEN 1 AND 40),
	device_id	text CHECK (length(device_id) BETWEEN 1 AND 200),
	account_id	text CHECK (length(account_id) BETWEEN 1 AND 200),
	media_url	text CHECK (length(media_url) BETWEEN 1 AND 1000),
	created_at	timestamptz NOT NULL,
	anonymised_at	timestamptz
);
CREATE INDEX requests_person ON open311.requests (person_id)
    WHERE person_id IS NOT NULL;
CREATE INDEX requests_email_key ON open311.requests (email_key)
    WHERE email_key IS NOT NULL;
CREATE INDEX requests_created ON open311.requests (created_at)
    WHERE anonymised_at IS NULL;
COMMENT ON TABLE open311.requests IS 'Open311 service requests: the partner that filed a report and the reporter''s contact it gave';
COMMENT ON COLUMN open311.requests.report_id IS 'nopii: the report (incidents module)';
COMMENT ON COLUMN open311.requests.client_id IS 'nopii: the partner application';
COMMENT ON COLUMN open311.requests.person_id IS 'pii:partner_contact: the account whose address the email was when filed (export, erasure)';
COMMENT ON COLUMN open311.requests.email IS 'pii:partner_contact: the reporter''s address as the partner gave it (never public)';
COMMENT ON COLUMN open311.requests.email_key IS 'pii:partner_contact: the address compared as accounts are (identity_email_normalise), to find a person''s requests';
COMMENT ON COLUMN open311.requests.first_name IS 'pii:partner_contact: never public';
COMMENT ON COLUMN open311.requests.last_name IS 'pii:partner_contact: never public';
COMMENT ON COLUMN open311.requests.phone IS 'pii:partner_contact: never public';
COMMENT ON COLUMN open311.requests.device_id IS 'pii:partner_contact: the partner''s device id (never public)';
COMMENT ON COLUMN open311.requests.account_id IS 'pii:partner_contact: the partner''s account id (never public)';
COMMENT ON COLUMN open311.requests.media_url IS 'nopii: a picture of the problem the partner hosts (public)';
COMMENT ON COLUMN open311.requests.created_at IS 'nopii';
COMMENT ON COLUMN open311.requests.anonymised_at IS 'nopii: when retention or erasure removed the contact';

-- A partner's update, once: its update_id is the idempotency key.
CREATE TABLE open311.updates (
	client_id	text NOT NULL CHECK (client_id ~ '^cl_[0-9a-f]{16}$'),
	update_id	text NOT NULL CHECK (length(update_id) BETWEEN 1 AND 100),
	report_id	uuid NOT NULL,
	history_id	text NOT NULL,
	status		text NOT NULL CHECK (status IN ('open', 'closed')),
	media_url	text CHECK (length(media_url) BETWEEN 1 AND 1000),
	created_at	timestamptz NOT NULL,
	PRIMARY KEY (client_id, update_id)
);
CREATE UNIQUE INDEX updates_history ON open311.updates (history_id);
COMMENT ON TABLE open311.updates IS 'updates of requests sent by partners (servicerequestupdates), once each';
COMMENT ON COLUMN open311.updates.client_id IS 'nopii: the partner application';
COMMENT ON COLUMN open311.updates.update_id IS 'nopii: the partner''s id of the update';
COMMENT ON COLUMN open311.updates.report_id IS 'nopii';
COMMENT ON COLUMN open311.updates.history_id IS 'nopii: the move it made (incidents.history id)';
COMMENT ON COLUMN open311.updates.status IS 'nopii';
COMMENT ON COLUMN open311.updates.media_url IS 'nopii: a picture the partner hosts (public)';
COMMENT ON COLUMN open311.updates.created_at IS 'nopii';

-- Open311's GET requests: the newest first within a window of creation
-- dates (incidents_open311.c, OQ_REPORTS), without the map's box.
CREATE INDEX reports_created ON incidents.reports (created_at DESC, id);

INSERT INTO privacy.retention_events (code, description_fr, description_en,
    description_it) VALUES
	('partner_request', 'le dépôt de la demande Open311',
	    'the filing of the Open311 request',
	    'il deposito della richiesta Open311');

INSERT INTO privacy.categories (code, erasure, retention, retention_from,
    description_fr, description_en, description_it) VALUES
	('partner_contact', 'nullify', '1 year', 'partner_request',
	    'Demandes Open311 : le contact du déclarant transmis par '
	    'l''application partenaire (adresse, prénom, nom, téléphone, '
	    'identifiants de l''appareil et du compte chez le partenaire) ; '
	    'effacé un an après le dépôt',
	    'Open311 requests: the reporter''s contact the partner application '
	    'sent (address, first and last name, phone, the partner''s device '
	    'and account ids); removed a year after filing',
	    'Richieste Open311: il contatto del segnalante trasmesso '
	    'dall''applicazione partner (indirizzo, nome, cognome, telefono, '
	    'identificativi del dispositivo e dell''account presso il '
	    'partner); cancellato un anno dopo il deposito');

CREATE FUNCTION open311.retention_anonymise(p_before timestamptz,
    p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n	bigint;
BEGIN
	UPDATE open311.requests SET person_id = NULL, email = NULL,
	    email_key = NULL,
	    first_name = NULL, last_name = NULL, phone = NULL,
	    device_id = NULL, account_id = NULL, anonymised_at = p_now
	    WHERE created_at < p_before AND anonymised_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

INSERT INTO privacy.retention_rules (code, table_name, starts_sql, retention,
    retention_from, action, categories, legal_reference_fr, purge_function,
    position) VALUES
	('partner_contacts', 'open311.requests',
	    'CASE WHEN t.anonymised_at IS NULL THEN t.created_at END',
	    '1 year', 'partner_request', 'delete', '{partner_contact}',
	    'Demandes Open311 : le contact du déclarant est effacé un an après '
	    'le dépôt ; le signalement suit ses propres règles '
	    '(art. 5.1.e RGPD).',
	    'open311.retention_anonymise(timestamptz,timestamptz)', 80);
