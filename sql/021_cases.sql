-- 021_cases: démarches (issue 10).  A case is a request a person files
-- under a version of a procedure of the catalogue (src/procedures), which
-- the procedure's department processes to a decision: its answers, its
-- readable reference, its acknowledgement of receipt (CRPA L112-11,
-- R112-11-1, R112-5), its history, its thread of messages and the
-- department's internal notes, the entitlements an acceptance grants.
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.
-- Times come from the injectable clock as parameters, never now().
--
-- The module reads other modules only through what they export: the
-- person (identity.directory), the departments (identity.departments,
-- identity.agent_departments), the town (ops.town: its reference prefix
-- and its time zone).  No foreign key leaves the schema: an account is
-- never deleted (erasure rewrites it), and a procedure version is never
-- deleted (a case keeps the version it was filed under).

-- French stemming with accents folded, for q= of GET /api/v1/cases: the
-- words of the answers go through unaccent (postgresql-contrib, a trusted
-- extension: the database owner may create it), then the French
-- Snowball stemmer; a query is folded the same way, so that "elagage"
-- finds "Élagage" and "terrasses" finds "terrasse".
CREATE EXTENSION IF NOT EXISTS unaccent;
-- btree_gin (postgresql-contrib, trusted too): one GIN index over the
-- department and the words, so that a search of a department's queue
-- reads only that department's matches.
CREATE EXTENSION IF NOT EXISTS btree_gin;
DO $$
DECLARE
	s	text;
BEGIN
	SELECT n.nspname INTO STRICT s FROM pg_ts_dict d
	    JOIN pg_namespace n ON n.oid = d.dictnamespace
	    WHERE d.dictname = 'unaccent';
	CREATE TEXT SEARCH CONFIGURATION cases.french_unaccent
	    (COPY = pg_catalog.french);
	EXECUTE format('ALTER TEXT SEARCH CONFIGURATION cases.french_unaccent '
	    'ALTER MAPPING FOR hword, hword_part, word WITH %I.unaccent, '
	    'french_stem', s);
END $$;
COMMENT ON TEXT SEARCH CONFIGURATION cases.french_unaccent IS 'French stemming over words with their accents removed: the full-text search of cases';

-- The department's contact details that an acknowledgement of receipt
-- must carry (R112-5 2°: its designation, postal address, email address
-- and telephone number), and the mailbox that hears of its cases.  The
-- department itself (code, names) is identity.departments.
CREATE TABLE cases.department_contacts (
	department	text PRIMARY KEY CHECK (department ~ '^[a-z][a-z0-9_]{1,39}$'),
	address		text NOT NULL CHECK (length(address) BETWEEN 1 AND 300),
	phone		text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
	email		text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
	hours_fr	text CHECK (length(hours_fr) BETWEEN 1 AND 300),
	hours_en	text CHECK (length(hours_en) BETWEEN 1 AND 300),
	hours_it	text CHECK (length(hours_it) BETWEEN 1 AND 300)
);
COMMENT ON TABLE cases.department_contacts IS 'how to reach a department of the town (acknowledgements of receipt, notices of its cases): data, not code';
COMMENT ON COLUMN cases.department_contacts.department IS 'nopii: code of identity.departments';
COMMENT ON COLUMN cases.department_contacts.address IS 'nopii: the department''s postal address';
COMMENT ON COLUMN cases.department_contacts.phone IS 'nopii: the department''s switchboard (E.164)';
COMMENT ON COLUMN cases.department_contacts.email IS 'nopii: the department''s functional mailbox, never a person''s';
COMMENT ON COLUMN cases.department_contacts.hours_fr IS 'nopii';
COMMENT ON COLUMN cases.department_contacts.hours_en IS 'nopii';
COMMENT ON COLUMN cases.department_contacts.hours_it IS 'nopii';

CREATE TABLE cases.cases (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	reference	text UNIQUE CHECK (reference ~ '^[A-Z]{2,5}-[0-9]{4}-[0-9]{6,}$'),
	owner_id	uuid NOT NULL,
	procedure	text NOT NULL CHECK (procedure ~ '^[a-z][a-z0-9_]{0,47}$'),
	procedure_version integer NOT NULL CHECK (procedure_version >= 1),
	department	text NOT NULL CHECK (department ~ '^[a-z][a-z0-9_]{1,39}$'),
	profile_kind	text CHECK (length(profile_kind) BETWEEN 1 AND 40),
	status		text NOT NULL CHECK (status IN ('draft', 'submitted',
			    'in_review', 'awaiting_information', 'accepted',
			    'rejected', 'withdrawn', 'closed')),
	answers		jsonb NOT NULL DEFAULT '{}'
			    CHECK (jsonb_typeof(answers) = 'object'),
	search		tsvector GENERATED ALWAYS AS (
			    setweight(to_tsvector('cases.french_unaccent',
			    coalesce(reference || ' ' || replace(reference, '-',
			    ' '), '')), 'A') ||
			    jsonb_to_tsvector('cases.french_unaccent', answers,
			    '["string", "numeric"]')) STORED,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	expires_at	timestamptz,
	draft_warned_at	timestamptz,
	received_at	timestamptz,
	deadline_days	integer CHECK (deadline_days > 0),
	implicit	text CHECK (implicit IN ('acceptance', 'rejection', 'none')),
	paused_days	integer NOT NULL DEFAULT 0 CHECK (paused_days >= 0),
	paused_since	timestamptz,
	due_at		timestamptz,
	assignee_id	uuid,
	decided_at	timestamptz,
	decision	text CHECK (decision IN ('accepted', 'rejected')),
	decided_implicitly boolean NOT NULL DEFAULT false,
	closes_at	timestamptz,
	closed_at	timestamptz,
	retention_years	integer CHECK (retention_years BETWEEN 0 AND 100),
	legal_basis	text CHECK (length(legal_basis) BETWEEN 1 AND 500),
	grants		jsonb,
	redacted_at	timestamptz,
	-- A draft has no reference and no receipt; anything else has both.
	CHECK ((status = 'draft') = (reference IS NULL)),
	CHECK ((status = 'draft') = (received_at IS NULL)),
	CHECK (status <> 'draft' OR expires_at IS NOT NULL),
	CHECK (status = 'draft' OR (deadline_days IS NOT NULL AND
	    implicit IS NOT NULL)),
	-- The deadline is paused exactly while information is awaited.
	CHECK ((status = 'awaiting_information') = (paused_since IS NOT NULL)),
	CHECK ((decision IS NOT NULL) = (decided_at IS NOT NULL)),
	CHECK (status NOT IN ('accepted', 'rejected') OR
	    (decision = status AND closes_at IS NOT NULL)),
	CHECK ((status IN ('closed', 'withdrawn')) = (closed_at IS NOT NULL))
);
COMMENT ON TABLE cases.cases IS 'démarches: a person''s request under a version of a procedure, from draft to decision and closure';
COMMENT ON COLUMN cases.cases.id IS 'nopii';
COMMENT ON COLUMN cases.cases.reference IS 'nopii: the readable reference given at submission (MGV-2026-000123), kept in the tombstone of an erasure';
COMMENT ON COLUMN cases.cases.owner_id IS 'nopii: the account that filed the case';
COMMENT ON COLUMN cases.cases.procedure IS 'nopii: code of the procedure';
COMMENT ON COLUMN cases.cases.procedure_version IS 'nopii: the version it was filed under';
COMMENT ON COLUMN cases.cases.department IS 'nopii: the department in charge (the procedure''s)';
COMMENT ON COLUMN cases.cases.profile_kind IS 'pii:profile: the filer''s profile kind when the case was filed';
COMMENT ON COLUMN cases.cases.status IS 'nopii';
COMMENT ON COLUMN cases.cases.answers IS 'pii:case_file: the answers to the procedure''s form';
COMMENT ON COLUMN cases.cases.search IS 'pii:case_file: the words of the reference (whole and in parts: MGV-2026-000123 is found by 000123 too) and of the answers, for the full-text search';
COMMENT ON COLUMN cases.cases.created_at IS 'nopii';
COMMENT ON COLUMN cases.cases.updated_at IS 'nopii';
COMMENT ON COLUMN cases.cases.expires_at IS 'nopii: a draft is deleted after this time, once its owner was told (3 days before at least)';
COMMENT ON COLUMN cases.cases.draft_warned_at IS 'nopii: when the owner was told that the draft will be deleted';
COMMENT ON COLUMN cases.cases.received_at IS 'nopii: the date of receipt (submission), from which the deadline runs';
COMMENT ON COLUMN cases.cases.deadline_days IS 'nopii: the procedure''s deadline, calendar days';
COMMENT ON COLUMN cases.cases.implicit IS 'nopii: what silence at the deadline means (CRPA L231-1, L231-4)';
COMMENT ON COLUMN cases.cases.paused_days IS 'nopii: calendar days added to the deadline by requests for information';
COMMENT ON COLUMN cases.cases.paused_since IS 'nopii: the deadline is paused since (awaiting information)';
COMMENT ON COLUMN cases.cases.due_at IS 'nopii: when silence decides (midnight in the town''s time zone); NULL while paused';
COMMENT ON COLUMN cases.cases.assignee_id IS 'nopii: the agent of the department the case is assigned to';
COMMENT ON COLUMN cases.cases.decided_at IS 'nopii: the decision''s date (for an implicit decision: the deadline)';
COMMENT ON COLUMN cases.cases.decision IS 'nopii: accepted or rejected';
COMMENT ON COLUMN cases.cases.decided_implicitly IS 'nopii: decided by silence at the deadline';
COMMENT ON COLUMN cases.cases.closes_at IS 'nopii: the end of the appeal period (two months from the decision, R421-1 and R421-2 CJA)';
COMMENT ON COLUMN cases.cases.closed_at IS 'nopii: closure or withdrawal; the retention runs from it';
COMMENT ON COLUMN cases.cases.retention_years IS 'nopii: the procedure''s retention of a decided case';
COMMENT ON COLUMN cases.cases.legal_basis IS 'nopii: of that retention';
COMMENT ON COLUMN cases.cases.grants IS 'nopii: what an acceptance grants ({kind, season}), the procedure''s';
COMMENT ON COLUMN cases.cases.redacted_at IS 'nopii: when the owner''s erasure reduced the case to its tombstone';

-- The owner's cases, newest first.
CREATE INDEX cases_owner ON cases.cases (owner_id, updated_at DESC, id DESC);
COMMENT ON INDEX cases.cases_owner IS 'GET /api/v1/cases of a resident; export and erasure';
-- An agent's queue: one ordered index per sort, by department and
-- status: the list reads each (department, status) the agent may see
-- along its index, from the cursor on, and merges the heads.
CREATE INDEX cases_queue_received ON cases.cases (department, status,
    coalesce(received_at, created_at), id) WHERE status <> 'draft';
COMMENT ON INDEX cases.cases_queue_received IS 'queue sorted by receipt (sort=received)';
CREATE INDEX cases_queue_due ON cases.cases (department, status,
    coalesce(due_at, 'infinity'::timestamptz), id) WHERE status <> 'draft';
COMMENT ON INDEX cases.cases_queue_due IS 'queue sorted by deadline (sort=due), paused and undated last';
CREATE INDEX cases_queue_updated ON cases.cases (department, status,
    updated_at, id) WHERE status <> 'draft';
COMMENT ON INDEX cases.cases_queue_updated IS 'queue sorted by last change (sort=updated)';
CREATE INDEX cases_search ON cases.cases USING gin (department, search);
COMMENT ON INDEX cases.cases_search IS 'q= of GET /api/v1/cases: a department''s matches (btree_gin), or anyone''s (a person''s own search)';
CREATE INDEX cases_assignee ON cases.cases (assignee_id)
    WHERE assignee_id IS NOT NULL;
COMMENT ON INDEX cases.cases_assignee IS 'assignee= of GET /api/v1/cases';
-- The background job: what silence decides, what closes, which drafts go.
CREATE INDEX cases_silence ON cases.cases (due_at)
    WHERE status IN ('submitted', 'in_review') AND implicit <> 'none';
COMMENT ON INDEX cases.cases_silence IS 'implicit decisions: open cases whose deadline passed';
CREATE INDEX cases_closing ON cases.cases (closes_at)
    WHERE status IN ('accepted', 'rejected');
COMMENT ON INDEX cases.cases_closing IS 'decided cases whose appeal period ended';
CREATE INDEX cases_drafts ON cases.cases (expires_at) WHERE status = 'draft';
COMMENT ON INDEX cases.cases_drafts IS 'drafts to warn and to delete';
CREATE INDEX cases_closed ON cases.cases (closed_at)
    WHERE status IN ('closed', 'withdrawn');
COMMENT ON INDEX cases.cases_closed IS 'retention of closed cases';

-- The town's time zone (ops.town.timezone; Europe/Paris without a town):
-- the days of the deadlines are the town's.
CREATE FUNCTION cases.town_zone() RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT t.timezone FROM ops.town t), 'Europe/Paris')
$$;
COMMENT ON FUNCTION cases.town_zone() IS 'the time zone the town counts its days in';

-- The town's calendar date of an instant.
CREATE FUNCTION cases.local_date(p_at timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
	SELECT (p_at AT TIME ZONE cases.town_zone())::date
$$;
COMMENT ON FUNCTION cases.local_date(timestamptz) IS 'the date of an instant in the town''s time zone';

-- The bounds of "submitted between" (GET /api/v1/cases): a date is the
-- town's day, from its first instant (since) to its last (until is
-- exclusive: the next day's midnight); an RFC 3339 instant is itself.
CREATE FUNCTION cases.since(p text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
	    THEN p::date::timestamp AT TIME ZONE cases.town_zone()
	    ELSE p::timestamptz END
$$;
COMMENT ON FUNCTION cases.since(text) IS 'the first instant of a date (town time), or the instant given';
CREATE FUNCTION cases.until(p text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
	    THEN (p::date + 1)::timestamp AT TIME ZONE cases.town_zone()
	    ELSE p::timestamptz END
$$;
COMMENT ON FUNCTION cases.until(text) IS 'the end (exclusive) of a date (town time), or the instant given';

-- When silence decides a case received at 'p_received' with 'p_days' of
-- deadline (calendar days, requests for information added): at midnight
-- in the town's time zone of the day 'p_days' days after the day of
-- receipt, the way the town's clock counts days (a day of 23 or 25 hours
-- at a change of time counts as one day).  A request received on 23 April
-- with 61 days is decided on 23 June at 00:00 Paris time: the town had
-- until 22 June 23:59 to answer.
CREATE FUNCTION cases.due(p_received timestamptz, p_days integer)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT ((cases.local_date(p_received) + p_days)::timestamp
	    AT TIME ZONE cases.town_zone())
$$;
COMMENT ON FUNCTION cases.due(timestamptz, integer) IS 'the instant silence decides: midnight, town time, p_days after the day of receipt';

-- Calendar days (town time) between two instants, for the pause of a
-- request for information: from the day it was asked to the day it was
-- answered.
CREATE FUNCTION cases.days_between(p_from timestamptz, p_to timestamptz)
RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT greatest(0, cases.local_date(p_to) - cases.local_date(p_from))
$$;
COMMENT ON FUNCTION cases.days_between(timestamptz, timestamptz) IS 'calendar days in the town''s time zone from one instant to another';

-- The end of the appeal period of a decision notified at 'p_decided':
-- two months (R421-1 CJA: from the notification; R421-2: from the birth
-- of an implicit rejection), a "délai franc": neither the day of the
-- notification nor the last day counts, so that an appeal is still
-- possible the day after the same date two months later; the case
-- closes at the midnight that follows (town time).
CREATE FUNCTION cases.appeal_end(p_decided timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT ((cases.local_date(p_decided) + interval '2 months'
	    + interval '2 days')::date::timestamp AT TIME ZONE cases.town_zone())
$$;
COMMENT ON FUNCTION cases.appeal_end(timestamptz) IS 'when a decided case closes: after the two months of appeal, counted as a délai franc';

-- The history of a case: append-only (who, when, from, to, the public
-- note).  guichet_app may only insert; an erasure redacts the notes
-- through cases.history_redact(), the one path that may change a row.
CREATE TABLE cases.history (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id		uuid NOT NULL REFERENCES cases.cases (id) ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	actor		text NOT NULL CHECK (actor IN ('owner', 'agent',
			    'supervisor', 'system')),
	actor_id	uuid,
	from_status	text,
	to_status	text NOT NULL,
	note		text CHECK (length(note) BETWEEN 1 AND 4000),
	CHECK ((actor = 'system') = (actor_id IS NULL))
);
CREATE INDEX history_case ON cases.history (case_id, id);
COMMENT ON INDEX cases.history_case IS 'a case''s history in order';
COMMENT ON TABLE cases.history IS 'append-only: every change of a case''s state, with the public note shown to the person';
COMMENT ON COLUMN cases.history.id IS 'nopii';
COMMENT ON COLUMN cases.history.case_id IS 'nopii';
COMMENT ON COLUMN cases.history.at IS 'nopii: from the injectable clock';
COMMENT ON COLUMN cases.history.actor IS 'nopii: owner, agent, supervisor or system';
COMMENT ON COLUMN cases.history.actor_id IS 'nopii: the account that made the change (NULL for the system)';
COMMENT ON COLUMN cases.history.from_status IS 'nopii';
COMMENT ON COLUMN cases.history.to_status IS 'nopii';
COMMENT ON COLUMN cases.history.note IS 'pii:case_file: the public note (the reasons of a rejection, what a request for information asks)';

CREATE FUNCTION cases.history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND current_setting('cases.history_redact', true)
	    = 'on' AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND
	    NEW.at = OLD.at AND NEW.to_status = OLD.to_status THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'cases.history is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER history_append_only BEFORE UPDATE ON cases.history
	FOR EACH ROW EXECUTE FUNCTION cases.history_append_only();

-- Erasure (Art. 17): the public notes of the person's kept cases are
-- redacted; from, to, who and when stay (the tombstone).  The rows go
-- with their case otherwise (ON DELETE CASCADE).
CREATE FUNCTION cases.history_redact(p_account uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n	bigint;
BEGIN
	PERFORM set_config('cases.history_redact', 'on', true);
	UPDATE cases.history h SET note = '[effacé]' FROM cases.cases c
	    WHERE c.id = h.case_id AND c.owner_id = p_account
	    AND h.note IS NOT NULL AND h.note <> '[effacé]';
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('cases.history_redact', 'off', true);
	RETURN n;
END $$;
COMMENT ON FUNCTION cases.history_redact(uuid) IS 'the one path that changes the append-only history: an erasure redacts the notes';

-- The thread between the person and the department.
CREATE TABLE cases.messages (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id		uuid NOT NULL REFERENCES cases.cases (id) ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	author		text NOT NULL CHECK (author IN ('owner', 'department')),
	author_id	uuid NOT NULL,
	body		text NOT NULL CHECK (length(body) BETWEEN 1 AND 8000)
);
CREATE INDEX messages_case ON cases.messages (case_id, at, id);
COMMENT ON INDEX cases.messages_case IS 'a case''s thread in order (keyset)';
COMMENT ON TABLE cases.messages IS 'the thread of a case between the person and the department';
COMMENT ON COLUMN cases.messages.id IS 'nopii';
COMMENT ON COLUMN cases.messages.case_id IS 'nopii';
COMMENT ON COLUMN cases.messages.at IS 'nopii';
COMMENT ON COLUMN cases.messages.author IS 'nopii: owner or department';
COMMENT ON COLUMN cases.messages.author_id IS 'nopii: the account that wrote it';
COMMENT ON COLUMN cases.messages.body IS 'pii:case_file: the message';

-- The department's internal notes: never shown to the person.
CREATE TABLE cases.notes (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id		uuid NOT NULL REFERENCES cases.cases (id) ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	author_id	uuid NOT NULL,
	body		text NOT NULL CHECK (length(body) BETWEEN 1 AND 8000)
);
CREATE INDEX notes_case ON cases.notes (case_id, at, id);
COMMENT ON INDEX cases.notes_case IS 'a case''s internal notes in order (keyset)';
COMMENT ON TABLE cases.notes IS 'internal notes of the department on a case: agents only';
COMMENT ON COLUMN cases.notes.id IS 'nopii';
COMMENT ON COLUMN cases.notes.case_id IS 'nopii';
COMMENT ON COLUMN cases.notes.at IS 'nopii';
COMMENT ON COLUMN cases.notes.author_id IS 'nopii: the agent';
COMMENT ON COLUMN cases.notes.body IS 'pii:case_file: the note';

-- The acknowledgement of receipt, as it was issued: its mentions
-- (R112-5, R112-11-1 CRPA) in the language it was sent in, and the
-- message that carried it.
CREATE TABLE cases.acknowledgements (
	case_id		uuid PRIMARY KEY REFERENCES cases.cases (id) ON DELETE CASCADE,
	issued_at	timestamptz NOT NULL,
	locale		text NOT NULL CHECK (locale IN ('fr', 'en', 'it')),
	mentions	jsonb NOT NULL CHECK (jsonb_typeof(mentions) = 'object'),
	outbox_id	uuid
);
COMMENT ON TABLE cases.acknowledgements IS 'acknowledgements of receipt (accusés de réception électroniques), kept as issued';
COMMENT ON COLUMN cases.acknowledgements.case_id IS 'nopii';
COMMENT ON COLUMN cases.acknowledgements.issued_at IS 'nopii';
COMMENT ON COLUMN cases.acknowledgements.locale IS 'nopii';
COMMENT ON COLUMN cases.acknowledgements.mentions IS 'pii:case_file: date of receipt, department and how to reach it, deadline, meaning of silence, appeal, what is missing';
COMMENT ON COLUMN cases.acknowledgements.outbox_id IS 'nopii: the ops.outbox message that carried it';

-- Readable references: one counter per prefix and year, incremented in
-- the submitting transaction (the row lock orders concurrent submissions;
-- a rolled-back submission gives its number back): no gap, no twice.
CREATE TABLE cases.reference_counters (
	prefix		text NOT NULL CHECK (prefix ~ '^[A-Z]{2,5}$'),
	year		integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
	last_value	bigint NOT NULL CHECK (last_value >= 1),
	PRIMARY KEY (prefix, year)
);
COMMENT ON TABLE cases.reference_counters IS 'the last number given per prefix and year (references without gaps)';
COMMENT ON COLUMN cases.reference_counters.prefix IS 'nopii';
COMMENT ON COLUMN cases.reference_counters.year IS 'nopii';
COMMENT ON COLUMN cases.reference_counters.last_value IS 'nopii';

-- What an accepted case grants its owner ({kind, season}: the
-- resident's lift-pass discount), read by the lift-pass module (exported).
CREATE TABLE cases.entitlements (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	uuid NOT NULL,
	kind		text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,47}$'),
	season		text NOT NULL CHECK (length(season) BETWEEN 1 AND 20),
	case_id		uuid NOT NULL REFERENCES cases.cases (id) ON DELETE CASCADE,
	granted_at	timestamptz NOT NULL,
	UNIQUE (account_id, kind, season)
);
CREATE INDEX entitlements_case ON cases.entitlements (case_id);
COMMENT ON INDEX cases.entitlements_case IS 'the entitlements of a case (deleted with it)';
COMMENT ON TABLE cases.entitlements IS 'entitlements granted by accepted cases (kind, season), for the modules that price them';
COMMENT ON COLUMN cases.entitlements.id IS 'nopii';
COMMENT ON COLUMN cases.entitlements.account_id IS 'nopii: the account';
COMMENT ON COLUMN cases.entitlements.kind IS 'pii:case_file: what is granted (resident_discount...)';
COMMENT ON COLUMN cases.entitlements.season IS 'pii:case_file: for which season (2026-2027)';
COMMENT ON COLUMN cases.entitlements.case_id IS 'nopii: the accepted case';
COMMENT ON COLUMN cases.entitlements.granted_at IS 'nopii';

-- Least privilege (migration 014): the history is insert-only for the
-- request threads; the counters and contacts are theirs to read and
-- write (contacts: read only, the operator fills them).
REVOKE UPDATE, DELETE ON cases.history FROM guichet_app;
REVOKE INSERT, UPDATE, DELETE ON cases.department_contacts FROM guichet_app;

-- The map of personal data (privacy.categories, t3101): a case file is
-- kept after its closure for its procedure's retention, at most the 10
-- years said here (the register shows this ceiling); an erasure keeps a
-- decided case cut to its tombstone.
INSERT INTO privacy.retention_events (code, description_fr, description_en,
    description_it) VALUES
	('case_closed', 'la clôture du dossier (fin du délai de recours '
	    'après la décision, ou retrait de la demande)',
	    'the closure of the case (the end of the appeal period after the '
	    'decision, or the withdrawal of the request)',
	    'la chiusura della pratica (fine del termine di ricorso dopo la '
	    'decisione, o ritiro della domanda)'),
	('draft_expiry', 'l''expiration du brouillon, annoncée à la personne '
	    'trois jours avant au moins',
	    'the expiry of the draft, announced to the person at least three '
	    'days before',
	    'la scadenza della bozza, annunciata alla persona almeno tre '
	    'giorni prima');

INSERT INTO privacy.categories (code, erasure, retention, retention_from,
    description_fr, description_en, description_it) VALUES
	('case_file', 'keep_restricted', '10 years', 'case_closed',
	    'Démarches : réponses aux formulaires, échanges avec le service, '
	    'notes, décisions ; durée propre à chaque démarche, 10 ans au plus',
	    'Requests: answers to the forms, messages with the department, '
	    'notes, decisions; a period of each procedure, 10 years at most',
	    'Pratiche: risposte ai moduli, messaggi con il servizio, note, '
	    'decisioni; una durata propria di ogni pratica, 10 anni al più');

-- The purge (007): closed and withdrawn cases past their procedure's
-- retention (the start is the closure plus those years, at most the
-- category's 10; 0 days after it), and drafts past their life once their
-- owner was told (the warning is the module's purge hook: SQL sends no
-- mail).  Deleting a case deletes its history, messages, notes,
-- acknowledgement and entitlements (ON DELETE CASCADE).
INSERT INTO privacy.retention_rules (code, table_name, starts_sql, retention,
    retention_from, action, categories, legal_reference_fr, position) VALUES
	('closed_cases', 'cases.cases',
	    'CASE WHEN t.status IN (''closed'', ''withdrawn'') THEN '
	    't.closed_at + make_interval(years => least(coalesce('
	    't.retention_years, 10), 10)) END',
	    '0 days', 'case_closed', 'delete', '{case_file}',
	    'Dossiers de démarches : conservés après leur clôture la durée '
	    'd''utilité administrative fixée par chaque démarche (10 ans au '
	    'plus), puis supprimés (art. 5.1.e RGPD ; instruction '
	    'DAF/DPACI/RES/2009/018 du 28 août 2009 sur les archives des '
	    'communes).',
	    70),
	('case_drafts', 'cases.cases',
	    'CASE WHEN t.status = ''draft'' AND t.draft_warned_at IS NOT NULL '
	    'THEN t.expires_at END',
	    '0 days', 'draft_expiry', 'delete', '{case_file}',
	    'Brouillons de démarches : supprimés à leur expiration (30 jours '
	    'après leur dernière modification par défaut), la personne ayant '
	    'été prévenue trois jours avant au moins (art. 5.1.e RGPD).',
	    70);
