-- 037: privacy's SQL reads people through identity's declared interface,
-- identity.directory (migration 015), never identity's tables: the three
-- functions of migration 004 that looked at identity.accounts are
-- recreated, with the same behaviour, over the view (ARCHITECTURE.md,
-- "Rules a module keeps": its tables are its own).

-- A consent is given by an account that exists and is not erased.
CREATE OR REPLACE FUNCTION privacy.consent_ledger_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM identity.directory a
	    WHERE a.id = NEW.account_id AND a.status <> 'erased') THEN
		RAISE EXCEPTION 'consent of %: no such account', NEW.account_id
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN NEW;
END $$;

-- Append-only, but for the erasure's one change (migration 004 says
-- which): a tombstone that is no account.
CREATE OR REPLACE FUNCTION privacy.consent_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE'
	    AND current_setting('guichet.erasure', true) = OLD.account_id::text
	    THEN
		RETURN OLD;
	END IF;
	IF TG_OP = 'UPDATE'
	    AND current_setting('guichet.erasure', true) = OLD.account_id::text
	    AND NEW.account_id <> OLD.account_id
	    AND (NEW.id, NEW.purpose, NEW.purpose_version, NEW.action,
		NEW.channel, NEW.at) IS NOT DISTINCT FROM (OLD.id, OLD.purpose,
		OLD.purpose_version, OLD.action, OLD.channel, OLD.at)
	    AND NOT EXISTS (SELECT 1 FROM identity.directory a
		WHERE a.id = NEW.account_id) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'privacy.consent_ledger is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;

-- The one way to erase a person's consents (migration 004 says how).
CREATE OR REPLACE FUNCTION privacy.erase_consent_ledger(p_account uuid,
    p_tombstone uuid)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n	bigint;
BEGIN
	IF p_account IS NULL OR p_tombstone IS NULL OR p_account = p_tombstone
	    OR EXISTS (SELECT 1 FROM identity.directory a
	    WHERE a.id = p_tombstone) THEN
		RAISE EXCEPTION 'erase_consent_ledger: the tombstone must be '
		    'no account' USING ERRCODE = 'check_violation';
	END IF;
	PERFORM set_config('guichet.erasure', p_account::text, true);
	IF (SELECT c.erasure FROM privacy.categories c
	    WHERE c.code = 'consent') = 'keep_restricted' THEN
		UPDATE privacy.consent_ledger SET account_id = p_tombstone
		    WHERE account_id = p_account;
	ELSE
		DELETE FROM privacy.consent_ledger WHERE account_id = p_account;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('guichet.erasure', '', true);
	RETURN n;
END $$;
