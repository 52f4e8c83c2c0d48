-- 007_privacy_retention: retention rules per record type and the purge
-- that enforces them (Art. 5(1)(e) RGPD, reference A11), and the
-- rectification audit (Art. 16, reference A4).
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.

-- One row per record type that is deleted or anonymised when it is past
-- its date.  The DPO changes 'retention' (data, the purge reads it every
-- run); 'starts_sql' says which time a row's period runs from and is
-- schema: SQL over the table's row (alias t), written by migrations only,
-- like a view's definition, and never built from a request.  A row whose
-- start is NULL is not due (an unsent message, a live account...).
-- 'categories' lists the pii categories whose retention this rule
-- enforces: every category a column's tag names is enforced by some rule
-- with the category's period and starting event, so that the register
-- (GET /api/v1/privacy/register, which shows privacy.categories) says
-- what the purge does (t3110-retention).
CREATE TABLE privacy.retention_rules (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
	table_name	text NOT NULL CHECK (to_regclass(table_name) IS NOT NULL),
	starts_sql	text NOT NULL CHECK (length(starts_sql) BETWEEN 1 AND 500),
	retention	interval NOT NULL CHECK (retention >= interval '0'
			    AND date_trunc('day', retention) = retention),
	retention_from	text NOT NULL REFERENCES privacy.retention_events (code),
	action		text NOT NULL CHECK (action IN ('delete', 'anonymise')),
	categories	text[] NOT NULL DEFAULT '{}',
	legal_reference_fr text NOT NULL CHECK (length(legal_reference_fr)
			    BETWEEN 1 AND 500),
	purge_function	text CHECK (purge_function IS NULL OR
			    to_regprocedure(purge_function) IS NOT NULL),
	position	integer NOT NULL DEFAULT 100
);
COMMENT ON TABLE privacy.retention_rules IS 'retention rule per record type: what the purge (guichetctl privacy purge, the daily thread) deletes or anonymises, and when';
COMMENT ON COLUMN privacy.retention_rules.code IS 'nopii';
COMMENT ON COLUMN privacy.retention_rules.table_name IS 'nopii: schema-qualified table';
COMMENT ON COLUMN privacy.retention_rules.starts_sql IS 'nopii: SQL expression over the row t giving the time the period runs from (schema, written by migrations)';
COMMENT ON COLUMN privacy.retention_rules.retention IS 'whole days, months or years after the start';
COMMENT ON COLUMN privacy.retention_rules.retention_from IS 'nopii: the event starts_sql reads';
COMMENT ON COLUMN privacy.retention_rules.action IS 'nopii: delete the row, or anonymise it (the account erasure of Art. 17 with the reason retention)';
COMMENT ON COLUMN privacy.retention_rules.categories IS 'nopii: codes of privacy.categories whose retention this rule enforces';
COMMENT ON COLUMN privacy.retention_rules.legal_reference_fr IS 'nopii: why this period, for the DPO';
COMMENT ON COLUMN privacy.retention_rules.purge_function IS 'nopii: for an append-only table, its own purge fn(before timestamptz, now timestamptz) returning the rows deleted, called instead of a DELETE';
COMMENT ON COLUMN privacy.retention_rules.position IS 'order of the runs: dependent rows first';

CREATE FUNCTION privacy.retention_rules_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	bad	text;
BEGIN
	SELECT string_agg(c, ', ') INTO bad FROM unnest(NEW.categories) c
	    WHERE c IS NULL OR NOT EXISTS (SELECT 1 FROM privacy.categories k
	    WHERE k.code = c);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'retention rule %: unknown categories: %',
		    NEW.code, bad USING ERRCODE = 'foreign_key_violation';
	END IF;
	-- The expression must be a time over the row: planned, never run.
	EXECUTE format('SELECT (%s)::timestamptz FROM %s t WHERE false',
	    NEW.starts_sql, NEW.table_name::regclass);
	RETURN NEW;
END $$;
CREATE TRIGGER retention_rules_check BEFORE INSERT OR UPDATE
	ON privacy.retention_rules
	FOR EACH ROW EXECUTE FUNCTION privacy.retention_rules_check();

-- What is due under a rule at 'p_now' (the injectable clock, a parameter:
-- never now()): the rows' ctid for 'delete', the account ids for
-- 'anonymise'.
CREATE FUNCTION privacy.retention_due(p_rule text, p_now timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	r	privacy.retention_rules;
BEGIN
	SELECT * INTO STRICT r FROM privacy.retention_rules WHERE code = p_rule;
	IF r.action = 'anonymise' THEN
		RETURN QUERY EXECUTE format('SELECT t.id::text FROM %s t '
		    'WHERE (%s) + $1 < $2 ORDER BY 1', r.table_name::regclass,
		    r.starts_sql) USING r.retention, p_now;
	ELSE
		RETURN QUERY EXECUTE format('SELECT t.ctid::text FROM %s t '
		    'WHERE (%s) + $1 < $2', r.table_name::regclass,
		    r.starts_sql) USING r.retention, p_now;
	END IF;
END $$;

-- Delete what is past its date under a 'delete' rule; the number of rows.
-- 'guichet.retention' names the rule for the length of the transaction,
-- so that an append-only table may let this purge (and nothing else)
-- through for its own rule.
CREATE FUNCTION privacy.retention_delete(p_rule text, p_now timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	r	privacy.retention_rules;
	n	bigint;
BEGIN
	SELECT * INTO STRICT r FROM privacy.retention_rules WHERE code = p_rule;
	IF r.action <> 'delete' THEN
		RAISE EXCEPTION 'retention rule %: not a delete rule', p_rule
		    USING ERRCODE = 'check_violation';
	END IF;
	IF r.purge_function IS NOT NULL THEN
		EXECUTE format('SELECT %s($1, $2)',
		    to_regprocedure(r.purge_function)::regproc)
		    INTO n USING p_now - r.retention, p_now;
		RETURN n;
	END IF;
	PERFORM set_config('guichet.retention', p_rule, true);
	EXECUTE format('DELETE FROM %s t WHERE (%s) + $1 < $2',
	    r.table_name::regclass, r.starts_sql) USING r.retention, p_now;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('guichet.retention', '', true);
	RETURN n;
END $$;

-- Rectification audit (Art. 16, reference A4): who changed which personal
-- fields of an account, and when, never the values (after a rectification
-- no copy of the old value may remain).  Written by a trigger so that no
-- code path can forget it.  The time is NEW.updated_at, which every
-- identity statement that changes a person's fields sets from the
-- injectable clock.  The actor is the account itself unless the
-- transaction names another one (an agent or the DPO acting at the
-- counter): set_config('guichet.actor', <account id>, true), and
-- set_config('guichet.channel', 'counter', true) for the channel.
CREATE TABLE privacy.rectifications (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	uuid NOT NULL REFERENCES identity.accounts (id)
			    ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	actor		uuid NOT NULL,
	fields		text[] NOT NULL CHECK (cardinality(fields) >= 1),
	channel		text NOT NULL CHECK (channel IN ('api', 'web',
			    'counter'))
);
CREATE INDEX rectifications_account ON privacy.rectifications (account_id, at);
COMMENT ON INDEX privacy.rectifications_account IS 'a person''s rectifications, for the export and the DPO';
COMMENT ON TABLE privacy.rectifications IS 'audit of the rectifications of personal fields (Art. 16): names of the fields, never their values';
COMMENT ON COLUMN privacy.rectifications.account_id IS 'nopii: the account whose fields changed';
COMMENT ON COLUMN privacy.rectifications.at IS 'nopii: from the injectable clock (the account''s updated_at)';
COMMENT ON COLUMN privacy.rectifications.actor IS 'nopii: the account that made the change (the person, an agent or the DPO)';
COMMENT ON COLUMN privacy.rectifications.fields IS 'nopii: names of the personal columns changed, never their values';
COMMENT ON COLUMN privacy.rectifications.channel IS 'nopii: api, web or counter';

-- The personal columns are the ones tagged pii: (credentials excepted: a
-- new password is not a rectification, and the rehash at login changes
-- the hash without the person doing anything).  An erasure (status
-- 'erased', or the transaction-local marker guichet.erasure) is recorded
-- by the erasure journal, not here.
CREATE FUNCTION privacy.accounts_rectified() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	o	jsonb := to_jsonb(OLD);
	n	jsonb := to_jsonb(NEW);
	changed	text[];
	actor	text := nullif(current_setting('guichet.actor', true), '');
	chan	text := coalesce(nullif(current_setting('guichet.channel',
		    true), ''), 'api');
BEGIN
	IF NEW.status = 'erased' OR OLD.status = 'erased' OR
	    coalesce(current_setting('guichet.erasure', true), '') <> '' THEN
		RETURN NULL;
	END IF;
	SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO changed
	    FROM pg_attribute a JOIN pg_description d ON d.objoid = a.attrelid
	    AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
	    WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
	    AND d.description ~ '^pii:' AND d.description !~ '^pii:credential'
	    AND (o -> a.attname::text) IS DISTINCT FROM (n -> a.attname::text);
	IF changed IS NULL THEN
		RETURN NULL;
	END IF;
	INSERT INTO privacy.rectifications (account_id, at, actor, fields,
	    channel) VALUES (NEW.id, NEW.updated_at,
	    coalesce(actor::uuid, NEW.id), changed, chan);
	RETURN NULL;
END $$;
CREATE TRIGGER accounts_rectified AFTER UPDATE ON identity.accounts
	FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
	EXECUTE FUNCTION privacy.accounts_rectified();

-- The consent ledger stays append-only, except for the purge of its own
-- rule: UPDATE and TRUNCATE are always refused; DELETE is refused unless
-- the transaction is privacy.retention_delete('consent_ledger', ...)
-- (whose marker is transaction-local).  Done on the trigger, not on the
-- function, so that the erasure's own exception in the function stays
-- as it is; skipped when the trigger already has a condition of its own
-- (then the two conditions must be merged by hand).
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid =
	    'privacy.consent_ledger'::regclass AND tgname =
	    'consent_ledger_append_only' AND tgqual IS NULL) THEN
		DROP TRIGGER consent_ledger_append_only ON privacy.consent_ledger;
		CREATE TRIGGER consent_ledger_append_only
			BEFORE UPDATE ON privacy.consent_ledger
			FOR EACH ROW
			EXECUTE FUNCTION privacy.consent_ledger_append_only();
		CREATE TRIGGER consent_ledger_append_only_delete
			BEFORE DELETE ON privacy.consent_ledger
			FOR EACH ROW WHEN (coalesce(current_setting(
			    'guichet.retention', true), '') <> 'consent_ledger')
			EXECUTE FUNCTION privacy.consent_ledger_append_only();
	END IF;
END $$;

INSERT INTO privacy.retention_rules (code, table_name, starts_sql, retention,
    retention_from, action, categories, legal_reference_fr, position) VALUES
	-- Refresh tokens: the hash of a random value, but each row says when
	-- the person signed in.  Kept 30 days past expiry or revocation so that
	-- a stolen token coming back is still recognised as reused.
	('refresh_tokens', 'identity.refresh_tokens',
	    'least(t.expires_at, t.revoked_at)', '30 days', 'collected',
	    'delete', '{}',
	    'Sécurité des sessions (art. 32 RGPD) : un jeton expiré ou révoqué '
	    'ne sert plus qu''à reconnaître sa réutilisation ; 30 jours après '
	    'son expiration ou sa révocation il est supprimé (art. 5.1.e).',
	    10),
	-- Verification and reset links: useless once used or expired.
	('one_time_tokens', 'identity.one_time_tokens',
	    'least(t.expires_at, t.used_at)', '7 days', 'collected',
	    'delete', '{}',
	    'Liens de vérification et de réinitialisation : supprimés 7 jours '
	    'après leur utilisation ou leur expiration (art. 5.1.e RGPD).',
	    10),
	-- Throttle rows are security state, not logs: a row only matters while
	-- it blocks or may still add to a back-off.  1 day after the last
	-- failure (and after the end of any block) is enough for the
	-- exponential back-off and far below the 6 months to 1 year the CNIL
	-- allows for security traces.
	('auth_throttle', 'identity.auth_throttle',
	    'greatest(t.last_failure, t.blocked_until)', '1 day', 'collected',
	    'delete', '{network}',
	    'Protection contre les attaques par force brute (art. 32 RGPD) : '
	    'état de sécurité supprimé 24 heures après le dernier échec ou la '
	    'fin du blocage, bien en deçà des 6 mois à 1 an recommandés par la '
	    'CNIL pour les traces (recommandation journalisation 2021).',
	    10),
	-- Messages: 3 months after sending, or after their creation when
	-- never sent (a portal relays, it does not keep: RU-030).
	('outbox', 'ops.outbox',
	    'greatest(t.created_at, t.sent_at)', '3 months', 'collected',
	    'delete', '{free_text,contact}',
	    'Portail de téléservices (arrêté du 4 juillet 2013, RU-030) : les '
	    'données transmises sont conservées 3 mois au plus, puis '
	    'détruites.',
	    20),
	-- Inactive accounts: the Art. 17 erasure (tombstones, legal records
	-- kept) with the reason 'retention'.  The last activity is the last
	-- change of the account (updated_at) until identity records sign-ins
	-- (last_seen_at, see the retention report): a person who only signs in
	-- counts as inactive after 3 years.
	('inactive_accounts', 'identity.accounts',
	    'CASE WHEN t.status <> ''erased'' AND NOT EXISTS (SELECT 1 FROM '
	    'identity.agents g WHERE g.account_id = t.id) THEN t.updated_at END',
	    '3 years', 'last_activity', 'anonymise',
	    '{identity,contact,address,profile,credential}',
	    'Compte inactif : données du compte effacées 3 ans après la '
	    'dernière activité (recommandation CNIL sur les comptes inactifs, '
	    'art. 5.1.e RGPD) ; les dossiers à archiver suivent les '
	    'instructions du SIAF.',
	    90),
	-- Consent proof: kept 5 years after the account is closed (limitation
	-- period of civil actions, art. 2224 Code civil), then deleted.  The
	-- ledger is append-only: its trigger lets through a DELETE when
	-- current_setting('guichet.retention', true) = 'consent_ledger'.
	('consent_ledger', 'privacy.consent_ledger',
	    '(SELECT a.updated_at FROM identity.accounts a WHERE a.id = '
	    't.account_id AND a.status = ''erased'')',
	    '5 years', 'account_closed', 'delete', '{consent}',
	    'Preuve du consentement (art. 7.1 RGPD) conservée 5 ans après la '
	    'clôture du compte, délai de prescription de droit commun '
	    '(art. 2224 du Code civil), puis supprimée.',
	    50),
	-- Rectification audit: who changed which fields, no values.
	('rectifications', 'privacy.rectifications',
	    't.at', '3 years', 'collected', 'delete', '{}',
	    'Traçabilité des rectifications (art. 5.2 et 16 RGPD) : noms des '
	    'champs modifiés, sans valeurs, conservés 3 ans.',
	    30);

-- Rules for the tables the other privacy migrations created, when they
-- exist: the access log (1 year, CNIL logging recommendation; through its
-- own purge function, the table being append-only), the rights requests
-- and restrictions (5 years after the answer or the lift).  A rule whose
-- table or columns are not there is left out (a notice says so).
CREATE FUNCTION pg_temp.retention_rule_if(p_code text, p_table text,
    p_starts text, p_retention interval, p_categories text[],
    p_function text, p_reference text, p_position integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF to_regclass(p_table) IS NULL THEN
		RAISE NOTICE 'retention rule %: no table %', p_code, p_table;
		RETURN;
	END IF;
	INSERT INTO privacy.retention_rules (code, table_name, starts_sql,
	    retention, retention_from, action, categories, legal_reference_fr,
	    purge_function, position)
	VALUES (p_code, p_table, p_starts, p_retention, 'collected', 'delete',
	    ARRAY(SELECT c FROM unnest(p_categories) c WHERE EXISTS (SELECT 1
	    FROM privacy.categories k WHERE k.code = c)), p_reference,
	    CASE WHEN to_regprocedure(p_function) IS NOT NULL THEN p_function
	    END, p_position);
EXCEPTION WHEN undefined_column OR undefined_function THEN
	RAISE NOTICE 'retention rule %: %', p_code, SQLERRM;
END $$;

SELECT pg_temp.retention_rule_if('access_log', 'privacy.access_log', 't.at',
    '1 year', '{access_trace}',
    'privacy.access_log_purge(timestamptz,timestamptz)',
    'Journal des consultations (« qui a consulté mes données ») : 1 an, '
    'recommandation CNIL relative aux mesures de journalisation (6 mois à '
    '1 an) ; une consultation à révélation différée est gardée jusqu''à ce '
    'que la personne ait pu la voir.', 40);
SELECT pg_temp.retention_rule_if('rights_requests', 'privacy.requests',
    't.decided_at', '5 years', '{rights_request,free_text}', NULL,
    'Demandes d''exercice des droits (art. 12 RGPD) : 5 ans après la '
    'réponse, délai de prescription de droit commun (art. 2224 du Code '
    'civil) ; une demande ouverte n''est jamais supprimée.', 60);
SELECT pg_temp.retention_rule_if('restrictions', 'privacy.restrictions',
    't.lifted_at', '5 years', '{rights_request}', NULL,
    'Limitations du traitement (art. 18 RGPD) : 5 ans après la levée '
    '(art. 2224 du Code civil) ; une limitation en cours n''est jamais '
    'supprimée.', 60);
