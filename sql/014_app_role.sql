-- 014: least privilege for the request path (ARCHITECTURE: "the server's
-- database role has only the rights it needs").
--
-- guichetd's request threads act as the group role guichet_app (the
-- database_role setting: "-c role=guichet_app" in their startup packet);
-- the migrations, the retention purge, the notification listener and
-- guichetctl keep the login role's rights.  guichet_app may read and write
-- the tables of the domain schemas, and no more:
--  - the append-only records (the consent ledger, the access log) take
--    INSERT only: the one way to delete from them is through the SECURITY
--    DEFINER functions of migrations 004 and 006 (erasure, retention),
--    which run with the owner's rights.  Until now their transaction-local
--    markers were a guard against mistakes only (any session could set
--    them); without DELETE on the tables the markers open nothing;
--  - what only migrations and the operator change (the migrations' own
--    table, the instance secret, the retention rules and events, the
--    categories) is read-only;
--  - no TRUNCATE, REFERENCES, TRIGGER or DDL anywhere.
--
-- Creating the role needs CREATEROLE (or a superuser) once per cluster;
-- where the migrating role lacks it, the database administrator creates
-- it and grants it to the login role first (README, guichetd(8)):
--   CREATE ROLE guichet_app NOLOGIN; GRANT guichet_app TO guichet;
-- The login role that migrates is made a member (to act as it) when it
-- is not one already.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'guichet_app') THEN
		CREATE ROLE guichet_app NOLOGIN;
		COMMENT ON ROLE guichet_app IS 'guichetd request threads: data rights only, append-only records insert-only';
	END IF;
	IF NOT pg_has_role(current_user, 'guichet_app', 'MEMBER') THEN
		EXECUTE format('GRANT guichet_app TO %I', current_user);
	END IF;
END $$;

GRANT USAGE ON SCHEMA identity, privacy, ops, cases, incidents, mobility,
    audit TO guichet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA identity,
    privacy, ops, cases, incidents, mobility, audit TO guichet_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA identity, privacy, ops,
    cases, incidents, mobility, audit TO guichet_app;
-- Tables and sequences of later migrations (made by this same role).
ALTER DEFAULT PRIVILEGES IN SCHEMA identity, privacy, ops, cases,
    incidents, mobility, audit
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO guichet_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA identity, privacy, ops, cases,
    incidents, mobility, audit
    GRANT USAGE, SELECT ON SEQUENCES TO guichet_app;

REVOKE UPDATE, DELETE ON privacy.consent_ledger, privacy.access_log
    FROM guichet_app;
REVOKE INSERT, UPDATE, DELETE ON ops.schema_migrations, ops.instance_secret,
    privacy.retention_rules, privacy.retention_events, privacy.categories
    FROM guichet_app;
