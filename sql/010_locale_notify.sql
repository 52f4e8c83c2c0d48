-- 010: an account's locale wins over Accept-Language once signed in
-- (API.md, Language).  guichetd keeps it beside the token version in its
-- principal cache, so a change of locale must reach every guichetd like a
-- change of token version or status does.
DROP TRIGGER accounts_principal_changed ON identity.accounts;
-- Only when one of them really changes: PATCH /api/v1/me sets every
-- column it may change, locale included.
CREATE TRIGGER accounts_principal_changed
	AFTER UPDATE OF token_version, status, locale ON identity.accounts
	FOR EACH ROW WHEN ((OLD.token_version, OLD.status, OLD.locale)
	    IS DISTINCT FROM (NEW.token_version, NEW.status, NEW.locale))
	EXECUTE FUNCTION identity.notify_principal();
