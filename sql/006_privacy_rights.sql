-- 006_privacy_rights: who looked at a person's data (the access log), the
-- rights requests and their deadlines (Art. 12), restriction (Art. 18) and
-- objection (Art. 21).
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.
-- Times all come from the injectable clock, as parameters (never now()).
-- Deadlines are calendar months counted in UTC: the C side computes them
-- (src/privacy/deadline.c) and the checks below compute them again the
-- same way ((t AT TIME ZONE 'UTC' + interval) AT TIME ZONE 'UTC', which
-- clamps 31 January + 1 month to the end of February like the C code), so
-- the session's TimeZone never moves a deadline.

-- Two more categories of personal data.
INSERT INTO privacy.categories (code, erasure, retention, retention_from,
    description_fr, description_en, description_it) VALUES
	('access_trace', 'delete', '1 year', 'collected',
	    'Traces des consultations de vos données : quand, par qui, quoi, pourquoi',
	    'Traces of the reads of your data: when, by whom, what, why',
	    'Tracce delle consultazioni dei tuoi dati: quando, da chi, cosa, perché'),
	('rights_request', 'keep_restricted', '5 years', 'collected',
	    'Vos demandes d''exercice de droits, leurs délais et leurs réponses',
	    'Your requests to exercise your rights, their deadlines and their answers',
	    'Le tue richieste di esercizio dei diritti, le loro scadenze e risposte');

-- Who looked at my data (reference A18).  One row per read of a person's
-- personal data by an agent, a DPO or a partner application, written in
-- the transaction of the read (privacy_access_record() in C).
CREATE TABLE privacy.access_log (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL,
	account_id	uuid NOT NULL REFERENCES identity.accounts (id),
	reader_kind	text NOT NULL CHECK (reader_kind IN ('agent', 'dpo', 'client')),
	reader_account	uuid REFERENCES identity.accounts (id),
	department	text REFERENCES identity.departments (code),
	client_id	text REFERENCES identity.clients (id),
	dataset		text NOT NULL CHECK (dataset ~ '^[a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,59}$'),
	record		text CHECK (length(record) BETWEEN 1 AND 200),
	purpose		text CHECK (length(purpose) BETWEEN 1 AND 500),
	disclose_after	timestamptz,
	CHECK ((reader_kind = 'client') = (client_id IS NOT NULL)),
	CHECK ((reader_kind = 'client') = (reader_account IS NULL)),
	CHECK (reader_kind = 'agent' OR department IS NULL),
	-- an agent read without a purpose is refused
	CHECK (reader_kind = 'client' OR purpose IS NOT NULL)
);
CREATE INDEX access_log_subject ON privacy.access_log (account_id, at DESC, id DESC);
COMMENT ON INDEX privacy.access_log_subject IS 'GET /me/access-log: a person''s rows, newest first, keyset by (at, id)';
CREATE INDEX access_log_at ON privacy.access_log (at);
COMMENT ON INDEX privacy.access_log_at IS 'the retention purge (privacy.access_log_purge)';
COMMENT ON TABLE privacy.access_log IS 'append-only: every read of a person''s data by an agent, a DPO or a partner application';
COMMENT ON COLUMN privacy.access_log.id IS 'nopii';
COMMENT ON COLUMN privacy.access_log.account_id IS 'nopii: the person whose data was read';
COMMENT ON COLUMN privacy.access_log.at IS 'pii:access_trace: when, from the injectable clock';
COMMENT ON COLUMN privacy.access_log.reader_kind IS 'nopii: agent, dpo or client';
COMMENT ON COLUMN privacy.access_log.reader_account IS 'nopii: the agent or DPO, acting for the town (accountable, not erased with the subject)';
COMMENT ON COLUMN privacy.access_log.department IS 'nopii: for an agent, one of their departments';
COMMENT ON COLUMN privacy.access_log.client_id IS 'nopii: the partner application';
COMMENT ON COLUMN privacy.access_log.dataset IS 'pii:access_trace: <schema>.<record type> read, e.g. identity.account';
COMMENT ON COLUMN privacy.access_log.record IS 'pii:access_trace: the id of the record read';
COMMENT ON COLUMN privacy.access_log.purpose IS 'pii:access_trace: the case or the declared purpose (required for agents and DPO)';
COMMENT ON COLUMN privacy.access_log.disclose_after IS 'pii:access_trace: legal secrecy: hidden from the person until then (NULL: at once)';

-- For an agent, the department must be one of theirs.
CREATE FUNCTION privacy.access_log_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.department IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM identity.agent_departments d WHERE d.account_id = NEW.reader_account
	    AND d.department = NEW.department) THEN
		RAISE EXCEPTION 'access log: department % is not one of the reader''s',
		    NEW.department USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER access_log_check BEFORE INSERT ON privacy.access_log
	FOR EACH ROW EXECUTE FUNCTION privacy.access_log_check();

-- Append-only, whoever connects.  The only ways to remove rows are the two
-- SECURITY DEFINER functions below (retention purge, erasure of the
-- subject): each sets a transaction-local marker that this trigger
-- accepts, deletes, and clears the marker before returning, so that every
-- other statement still meets the refusal.  (Within one database role the
-- marker is a guard against mistakes, not against a hostile session: a
-- least-privilege role for guichetd, without EXECUTE on set_config for
-- this name, is the DPO's open point A21/Kore (3).)
CREATE FUNCTION privacy.access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND
	    current_setting('guichet.access_log_delete', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'privacy.access_log is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER access_log_append_only
	BEFORE UPDATE OR DELETE ON privacy.access_log
	FOR EACH ROW EXECUTE FUNCTION privacy.access_log_append_only();
CREATE TRIGGER access_log_no_truncate
	BEFORE TRUNCATE ON privacy.access_log
	FOR EACH STATEMENT EXECUTE FUNCTION privacy.access_log_append_only();

-- Retention (category access_trace): delete the rows read before 'before'
-- (the purge passes clock_now() minus the category's retention).  A row
-- whose deferred disclosure is still ahead at 'now' is kept until it has
-- been visible to the person: the secrecy must not become a way to erase
-- the trace before the person could see it.  Returns the rows deleted.
CREATE FUNCTION privacy.access_log_purge(before timestamptz, now timestamptz)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n	bigint;
BEGIN
	PERFORM set_config('guichet.access_log_delete', 'on', true);
	DELETE FROM privacy.access_log WHERE at < before
	    AND (disclose_after IS NULL OR disclose_after <= now);
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('guichet.access_log_delete', 'off', true);
	RETURN n;
END $$;
COMMENT ON FUNCTION privacy.access_log_purge(timestamptz, timestamptz) IS 'the one retention path through the append-only access log';

-- Erasure (Art. 17): the person's rows go with the person.
CREATE FUNCTION privacy.access_log_erase(account uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n	bigint;
BEGIN
	PERFORM set_config('guichet.access_log_delete', 'on', true);
	DELETE FROM privacy.access_log WHERE account_id = account;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('guichet.access_log_delete', 'off', true);
	RETURN n;
END $$;
COMMENT ON FUNCTION privacy.access_log_erase(uuid) IS 'the one erasure path through the append-only access log (for the erasure hook)';

-- Rights requests (Art. 12): received, due one calendar month later,
-- extended by at most two more months if the person was told within the
-- first, answered or refused (with the reasons and the remedies, 12(4)).
CREATE TABLE privacy.requests (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid REFERENCES identity.accounts (id),
	kind		text NOT NULL CHECK (kind IN ('access', 'rectification',
			    'erasure', 'restriction', 'objection')),
	channel		text NOT NULL CHECK (channel IN ('api', 'counter')),
	purpose		text REFERENCES privacy.purposes (code),
	grounds		text CHECK (length(grounds) BETWEEN 1 AND 4000),
	received_at	timestamptz NOT NULL,
	due_at		timestamptz NOT NULL,
	extended_until	timestamptz,
	extension_notified_at timestamptz,
	status		text NOT NULL DEFAULT 'received' CHECK (status IN ('received',
			    'in_progress', 'extended', 'answered', 'refused')),
	answer		text CHECK (length(answer) BETWEEN 1 AND 20000),
	refusal_reason	text CHECK (length(refusal_reason) BETWEEN 1 AND 4000),
	decision	text CHECK (decision IN ('upheld', 'rejected')),
	decision_grounds text CHECK (length(decision_grounds) BETWEEN 1 AND 4000),
	recorded_by	uuid REFERENCES identity.accounts (id),
	decided_by	uuid REFERENCES identity.accounts (id),
	decided_at	timestamptz,
	CHECK (due_at = ((received_at AT TIME ZONE 'UTC') + interval '1 month')
	    AT TIME ZONE 'UTC'),
	CHECK (extended_until IS NULL OR (extended_until > due_at AND
	    extended_until <= ((due_at AT TIME ZONE 'UTC') + interval '2 months')
	    AT TIME ZONE 'UTC')),
	CHECK ((extended_until IS NULL) = (extension_notified_at IS NULL)),
	CHECK (extension_notified_at IS NULL OR
	    (extension_notified_at >= received_at AND extension_notified_at <= due_at)),
	CHECK (status <> 'extended' OR extended_until IS NOT NULL),
	CHECK (status <> 'refused' OR (refusal_reason IS NOT NULL AND answer IS NOT NULL)),
	CHECK (status <> 'answered' OR answer IS NOT NULL),
	CHECK ((status IN ('answered', 'refused')) = (decided_at IS NOT NULL)),
	CHECK (kind = 'objection' OR (decision IS NULL AND purpose IS NULL)),
	CHECK (kind <> 'objection' OR purpose IS NOT NULL),
	CHECK ((decision IS NULL) = (decision_grounds IS NULL))
);
CREATE INDEX requests_open ON privacy.requests (coalesce(extended_until, due_at))
	WHERE status NOT IN ('answered', 'refused');
COMMENT ON INDEX privacy.requests_open IS 'GET /admin/privacy/requests?overdue=true: open requests by deadline';
CREATE INDEX requests_account ON privacy.requests (account_id);
COMMENT ON INDEX privacy.requests_account IS 'a person''s requests (export, erasure)';
CREATE INDEX requests_received ON privacy.requests (received_at, id);
COMMENT ON INDEX privacy.requests_received IS 'the DPO''s list, keyset by (received_at, id)';
COMMENT ON TABLE privacy.requests IS 'rights requests (access, rectification, erasure, restriction, objection) and their deadlines (Art. 12(3))';
COMMENT ON COLUMN privacy.requests.id IS 'nopii';
COMMENT ON COLUMN privacy.requests.account_id IS 'nopii: the person (NULL once the account is erased, when the record is kept)';
COMMENT ON COLUMN privacy.requests.kind IS 'pii:rights_request';
COMMENT ON COLUMN privacy.requests.channel IS 'pii:rights_request: api (the person) or counter (recorded by the DPO)';
COMMENT ON COLUMN privacy.requests.purpose IS 'nopii: objections: the purpose objected to';
COMMENT ON COLUMN privacy.requests.grounds IS 'pii:free_text: the person''s own grounds (objection, Art. 21(1))';
COMMENT ON COLUMN privacy.requests.received_at IS 'pii:rights_request';
COMMENT ON COLUMN privacy.requests.due_at IS 'pii:rights_request: received_at + one calendar month';
COMMENT ON COLUMN privacy.requests.extended_until IS 'pii:rights_request: at most due_at + 2 months';
COMMENT ON COLUMN privacy.requests.extension_notified_at IS 'pii:rights_request: when the person was told of the extension and why (within the first month)';
COMMENT ON COLUMN privacy.requests.status IS 'pii:rights_request';
COMMENT ON COLUMN privacy.requests.answer IS 'pii:free_text: the answer sent; for a refusal, the reasons and the remedies (CNIL, courts)';
COMMENT ON COLUMN privacy.requests.refusal_reason IS 'pii:free_text: required for a refusal (Art. 12(4))';
COMMENT ON COLUMN privacy.requests.decision IS 'pii:rights_request: objections: upheld (processing stops) or rejected (compelling grounds recorded)';
COMMENT ON COLUMN privacy.requests.decision_grounds IS 'pii:free_text: the grounds recorded with the decision on an objection';
COMMENT ON COLUMN privacy.requests.recorded_by IS 'nopii: the DPO who recorded a request made at the counter';
COMMENT ON COLUMN privacy.requests.decided_by IS 'nopii: the DPO who answered, refused or decided';
COMMENT ON COLUMN privacy.requests.decided_at IS 'pii:rights_request';

-- Restriction (Art. 18): while a row is open (lifted_at NULL) the person's
-- data is stored only: out of mailings, agent search, statistics and
-- partner APIs (every module asks privacy.is_restricted()).  The person is
-- told before the lift (18(3)): the lift sets notice_outbox (the message
-- already queued, a foreign key) in the same statement as lifted_at, and
-- the checks refuse a lift without it.
CREATE TABLE privacy.restrictions (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	uuid NOT NULL REFERENCES identity.accounts (id),
	since		timestamptz NOT NULL,
	channel		text NOT NULL CHECK (channel IN ('api', 'counter')),
	notified_at	timestamptz,
	notice_outbox	uuid REFERENCES ops.outbox (id) ON DELETE SET NULL,
	lifted_at	timestamptz,
	lifted_by	uuid REFERENCES identity.accounts (id),
	CHECK (lifted_at IS NULL OR (notified_at IS NOT NULL AND
	    notified_at <= lifted_at AND lifted_at >= since AND lifted_by IS NOT NULL))
);
CREATE UNIQUE INDEX restrictions_open ON privacy.restrictions (account_id)
	WHERE lifted_at IS NULL;
COMMENT ON INDEX privacy.restrictions_open IS 'at most one open restriction per person; privacy.is_restricted()';
COMMENT ON TABLE privacy.restrictions IS 'restrictions of processing (Art. 18), open until lifted after the person was told';
COMMENT ON COLUMN privacy.restrictions.id IS 'nopii';
COMMENT ON COLUMN privacy.restrictions.account_id IS 'nopii: the person';
COMMENT ON COLUMN privacy.restrictions.since IS 'pii:rights_request';
COMMENT ON COLUMN privacy.restrictions.channel IS 'pii:rights_request';
COMMENT ON COLUMN privacy.restrictions.notified_at IS 'pii:rights_request: when the notice of the lift was queued (before lifted_at)';
COMMENT ON COLUMN privacy.restrictions.notice_outbox IS 'nopii: the ops.outbox message (template restriction_lift)';
COMMENT ON COLUMN privacy.restrictions.lifted_at IS 'pii:rights_request';
COMMENT ON COLUMN privacy.restrictions.lifted_by IS 'nopii: the DPO who lifted it';

-- The notice must exist when the lift is written: a lift row names a
-- restriction_lift message of the same person, created no later.  A
-- lifted row never changes, except that the outbox's own purge may take
-- the message away (ON DELETE SET NULL): notified_at stays as the proof.
CREATE FUNCTION privacy.restrictions_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.lifted_at IS NOT NULL THEN
		IF NEW.notice_outbox IS NULL AND (NEW.account_id, NEW.since,
		    NEW.channel, NEW.notified_at, NEW.lifted_at, NEW.lifted_by)
		    IS NOT DISTINCT FROM (OLD.account_id, OLD.since, OLD.channel,
		    OLD.notified_at, OLD.lifted_at, OLD.lifted_by) THEN
			RETURN NEW;
		END IF;
		RAISE EXCEPTION 'restriction %: already lifted', OLD.id
		    USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.lifted_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ops.outbox o
	    WHERE o.id = NEW.notice_outbox AND o.account_id = NEW.account_id
	    AND o.template = 'restriction_lift' AND o.created_at <= NEW.lifted_at) THEN
		RAISE EXCEPTION 'restriction %: the person must be told before the lift',
		    NEW.id USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER restrictions_check BEFORE INSERT OR UPDATE ON privacy.restrictions
	FOR EACH ROW EXECUTE FUNCTION privacy.restrictions_check();

-- The one definition of "this person's processing is restricted now", for
-- every module (mailings, agent search, statistics, partner APIs).
CREATE FUNCTION privacy.is_restricted(p_account uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM privacy.restrictions r
	    WHERE r.account_id = p_account AND r.lifted_at IS NULL)
$$;

-- Replaces the view of 003_privacy: a restricted person gets no mailing.
CREATE OR REPLACE VIEW privacy.newsletter_recipients AS
	SELECT a.id AS account_id, a.email, a.display_name, a.locale
	FROM identity.accounts a
	WHERE a.status = 'active' AND privacy.consent_given(a.id, 'newsletter')
	    AND NOT privacy.is_restricted(a.id);
COMMENT ON VIEW privacy.newsletter_recipients IS 'active, unrestricted accounts whose latest newsletter choice is given, for the current text';
COMMENT ON COLUMN privacy.newsletter_recipients.email IS 'pii:contact';
COMMENT ON COLUMN privacy.newsletter_recipients.display_name IS 'pii:identity';
COMMENT ON COLUMN privacy.newsletter_recipients.locale IS 'nopii';
