-- 013: the last sign-in, so that a person who signs in but never changes
-- their profile is not taken for inactive.  The register tells people the
-- inactivity period runs from "la dernière activité du compte (connexion
-- ou démarche)"; until now the rule read updated_at only, so a person who
-- signed in every week would have been erased three years after their
-- last profile change.
ALTER TABLE identity.accounts ADD COLUMN last_seen_at timestamptz;
COMMENT ON COLUMN identity.accounts.last_seen_at IS 'the last sign-in or token refresh, to the day (written at most once a day): where the inactivity period starts; exported, cleared by the erasure; not a rectification';

UPDATE privacy.retention_rules SET starts_sql =
	'CASE WHEN t.status <> ''erased'' AND NOT EXISTS (SELECT 1 FROM '
	'identity.agents g WHERE g.account_id = t.id) THEN '
	'greatest(t.updated_at, t.last_seen_at) END'
	WHERE code = 'inactive_accounts';
