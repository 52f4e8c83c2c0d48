-- 003_privacy: the map of personal data (categories, each with its erasure
-- strategy and retention rule), the register of processing activities
-- (purposes, Art. 30 RGPD) and the consent ledger (Art. 7).
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise;
-- every <category> is a row of privacy.categories (t3101-pii-tags).

-- What a retention period runs from.
CREATE TABLE privacy.retention_events (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,39}$'),
	description_fr	text NOT NULL CHECK (length(description_fr) BETWEEN 1 AND 200),
	description_en	text NOT NULL CHECK (length(description_en) BETWEEN 1 AND 200),
	description_it	text NOT NULL CHECK (length(description_it) BETWEEN 1 AND 200)
);
COMMENT ON TABLE privacy.retention_events IS 'the record a retention period runs from (the purge job reads the matching timestamp)';
COMMENT ON COLUMN privacy.retention_events.code IS 'nopii';
COMMENT ON COLUMN privacy.retention_events.description_fr IS 'nopii';
COMMENT ON COLUMN privacy.retention_events.description_en IS 'nopii';
COMMENT ON COLUMN privacy.retention_events.description_it IS 'nopii';

INSERT INTO privacy.retention_events (code, description_fr, description_en,
    description_it) VALUES
	('collected', 'l''enregistrement de la donnée',
	    'the recording of the datum', 'la registrazione del dato'),
	('last_activity', 'la dernière activité du compte (connexion ou démarche)',
	    'the account''s last activity (sign-in or request)',
	    'l''ultima attività dell''account (accesso o pratica)'),
	('account_closed', 'la clôture ou l''effacement du compte',
	    'the closure or erasure of the account',
	    'la chiusura o la cancellazione dell''account');

-- One row per category of personal data: the erasure job applies the
-- category's strategy to every column tagged 'pii:<code>', the purge job
-- its retention.  Strategies (the Fides model, reference A7):
--   delete           the row goes (rows that only exist for this datum);
--   nullify          the column is set to NULL;
--   rewrite          a constant that identifies nobody (NOT NULL columns);
--   salted_hash      a hash salted per erasure request, salt discarded
--                    (keeps uniqueness, reference A8);
--   keep_restricted  kept under a legal obligation (Art. 17(3)), hidden
--                    from every read API, purged at the end of retention.
CREATE TABLE privacy.categories (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,39}$'),
	erasure		text NOT NULL CHECK (erasure IN ('delete', 'nullify',
			    'rewrite', 'salted_hash', 'keep_restricted')),
	retention	interval NOT NULL CHECK (retention >= interval '0'
			    AND date_trunc('day', retention) = retention),
	retention_from	text NOT NULL REFERENCES privacy.retention_events (code),
	description_fr	text NOT NULL CHECK (length(description_fr) BETWEEN 1 AND 300),
	description_en	text NOT NULL CHECK (length(description_en) BETWEEN 1 AND 300),
	description_it	text NOT NULL CHECK (length(description_it) BETWEEN 1 AND 300)
);
COMMENT ON TABLE privacy.categories IS 'categories of personal data named by the pii: column tags, with their erasure strategy and retention rule';
COMMENT ON COLUMN privacy.categories.code IS 'nopii: the <category> of pii:<category>';
COMMENT ON COLUMN privacy.categories.erasure IS 'nopii';
COMMENT ON COLUMN privacy.categories.retention IS 'whole days, months or years after retention_from';
COMMENT ON COLUMN privacy.categories.retention_from IS 'nopii';
COMMENT ON COLUMN privacy.categories.description_fr IS 'nopii';
COMMENT ON COLUMN privacy.categories.description_en IS 'nopii';
COMMENT ON COLUMN privacy.categories.description_it IS 'nopii';

-- The figures follow reference A11: 3 months for what is only relayed
-- (RU-030), 6 months for network traces (CNIL logging recommendation),
-- 3 years of inactivity for an account; the DPO may change them here.
INSERT INTO privacy.categories (code, erasure, retention, retention_from,
    description_fr, description_en, description_it) VALUES
	('identity', 'rewrite', '3 years', 'last_activity',
	    'Nom affiché',
	    'Display name',
	    'Nome visualizzato'),
	('contact', 'salted_hash', '3 years', 'last_activity',
	    'Adresse électronique et numéro de téléphone',
	    'Email address and telephone number',
	    'Indirizzo email e numero di telefono'),
	('address', 'nullify', '3 years', 'last_activity',
	    'Adresse postale et commune',
	    'Postal address and municipality',
	    'Indirizzo postale e comune'),
	('profile', 'rewrite', '3 years', 'last_activity',
	    'Profil (résident, saisonnier, vacancier), employeur, dates de contrat ou de séjour',
	    'Profile (resident, seasonal worker, tourist), employer, contract or stay dates',
	    'Profilo (residente, stagionale, turista), datore di lavoro, date del contratto o del soggiorno'),
	('credential', 'rewrite', '0 days', 'account_closed',
	    'Empreinte du mot de passe et secret du second facteur',
	    'Password hash and second-factor secret',
	    'Impronta della password e segreto del secondo fattore'),
	('free_text', 'delete', '3 months', 'collected',
	    'Textes libres et contenus des messages envoyés',
	    'Free text and the content of the messages sent',
	    'Testi liberi e contenuto dei messaggi inviati'),
	('location', 'nullify', '1 year', 'collected',
	    'Position géographique signalée',
	    'Reported geographical position',
	    'Posizione geografica segnalata'),
	('network', 'delete', '6 months', 'collected',
	    'Adresse IP et traces de connexion',
	    'IP address and sign-in traces',
	    'Indirizzo IP e tracce di accesso'),
	('consent', 'keep_restricted', '5 years', 'account_closed',
	    'Preuve des consentements donnés et retirés',
	    'Proof of the consents given and withdrawn',
	    'Prova dei consensi dati e revocati');

-- A period as ISO 8601 (P3Y, P6M, P0D) for the register: the one format
-- that both people and programs read without a locale.
CREATE FUNCTION privacy.iso_duration(i interval) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT CASE WHEN i = interval '0' THEN 'P0D' ELSE 'P'
	    || CASE WHEN extract(year FROM i) <> 0
		THEN extract(year FROM i)::int || 'Y' ELSE '' END
	    || CASE WHEN extract(month FROM i) <> 0
		THEN extract(month FROM i)::int || 'M' ELSE '' END
	    || CASE WHEN extract(day FROM i) <> 0
		THEN extract(day FROM i)::int || 'D' ELSE '' END
	END
$$;

-- Who receives the data of a purpose (Art. 30(1)(d)): the town's own
-- services, its processors, or third parties.
CREATE TABLE privacy.recipients (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
	kind		text NOT NULL CHECK (kind IN ('internal', 'processor',
			    'third_party', 'public_authority')),
	name_fr		text NOT NULL CHECK (length(name_fr) BETWEEN 1 AND 200),
	name_en		text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
	name_it		text NOT NULL CHECK (length(name_it) BETWEEN 1 AND 200)
);
COMMENT ON TABLE privacy.recipients IS 'recipients of personal data named by the purposes';
COMMENT ON COLUMN privacy.recipients.code IS 'nopii';
COMMENT ON COLUMN privacy.recipients.kind IS 'nopii';
COMMENT ON COLUMN privacy.recipients.name_fr IS 'nopii: an organisation, never a person';
COMMENT ON COLUMN privacy.recipients.name_en IS 'nopii: an organisation, never a person';
COMMENT ON COLUMN privacy.recipients.name_it IS 'nopii: an organisation, never a person';

-- The register of processing activities.  A purpose whose legal basis is
-- consent is optional: nothing else may depend on it (Art. 7(4)), and it
-- starts withdrawn for everyone (no ledger row = withdrawn, Art. 25).
-- A change of what the person is told (texts, basis, categories,
-- recipients) needs a new version: consent covers one version's text.
CREATE TABLE privacy.purposes (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
	legal_basis	text NOT NULL CHECK (legal_basis IN ('consent', 'contract',
			    'legal_obligation', 'public_task', 'legitimate_interest')),
	title_fr	text NOT NULL CHECK (length(title_fr) BETWEEN 1 AND 120),
	title_en	text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 120),
	title_it	text NOT NULL CHECK (length(title_it) BETWEEN 1 AND 120),
	description_fr	text NOT NULL CHECK (length(description_fr) BETWEEN 1 AND 2000),
	description_en	text NOT NULL CHECK (length(description_en) BETWEEN 1 AND 2000),
	description_it	text NOT NULL CHECK (length(description_it) BETWEEN 1 AND 2000),
	categories	text[] NOT NULL CHECK (cardinality(categories) >= 1),
	recipients	text[] NOT NULL DEFAULT '{}',
	retention_fr	text NOT NULL CHECK (length(retention_fr) BETWEEN 1 AND 500),
	retention_en	text NOT NULL CHECK (length(retention_en) BETWEEN 1 AND 500),
	retention_it	text NOT NULL CHECK (length(retention_it) BETWEEN 1 AND 500),
	version		integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	optional	boolean NOT NULL GENERATED ALWAYS AS
			    (legal_basis = 'consent') STORED
);
COMMENT ON TABLE privacy.purposes IS 'register of processing activities (Art. 30): one row per purpose';
COMMENT ON COLUMN privacy.purposes.code IS 'nopii';
COMMENT ON COLUMN privacy.purposes.legal_basis IS 'nopii: Art. 6(1) (a) consent, (b) contract, (c) legal_obligation, (e) public_task, (f) legitimate_interest';
COMMENT ON COLUMN privacy.purposes.title_fr IS 'nopii';
COMMENT ON COLUMN privacy.purposes.title_en IS 'nopii';
COMMENT ON COLUMN privacy.purposes.title_it IS 'nopii';
COMMENT ON COLUMN privacy.purposes.description_fr IS 'nopii';
COMMENT ON COLUMN privacy.purposes.description_en IS 'nopii';
COMMENT ON COLUMN privacy.purposes.description_it IS 'nopii';
COMMENT ON COLUMN privacy.purposes.categories IS 'nopii: codes of privacy.categories (checked by a trigger: arrays take no foreign key)';
COMMENT ON COLUMN privacy.purposes.recipients IS 'nopii: codes of privacy.recipients (checked by a trigger)';
COMMENT ON COLUMN privacy.purposes.retention_fr IS 'nopii: the retention as told to people; the rule itself is per category';
COMMENT ON COLUMN privacy.purposes.retention_en IS 'nopii';
COMMENT ON COLUMN privacy.purposes.retention_it IS 'nopii';
COMMENT ON COLUMN privacy.purposes.version IS 'version of what people are told; a consent covers one version';
COMMENT ON COLUMN privacy.purposes.optional IS 'consent-based: the person chooses, and it starts withdrawn';

-- Every version of every purpose, as people read it: the proof of what a
-- consent was given to (Art. 7(1)).  Filled by a trigger, never by hand.
CREATE TABLE privacy.purpose_versions (
	purpose		text NOT NULL REFERENCES privacy.purposes (code),
	version		integer NOT NULL,
	legal_basis	text NOT NULL,
	title_fr	text NOT NULL,
	title_en	text NOT NULL,
	title_it	text NOT NULL,
	description_fr	text NOT NULL,
	description_en	text NOT NULL,
	description_it	text NOT NULL,
	categories	text[] NOT NULL,
	recipients	text[] NOT NULL,
	PRIMARY KEY (purpose, version)
);
COMMENT ON TABLE privacy.purpose_versions IS 'the text of every version of every purpose: what each consent was given to';
COMMENT ON COLUMN privacy.purpose_versions.purpose IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.legal_basis IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.title_fr IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.title_en IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.title_it IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.description_fr IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.description_en IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.description_it IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.categories IS 'nopii';
COMMENT ON COLUMN privacy.purpose_versions.recipients IS 'nopii';

CREATE FUNCTION privacy.purposes_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	bad	text;
BEGIN
	SELECT string_agg(c, ', ') INTO bad FROM unnest(NEW.categories) c
	    WHERE c IS NULL OR NOT EXISTS (SELECT 1 FROM privacy.categories k
	    WHERE k.code = c);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'purpose %: unknown categories: %', NEW.code, bad
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT string_agg(r, ', ') INTO bad FROM unnest(NEW.recipients) r
	    WHERE r IS NULL OR NOT EXISTS (SELECT 1 FROM privacy.recipients k
	    WHERE k.code = r);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'purpose %: unknown recipients: %', NEW.code, bad
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF TG_OP = 'UPDATE' THEN
		IF NEW.code <> OLD.code THEN
			RAISE EXCEPTION 'purpose %: the code of a purpose never changes',
			    OLD.code USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.version < OLD.version THEN
			RAISE EXCEPTION 'purpose %: the version only moves forward',
			    OLD.code USING ERRCODE = 'check_violation';
		END IF;
		IF NEW.version = OLD.version AND (NEW.legal_basis, NEW.title_fr,
		    NEW.title_en, NEW.title_it, NEW.description_fr,
		    NEW.description_en, NEW.description_it, NEW.categories,
		    NEW.recipients) IS DISTINCT FROM (OLD.legal_basis,
		    OLD.title_fr, OLD.title_en, OLD.title_it, OLD.description_fr,
		    OLD.description_en, OLD.description_it, OLD.categories,
		    OLD.recipients) THEN
			RAISE EXCEPTION 'purpose %: what people are told changed: '
			    'raise the version', OLD.code
			    USING ERRCODE = 'check_violation';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER purposes_check BEFORE INSERT OR UPDATE ON privacy.purposes
	FOR EACH ROW EXECUTE FUNCTION privacy.purposes_check();

CREATE FUNCTION privacy.purposes_snapshot() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO privacy.purpose_versions (purpose, version, legal_basis,
	    title_fr, title_en, title_it, description_fr, description_en,
	    description_it, categories, recipients)
	VALUES (NEW.code, NEW.version, NEW.legal_basis, NEW.title_fr,
	    NEW.title_en, NEW.title_it, NEW.description_fr, NEW.description_en,
	    NEW.description_it, NEW.categories, NEW.recipients)
	ON CONFLICT (purpose, version) DO NOTHING;
	RETURN NULL;
END $$;
CREATE TRIGGER purposes_snapshot AFTER INSERT OR UPDATE ON privacy.purposes
	FOR EACH ROW EXECUTE FUNCTION privacy.purposes_snapshot();

-- A category or recipient named by a purpose stays (the arrays' foreign key).
CREATE FUNCTION privacy.referenced_by_purpose() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.code = OLD.code THEN
		RETURN NEW;
	END IF;
	IF EXISTS (SELECT 1 FROM privacy.purposes p WHERE OLD.code = ANY (
	    CASE TG_TABLE_NAME WHEN 'categories' THEN p.categories
	    ELSE p.recipients END)) THEN
		RAISE EXCEPTION '% %: still named by a purpose', TG_TABLE_NAME,
		    OLD.code USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER categories_referenced BEFORE UPDATE OR DELETE ON privacy.categories
	FOR EACH ROW EXECUTE FUNCTION privacy.referenced_by_purpose();
CREATE TRIGGER recipients_referenced BEFORE UPDATE OR DELETE ON privacy.recipients
	FOR EACH ROW EXECUTE FUNCTION privacy.referenced_by_purpose();

-- The consent ledger: one row per choice, never changed (Art. 7(1) proof,
-- 7(3) withdrawal as easy as giving).  The state of a person for a purpose
-- is the latest row (highest id: with a frozen test clock two rows share
-- their 'at'); no row means withdrawn.
CREATE TABLE privacy.consent_ledger (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	uuid NOT NULL REFERENCES identity.accounts (id),
	purpose		text NOT NULL,
	purpose_version	integer NOT NULL,
	action		text NOT NULL CHECK (action IN ('given', 'withdrawn')),
	channel		text NOT NULL CHECK (channel IN ('api', 'web', 'counter')),
	at		timestamptz NOT NULL,
	FOREIGN KEY (purpose, purpose_version)
	    REFERENCES privacy.purpose_versions (purpose, version)
);
CREATE INDEX consent_ledger_latest ON privacy.consent_ledger
	(account_id, purpose, id DESC);
COMMENT ON INDEX privacy.consent_ledger_latest IS 'the latest choice of a person for a purpose (privacy.consent_given, GET /me/consents)';
COMMENT ON TABLE privacy.consent_ledger IS 'append-only record of every consent given or withdrawn, with the version of the text and the channel';
COMMENT ON COLUMN privacy.consent_ledger.purpose IS 'nopii: a purpose code';
COMMENT ON COLUMN privacy.consent_ledger.action IS 'pii:consent';
COMMENT ON COLUMN privacy.consent_ledger.channel IS 'pii:consent: api, web or counter';
COMMENT ON COLUMN privacy.consent_ledger.at IS 'pii:consent: from the injectable clock, passed as a parameter (never now())';

-- A choice is recorded only for an optional purpose and its current text.
CREATE FUNCTION privacy.consent_ledger_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM privacy.purposes p WHERE p.code = NEW.purpose
	    AND p.optional AND p.version = NEW.purpose_version) THEN
		RAISE EXCEPTION 'consent to % version %: not the current version '
		    'of a consent-based purpose', NEW.purpose, NEW.purpose_version
		    USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER consent_ledger_check BEFORE INSERT ON privacy.consent_ledger
	FOR EACH ROW EXECUTE FUNCTION privacy.consent_ledger_check();

-- Append-only, whoever connects: UPDATE, DELETE and TRUNCATE are refused.
-- Erasure (Art. 17, a later migration) will not lift this for everybody:
-- it will go through one SECURITY DEFINER function that sets a
-- transaction-local marker (set_config('guichet.erasure', <request id>,
-- true)) which this function will then accept for the rows of the person
-- being erased only, so that the ledger stays append-only for every other
-- statement.  Until that migration exists, nothing may change a row.
CREATE FUNCTION privacy.consent_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'privacy.consent_ledger is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER consent_ledger_append_only
	BEFORE UPDATE OR DELETE ON privacy.consent_ledger
	FOR EACH ROW EXECUTE FUNCTION privacy.consent_ledger_append_only();
CREATE TRIGGER consent_ledger_no_truncate
	BEFORE TRUNCATE ON privacy.consent_ledger
	FOR EACH STATEMENT EXECUTE FUNCTION privacy.consent_ledger_append_only();

-- The one definition of "this person consents to this purpose": the latest
-- row says given, for the purpose's current version (a new text needs a new
-- consent), and the purpose is consent-based.  Used by every module, by the
-- views below and by privacy_consent_given() in C.
CREATE FUNCTION privacy.consent_given(p_account uuid, p_purpose text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT l.action = 'given' AND l.purpose_version = p.version
	    FROM privacy.consent_ledger l
	    JOIN privacy.purposes p ON p.code = l.purpose AND p.optional
	    WHERE l.account_id = p_account AND l.purpose = p_purpose
	    ORDER BY l.id DESC LIMIT 1), false)
$$;

-- Who may receive the newsletter, now: the mailer reads only this view.
CREATE VIEW privacy.newsletter_recipients AS
	SELECT a.id AS account_id, a.email, a.display_name, a.locale
	FROM identity.accounts a
	WHERE a.status = 'active' AND privacy.consent_given(a.id, 'newsletter');
COMMENT ON VIEW privacy.newsletter_recipients IS 'active accounts whose latest newsletter choice is given, for the current text';
COMMENT ON COLUMN privacy.newsletter_recipients.email IS 'pii:contact';
COMMENT ON COLUMN privacy.newsletter_recipients.display_name IS 'pii:identity';
COMMENT ON COLUMN privacy.newsletter_recipients.locale IS 'nopii';
