-- 016: one address, one identity; a change of address that a stolen
-- token cannot make alone; links bound to the address they were sent to
-- (issue 8).
--
-- Addresses are compared only through their key (identity_email_normalise()
-- in src/identity/identity_email.c): the domain in ASCII by IDNA 2008 and
-- lower-cased, the local part in Unicode NFC lower-cased in ASCII only.
-- The unique index on lower(email) goes: PostgreSQL's Unicode lower()
-- folded a dotted capital I (U+0130) to "i", so that a reset asked for
-- jean@<U+0130>cloud.test reached jean@icloud.test's account.
--
-- SQL can compute the key of an ASCII-only address (lower-casing in
-- ASCII: translate(), whatever the database's locale); guichetd fills the
-- others in C before it compares any address, once (the key of a
-- non-ASCII domain needs IDNA).  Two ASCII addresses the old index let
-- through as different (a Turkish-locale lower()) but with one key keep
-- the key on the older account; the other is left to guichetd, which
-- logs it.

ALTER TABLE identity.accounts ADD COLUMN email_key text;
COMMENT ON COLUMN identity.accounts.email_key IS 'pii:credential: the sign-in identifier, the address normalised by identity_email_normalise(): what sign-in, reset, throttling and uniqueness compare (a copy of email, which is exported)';

UPDATE identity.accounts a SET email_key = k.key
FROM (SELECT id, translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
	    'abcdefghijklmnopqrstuvwxyz') AS key,
	row_number() OVER (PARTITION BY translate(email,
	    'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
	    ORDER BY created_at, id) AS n
	FROM identity.accounts WHERE email ~ '^[\x01-\x7f]*$') k
WHERE a.id = k.id AND k.n = 1;

DROP INDEX identity.accounts_email_key;
CREATE UNIQUE INDEX accounts_email_key_unique ON identity.accounts (email_key);
COMMENT ON INDEX identity.accounts_email_key_unique IS 'one account per address key: registration, sign-in, reset and changes of address';

-- A new address waits for its verification; until then sign-in and reset
-- use the current one.
ALTER TABLE identity.accounts ADD COLUMN email_pending text
	CHECK (length(email_pending) BETWEEN 3 AND 254);
COMMENT ON COLUMN identity.accounts.email_pending IS 'pii:contact: a new address asked for, not yet verified; it replaces email when its link is used';

-- A link is bound to the address it was sent to (verification) or that
-- it restores (undoing a change of address).  Live links of before this
-- migration were sent to the address the account has now.
ALTER TABLE identity.one_time_tokens ADD COLUMN email text;
COMMENT ON COLUMN identity.one_time_tokens.email IS 'pii:contact: the address the link was sent to (verify_email) or restores (undo_email_change)';
UPDATE identity.one_time_tokens o SET email = a.email
FROM identity.accounts a WHERE a.id = o.account_id AND o.used_at IS NULL;
ALTER TABLE identity.one_time_tokens DROP CONSTRAINT
	one_time_tokens_purpose_check;
ALTER TABLE identity.one_time_tokens ADD CONSTRAINT
	one_time_tokens_purpose_check CHECK (purpose IN ('verify_email',
	'reset_password', 'undo_email_change'));
CREATE INDEX one_time_tokens_recent ON identity.one_time_tokens
	(account_id, purpose, created_at);
COMMENT ON INDEX identity.one_time_tokens_recent IS 'the reset links an account was sent in the last hour (at most 3)';

-- When the person signed in with their password, carried from a session's
-- first refresh token to the next: the access tokens' auth_time claim,
-- which a change of address without the current password checks.
ALTER TABLE identity.refresh_tokens ADD COLUMN auth_time timestamptz;
COMMENT ON COLUMN identity.refresh_tokens.auth_time IS 'when the sign-in this session comes from happened (password, and second factor for agents)';

COMMENT ON FUNCTION identity.throttle_user_key(text) IS 'the identity.auth_throttle key of an address key (accounts.email_key), as guichetd computes it';
COMMENT ON COLUMN identity.auth_throttle.key IS 'pii:network: ip:<address> or user:<HMAC-SHA256 of the address key under the instance secret>';
