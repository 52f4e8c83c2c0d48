-- 002_identity: accounts, agents, departments, partner clients, tokens,
-- throttling, and the outbox of messages to send.
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise
-- (the privacy layer's erasure, export and retention are driven by them).

CREATE TABLE identity.accounts (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email		text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	email_verified_at timestamptz,
	password_hash	text NOT NULL,
	display_name	text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
	locale		text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en', 'it')),
	profile_kind	text NOT NULL CHECK (profile_kind IN ('permanent_resident',
			    'secondary_resident', 'seasonal_worker', 'tourist')),
	employer	text CHECK (length(employer) BETWEEN 1 AND 120),
	contract_start	date,
	contract_end	date,
	stay_start	date,
	stay_end	date,
	phone		text CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
	street		text CHECK (length(street) BETWEEN 1 AND 200),
	postcode	text CHECK (postcode ~ '^[0-9A-Za-z -]{3,10}$'),
	city		text CHECK (length(city) BETWEEN 1 AND 100),
	insee_code	text CHECK (insee_code ~ '^[0-9][0-9AB][0-9]{3}$'),
	status		text NOT NULL DEFAULT 'active'
			    CHECK (status IN ('active', 'blocked', 'erased')),
	token_version	bigint NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL,
	CHECK ((profile_kind = 'seasonal_worker') =
	    (employer IS NOT NULL AND contract_start IS NOT NULL)),
	CHECK (contract_end IS NULL OR contract_end >= contract_start),
	CHECK ((profile_kind = 'tourist') =
	    (stay_start IS NOT NULL AND stay_end IS NOT NULL)),
	CHECK (stay_end IS NULL OR stay_end >= stay_start)
);
CREATE UNIQUE INDEX accounts_email_key ON identity.accounts (lower(email));
COMMENT ON INDEX identity.accounts_email_key IS 'one account per email, case-insensitive; used by login and registration';
COMMENT ON TABLE identity.accounts IS 'one account per person: residents, seasonal workers, tourists, and agents';
COMMENT ON COLUMN identity.accounts.email IS 'pii:contact';
COMMENT ON COLUMN identity.accounts.password_hash IS 'pii:credential';
COMMENT ON COLUMN identity.accounts.display_name IS 'pii:identity';
COMMENT ON COLUMN identity.accounts.locale IS 'nopii';
COMMENT ON COLUMN identity.accounts.profile_kind IS 'pii:profile';
COMMENT ON COLUMN identity.accounts.employer IS 'pii:profile';
COMMENT ON COLUMN identity.accounts.contract_start IS 'pii:profile';
COMMENT ON COLUMN identity.accounts.contract_end IS 'pii:profile';
COMMENT ON COLUMN identity.accounts.stay_start IS 'pii:profile';
COMMENT ON COLUMN identity.accounts.stay_end IS 'pii:profile';
COMMENT ON COLUMN identity.accounts.phone IS 'pii:contact';
COMMENT ON COLUMN identity.accounts.street IS 'pii:address';
COMMENT ON COLUMN identity.accounts.postcode IS 'pii:address';
COMMENT ON COLUMN identity.accounts.city IS 'pii:address';
COMMENT ON COLUMN identity.accounts.insee_code IS 'pii:address';
COMMENT ON COLUMN identity.accounts.status IS 'nopii';
COMMENT ON COLUMN identity.accounts.token_version IS 'nopii: bumped to invalidate every access token already issued';

-- Access tokens carry the token version; this tells every guichetd at once.
CREATE FUNCTION identity.notify_principal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('guichet_principal', NEW.id::text);
	RETURN NEW;
END $$;
CREATE TRIGGER accounts_principal_changed
	AFTER UPDATE OF token_version, status ON identity.accounts
	FOR EACH ROW EXECUTE FUNCTION identity.notify_principal();

CREATE TABLE identity.departments (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
	name_fr		text NOT NULL,
	name_en		text NOT NULL,
	name_it		text NOT NULL
);
COMMENT ON TABLE identity.departments IS 'services of the town (mairie, services techniques...): data, not code';
COMMENT ON COLUMN identity.departments.code IS 'nopii';
COMMENT ON COLUMN identity.departments.name_fr IS 'nopii';
COMMENT ON COLUMN identity.departments.name_en IS 'nopii';
COMMENT ON COLUMN identity.departments.name_it IS 'nopii';

CREATE TABLE identity.agents (
	account_id	uuid PRIMARY KEY REFERENCES identity.accounts (id) ON DELETE CASCADE,
	roles		text[] NOT NULL CHECK (roles <@ ARRAY['agent', 'supervisor', 'admin', 'dpo']
			    AND cardinality(roles) >= 1),
	totp_secret	text,
	totp_enrolled_at timestamptz,
	totp_last_step	bigint NOT NULL DEFAULT -1,
	created_at	timestamptz NOT NULL
);
COMMENT ON TABLE identity.agents IS 'accounts of the town''s staff, with their roles; a second factor is required';
COMMENT ON COLUMN identity.agents.roles IS 'nopii';
COMMENT ON COLUMN identity.agents.totp_secret IS 'pii:credential';
COMMENT ON COLUMN identity.agents.totp_last_step IS 'nopii: last TOTP time step used, refuses replays';

CREATE TABLE identity.agent_departments (
	account_id	uuid NOT NULL REFERENCES identity.agents (account_id) ON DELETE CASCADE,
	department	text NOT NULL REFERENCES identity.departments (code),
	PRIMARY KEY (account_id, department)
);
COMMENT ON TABLE identity.agent_departments IS 'which departments an agent works in';
COMMENT ON COLUMN identity.agent_departments.department IS 'nopii';

CREATE TABLE identity.clients (
	id		text PRIMARY KEY CHECK (id ~ '^cl_[0-9a-f]{16}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
	secret_hash	text NOT NULL,
	scopes		text[] NOT NULL CHECK (scopes <@ ARRAY['incidents:read',
			    'incidents:write', 'lifts:write', 'shuttles:write',
			    'cases:read', 'open311']),
	rate_limit	integer NOT NULL DEFAULT 600 CHECK (rate_limit BETWEEN 1 AND 1000000),
	created_at	timestamptz NOT NULL,
	revoked_at	timestamptz
);
CREATE UNIQUE INDEX clients_name_key ON identity.clients (lower(name)) WHERE revoked_at IS NULL;
COMMENT ON TABLE identity.clients IS 'partner applications (OAuth2 client credentials)';
COMMENT ON COLUMN identity.clients.id IS 'nopii';
COMMENT ON COLUMN identity.clients.name IS 'nopii: an organisation or application name';
COMMENT ON COLUMN identity.clients.secret_hash IS 'nopii: SHA-256 of the client secret (256 random bits)';
COMMENT ON COLUMN identity.clients.scopes IS 'nopii';
COMMENT ON COLUMN identity.clients.rate_limit IS 'nopii: requests per minute';

CREATE FUNCTION identity.notify_client() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('guichet_principal', NEW.id);
	RETURN NEW;
END $$;
CREATE TRIGGER clients_principal_changed
	AFTER UPDATE ON identity.clients
	FOR EACH ROW EXECUTE FUNCTION identity.notify_client();

CREATE TABLE identity.refresh_tokens (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid NOT NULL REFERENCES identity.accounts (id) ON DELETE CASCADE,
	family_id	uuid NOT NULL,
	token_hash	bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	mfa		boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL,
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX refresh_tokens_family ON identity.refresh_tokens (family_id);
COMMENT ON INDEX identity.refresh_tokens_family IS 'revoking a whole family when a used token comes back';
CREATE INDEX refresh_tokens_account ON identity.refresh_tokens (account_id);
COMMENT ON INDEX identity.refresh_tokens_account IS 'revoking every token of an account';
COMMENT ON TABLE identity.refresh_tokens IS 'opaque refresh tokens, stored as SHA-256 of 256 random bits, rotated at every use';
COMMENT ON COLUMN identity.refresh_tokens.token_hash IS 'nopii: hash of a random value';

CREATE TABLE identity.one_time_tokens (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid NOT NULL REFERENCES identity.accounts (id) ON DELETE CASCADE,
	purpose		text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
	token_hash	bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created_at	timestamptz NOT NULL,
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX one_time_tokens_account ON identity.one_time_tokens (account_id);
COMMENT ON INDEX identity.one_time_tokens_account IS 'invalidating earlier tokens of the same purpose';
COMMENT ON TABLE identity.one_time_tokens IS 'single-use, expiring tokens sent by email (verification, password reset)';
COMMENT ON COLUMN identity.one_time_tokens.purpose IS 'nopii';
COMMENT ON COLUMN identity.one_time_tokens.token_hash IS 'nopii: hash of a random value';

CREATE TABLE identity.auth_throttle (
	key		text PRIMARY KEY,
	failures	integer NOT NULL DEFAULT 0,
	last_failure	timestamptz NOT NULL,
	blocked_until	timestamptz
);
COMMENT ON TABLE identity.auth_throttle IS 'failed logins per client address and per account, for exponential back-off';
COMMENT ON COLUMN identity.auth_throttle.key IS 'pii:network: ip:<address> or user:<sha-256 of the lower-cased email>';

CREATE TABLE ops.outbox (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid REFERENCES identity.accounts (id) ON DELETE CASCADE,
	recipient	text NOT NULL,
	template	text NOT NULL CHECK (template ~ '^[a-z_]+$'),
	locale		text NOT NULL CHECK (locale IN ('fr', 'en', 'it')),
	payload		jsonb NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL,
	sent_at		timestamptz
);
CREATE INDEX outbox_unsent ON ops.outbox (created_at) WHERE sent_at IS NULL;
COMMENT ON INDEX ops.outbox_unsent IS 'the mailer picks the oldest unsent messages';
COMMENT ON TABLE ops.outbox IS 'messages to send (email verification, password reset...); sent by the mailer';
COMMENT ON COLUMN ops.outbox.recipient IS 'pii:contact';
COMMENT ON COLUMN ops.outbox.template IS 'nopii';
COMMENT ON COLUMN ops.outbox.locale IS 'nopii';
COMMENT ON COLUMN ops.outbox.payload IS 'pii:free_text: values for the template (a link with a token)';
