-- 009_privacy_fixes: what the modules of 004-008 needed from each other.

-- The sign-in throttle's account key in SQL, identical to the server's
-- (identity_throttle_user_key(): HMAC-SHA256 under ops.instance_secret of
-- the lower-cased email), so that a DBA or a test can find a person's row
-- without ever storing a linkable hash.  Emails are ASCII-lower-cased on
-- both sides.
CREATE FUNCTION identity.hmac_sha256(key bytea, msg bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	k	bytea := key;
	ipad	bytea;
	opad	bytea;
	i	integer;
BEGIN
	IF length(k) > 64 THEN
		k := sha256(k);
	END IF;
	k := k || decode(repeat('00', 64 - length(k)), 'hex');
	ipad := k;
	opad := k;
	FOR i IN 0..63 LOOP
		ipad := set_byte(ipad, i, get_byte(k, i) # 54);
		opad := set_byte(opad, i, get_byte(k, i) # 92);
	END LOOP;
	RETURN sha256(opad || sha256(ipad || msg));
END $$;
COMMENT ON FUNCTION identity.hmac_sha256(bytea, bytea) IS 'HMAC-SHA256 (RFC 2104) without pgcrypto';

CREATE FUNCTION identity.throttle_user_key(email text) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
	SELECT 'user:' || encode(identity.hmac_sha256(decode(s.secret, 'hex'),
	    convert_to(translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
	    'abcdefghijklmnopqrstuvwxyz'), 'UTF8')), 'hex')
	FROM ops.instance_secret s
$$;
COMMENT ON FUNCTION identity.throttle_user_key(text) IS 'the identity.auth_throttle key of an email, as guichetd computes it';

-- Consent proofs kept after an erasure hang off the person's tombstone,
-- not an account: their retention runs from the erasure.
UPDATE privacy.retention_rules SET starts_sql =
    'coalesce((SELECT e.at FROM privacy.erasures e WHERE e.tombstone = t.account_id), '
    '(SELECT a.updated_at FROM identity.accounts a WHERE a.id = t.account_id AND a.status = ''erased''))'
WHERE code = 'consent_ledger';

-- The free texts of a rights request (grounds, answer, refusal reasons,
-- decision grounds) are part of the request's record and follow its
-- retention (5 years after the answer, for legal claims), not the 3 months
-- of loose free text; erasure redacts them while the record is kept.
COMMENT ON COLUMN privacy.requests.grounds IS 'pii:rights_request: the person''s own grounds (objection, Art. 21(1)); redacted on erasure';
COMMENT ON COLUMN privacy.requests.answer IS 'pii:rights_request: the answer sent; for a refusal, the reasons and the remedies (CNIL, courts); redacted on erasure';
COMMENT ON COLUMN privacy.requests.refusal_reason IS 'pii:rights_request: required for a refusal (Art. 12(4)); redacted on erasure';
COMMENT ON COLUMN privacy.requests.decision_grounds IS 'pii:rights_request: the grounds recorded with the decision on an objection; redacted on erasure';
UPDATE privacy.retention_rules SET categories = '{rights_request}'
WHERE code = 'rights_requests';
