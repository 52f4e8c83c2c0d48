-- 012: the response cache of public read-mostly answers (src/http/cache.h).
-- A change to the data an answer is built from sends
-- pg_notify('guichet_cache', <tag>), and every guichetd drops the answers
-- of that tag.  Statement-level triggers: one notification per statement,
-- and PostgreSQL folds identical notifications of one transaction.
CREATE FUNCTION ops.notify_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('guichet_cache', TG_ARGV[0]);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION ops.notify_cache() IS 'tells every guichetd that the cached answers of the tag given as argument are stale';

-- GET /api/v1/privacy/register reads these.
CREATE TRIGGER town_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON ops.town FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('privacy_register');
CREATE TRIGGER purposes_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON privacy.purposes FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('privacy_register');
CREATE TRIGGER recipients_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON privacy.recipients FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('privacy_register');
CREATE TRIGGER categories_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON privacy.categories FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('privacy_register');
CREATE TRIGGER retention_events_cache AFTER INSERT OR UPDATE OR DELETE
	OR TRUNCATE ON privacy.retention_events FOR EACH STATEMENT
	EXECUTE FUNCTION ops.notify_cache('privacy_register');
