-- 015: what the identity module lets the modules above it read
-- (ARCHITECTURE.md, "Modules": each table has one owning module; another
-- module reads it only through what the owner declares).  The privacy
-- module's statements read people's accounts through identity.directory
-- and partner clients through identity.client_names, never the tables.
--
-- Partner scopes are declared by the modules that define them and
-- checked by guichetd and guichetctl against that registry: the list
-- frozen in a CHECK of identity.clients would be one more place to edit
-- per module, so it goes.

CREATE VIEW identity.directory AS
	SELECT a.id, a.email, a.display_name, a.phone, a.locale,
	    a.profile_kind, a.status, a.created_at, a.updated_at,
	    EXISTS (SELECT 1 FROM identity.agents g WHERE g.account_id = a.id)
	    AS is_agent
	FROM identity.accounts a;
COMMENT ON VIEW identity.directory IS 'identity''s interface to the modules above it: who a person is and how to reach them (no credentials); SELECT ... FOR UPDATE through it locks the account';
COMMENT ON COLUMN identity.directory.email IS 'pii:contact';
COMMENT ON COLUMN identity.directory.display_name IS 'pii:identity';
COMMENT ON COLUMN identity.directory.phone IS 'pii:contact';
COMMENT ON COLUMN identity.directory.profile_kind IS 'pii:profile';
COMMENT ON COLUMN identity.directory.locale IS 'nopii';
COMMENT ON COLUMN identity.directory.status IS 'nopii';

CREATE VIEW identity.client_names AS
	SELECT c.id, c.name, c.revoked_at IS NULL AS active
	FROM identity.clients c;
COMMENT ON VIEW identity.client_names IS 'identity''s interface: partner applications by id, without their secrets';
COMMENT ON COLUMN identity.client_names.id IS 'nopii';
COMMENT ON COLUMN identity.client_names.name IS 'nopii: an organisation or application name';

REVOKE INSERT, UPDATE, DELETE ON identity.directory, identity.client_names
    FROM guichet_app;

ALTER TABLE identity.clients DROP CONSTRAINT clients_scopes_check;
ALTER TABLE identity.clients ADD CONSTRAINT clients_scopes_shape CHECK
    (array_position(scopes, NULL) IS NULL AND
    array_to_string(scopes, ' ') ~ '^([a-z0-9_]+(:[a-z0-9_]+)*( |$))*$');
COMMENT ON COLUMN identity.clients.scopes IS 'nopii: scopes declared by the modules (guichetd --modules lists them)';
