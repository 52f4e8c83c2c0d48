-- 004_privacy_export: what access and portability (Art. 15, 20) and the
-- erasure of the consent ledger (Art. 17) need from the schema.
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.

-- Art. 20 covers only data the person provided (typed, chose, reported),
-- not what the town derives from it (hashes, secrets) nor its security
-- traces.  Whether a category is portable for a person also needs a
-- purpose on consent (given) or contract: privacy.portable_categories().
ALTER TABLE privacy.categories ADD COLUMN provided boolean NOT NULL
	DEFAULT false;
COMMENT ON COLUMN privacy.categories.provided IS 'nopii: the person provides this data themselves (Art. 20(1)): it is portable under a purpose on consent or contract';
UPDATE privacy.categories SET provided = true
	WHERE code IN ('identity', 'contact', 'address', 'profile', 'free_text',
	    'location', 'consent');

-- The category of each personal-data column of a table, from its
-- 'pii:<category>' tag: the one map from columns to categories.
CREATE FUNCTION privacy.column_categories(p_table regclass)
RETURNS TABLE (col text, category text)
LANGUAGE sql STABLE AS $$
	SELECT a.attname::text, substring(d.description FROM '^pii:([a-z_]+)')
	FROM pg_catalog.pg_attribute a
	JOIN pg_catalog.pg_description d ON d.objoid = a.attrelid
	    AND d.classoid = 'pg_catalog.pg_class'::regclass
	    AND d.objsubid = a.attnum
	WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
	    AND d.description LIKE 'pii:%'
$$;

-- The categories that are portable for a person now, with the purposes
-- (and their legal bases) that make them so: provided by the person and
-- processed for a purpose on contract, or on consent that the person has
-- given for the current text.  public_task, legal_obligation and
-- legitimate_interest never make data portable (Art. 20(1)(a), 20(3)).
-- The person's consent choices themselves are data they provide to each
-- consent-based purpose (given or withdrawn): 'consent' is portable as
-- soon as the ledger holds a choice of theirs.
CREATE FUNCTION privacy.portable_categories(p_account uuid)
RETURNS TABLE (category text, purposes text[], legal_bases text[])
LANGUAGE sql STABLE AS $$
	SELECT k.code, array_agg(DISTINCT k.purpose ORDER BY k.purpose),
	    array_agg(DISTINCT k.legal_basis ORDER BY k.legal_basis)
	FROM (SELECT c.code, p.code AS purpose, p.legal_basis
		FROM privacy.categories c
		JOIN privacy.purposes p ON c.code = ANY (p.categories)
		WHERE c.provided AND (p.legal_basis = 'contract' OR
		    (p.legal_basis = 'consent' AND
		    privacy.consent_given(p_account, p.code)))
	    UNION
	    SELECT c.code, v.purpose, 'consent'
		FROM privacy.categories c, (SELECT DISTINCT purpose
		    FROM privacy.purpose_versions
		    WHERE legal_basis = 'consent') v
		WHERE c.code = 'consent' AND c.provided AND EXISTS (SELECT 1
		    FROM privacy.consent_ledger l WHERE l.account_id = p_account
		    AND l.purpose = v.purpose)) k
	GROUP BY k.code
$$;

-- Messages of a person: the export and the erasure read them by account.
CREATE INDEX outbox_account ON ops.outbox (account_id);
COMMENT ON INDEX ops.outbox_account IS 'the messages of one person (export, erasure)';

-- Erasure of the consent ledger.  The proof of a consent is kept
-- (category 'consent' is keep_restricted: Art. 7(1), 17(3)(b)) but cut
-- from the person: its account_id becomes a per-person tombstone that no
-- account has, so the rows can no longer be read as anyone's.  That
-- value is not an account: the foreign key gives way to the same rule
-- checked at insert time, and accounts with ledger rows still cannot be
-- deleted.
ALTER TABLE privacy.consent_ledger
	DROP CONSTRAINT consent_ledger_account_id_fkey;
COMMENT ON COLUMN privacy.consent_ledger.account_id IS 'the person (identity.accounts), or after erasure a tombstone that is no account';

CREATE FUNCTION privacy.consent_ledger_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM identity.accounts a
	    WHERE a.id = NEW.account_id AND a.status <> 'erased') THEN
		RAISE EXCEPTION 'consent of %: no such account', NEW.account_id
		    USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER consent_ledger_account BEFORE INSERT ON privacy.consent_ledger
	FOR EACH ROW EXECUTE FUNCTION privacy.consent_ledger_account();

CREATE FUNCTION privacy.account_has_consents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM privacy.consent_ledger l
	    WHERE l.account_id = OLD.id) THEN
		RAISE EXCEPTION 'account %: its consent ledger rows must be '
		    'erased first', OLD.id USING ERRCODE = 'foreign_key_violation';
	END IF;
	RETURN OLD;
END $$;
CREATE TRIGGER accounts_consents BEFORE DELETE ON identity.accounts
	FOR EACH ROW EXECUTE FUNCTION privacy.account_has_consents();

-- Still append-only, with one exception: inside
-- privacy.erase_consent_ledger(), which sets the transaction-local marker
-- 'guichet.erasure' to the account being erased, the rows of that account
-- (and only they) may have their account_id, and nothing else, replaced
-- by a tombstone that is no account, or be deleted when the DPO set the
-- 'consent' category to another strategy than keep_restricted.
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
	    AND NOT EXISTS (SELECT 1 FROM identity.accounts a
		WHERE a.id = NEW.account_id) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'privacy.consent_ledger is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;

-- The one way to erase a person's consents (the erasure transaction
-- calls it), following the strategy of the category 'consent': with
-- keep_restricted the rows of 'p_account' are kept but get 'p_tombstone',
-- derived by the caller from the erasure's salt (never stored); with any
-- other strategy they are deleted.  Returns the number of rows.
CREATE FUNCTION privacy.erase_consent_ledger(p_account uuid, p_tombstone uuid)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n	bigint;
BEGIN
	IF p_account IS NULL OR p_tombstone IS NULL OR p_account = p_tombstone
	    OR EXISTS (SELECT 1 FROM identity.accounts a
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
