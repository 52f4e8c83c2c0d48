-- 034_retention_batches: the purge works in batches.
--
-- Until now each retention rule ran as one statement: a DELETE of every
-- due row, or one UPDATE of every due report (incidents) or Open311
-- request.  With a backlog (a year of reports coming due at once, an
-- operator who shortens a period, an import of history) that statement
-- outlived guichetd's statement_timeout (5 s): 465,000 due reports need
-- some 20 s in one statement (93,436 took 3.5 to 4 s), the transaction
-- rolled back, nothing was ever anonymised and every daily attempt burnt
-- the same seconds again.  Now each call of
-- privacy.retention_delete() handles at most p_limit due rows, in the
-- caller's transaction; the purge (src/privacy/retention.c) calls it
-- again, each call its own transaction, until a call handles fewer rows
-- than asked: what a batch did stays done when a later one fails.
--
-- The purge functions of the rules (privacy.retention_rules.
-- purge_function) take the limit too, as a third argument:
-- fn(before timestamptz, now timestamptz, lim bigint) returning the rows
-- handled; NULL as the limit means every due row.  The two-argument
-- versions are dropped, and the rules' trigger refuses a purge function
-- of another signature.
--
-- Each batch finds its rows through an index range scan of the due rows
-- only, oldest first: incidents.reports_finished (finished_at, partial on
-- anonymised_at IS NULL) for the reports, open311.requests_created
-- (created_at, the same) for the partners' requests, privacy.access_log_at
-- for the access log: rows already anonymised are not in the partial
-- indexes, so a batch never scans past the work of the batches before it.
-- The rules without a purge function delete through their starts_sql, an
-- expression over the row that no index serves: a batch reads the table
-- until it has found its rows, then deletes them by ctid.

-- The rules' check: a purge function takes (timestamptz, timestamptz,
-- bigint) and returns bigint.
CREATE OR REPLACE FUNCTION privacy.retention_rules_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	bad	text;
BEGIN
	SELECT string_agg(c, ', ') INTO bad FROM unnest(NEW.categories) c
	    WHERE c IS NULL OR NOT EXISTS (SELECT 1 FROM privacy.categories k
	    WHERE k.code = c);
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'retention rule %: unknown categories: %',
		    NEW.code, bad USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF NEW.purge_function IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM pg_proc p WHERE p.oid = to_regprocedure(NEW.purge_function)
	    AND oidvectortypes(p.proargtypes) = 'timestamp with time zone, '
	    'timestamp with time zone, bigint'
	    AND p.prorettype = 'bigint'::regtype) THEN
		RAISE EXCEPTION 'retention rule %: purge function % must be '
		    'fn(before timestamptz, now timestamptz, lim bigint) '
		    'returning bigint', NEW.code, NEW.purge_function
		    USING ERRCODE = 'check_violation';
	END IF;
	-- The expression must be a time over the row: planned, never run.
	EXECUTE format('SELECT (%s)::timestamptz FROM %s t WHERE false',
	    NEW.starts_sql, NEW.table_name::regclass);
	RETURN NEW;
END $$;
COMMENT ON COLUMN privacy.retention_rules.purge_function IS 'nopii: for a table that a DELETE does not fit (append-only, or anonymised in place), its own purge fn(before timestamptz, now timestamptz, lim bigint) handling at most lim due rows (NULL: all) and returning how many, called instead of a DELETE';

-- Incidents: at most p_limit finished reports, the oldest first (through
-- reports_finished), cut from their people as before; their supporters
-- first.  The reports are locked as they are chosen, so that a report
-- reopened meanwhile keeps its supporters.
CREATE FUNCTION incidents.retention_anonymise(p_before timestamptz,
    p_now timestamptz, p_limit bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	ids	uuid[];
	n	bigint;
BEGIN
	SELECT array_agg(d.id) INTO ids FROM (SELECT r.id
	    FROM incidents.reports r WHERE r.finished_at < p_before
	    AND r.anonymised_at IS NULL ORDER BY r.finished_at
	    LIMIT p_limit FOR UPDATE) d;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	DELETE FROM incidents.supporters WHERE report_id = ANY (ids);
	UPDATE incidents.reports SET reporter_id = NULL, contact_email = NULL,
	    contact_token = NULL, contact_verified_at = NULL,
	    contact_locale = NULL, supporters = 0, description = CASE WHEN
	    personal_data_flagged THEN '[effacé]' ELSE description END,
	    anonymised_at = p_now
	    WHERE id = ANY (ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION incidents.retention_anonymise(timestamptz, timestamptz, bigint) IS 'the purge function of the rule incident_reports: at most lim finished reports cut from their people';

-- Open311: at most p_limit requests, the oldest first (requests_created).
CREATE FUNCTION open311.retention_anonymise(p_before timestamptz,
    p_now timestamptz, p_limit bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n	bigint;
BEGIN
	UPDATE open311.requests SET person_id = NULL, email = NULL,
	    email_key = NULL,
	    first_name = NULL, last_name = NULL, phone = NULL,
	    device_id = NULL, account_id = NULL, anonymised_at = p_now
	    WHERE report_id = ANY (ARRAY(SELECT q.report_id
	    FROM open311.requests q WHERE q.created_at < p_before
	    AND q.anonymised_at IS NULL ORDER BY q.created_at
	    LIMIT p_limit))
	    AND anonymised_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION open311.retention_anonymise(timestamptz, timestamptz, bigint) IS 'the purge function of the rule partner_contacts: at most lim requests'' contacts removed';

-- The access log (006): at most 'lim' rows, the oldest first (access_log_at);
-- otherwise as before.  The limit defaults to NULL (every due row) for
-- the callers of the two-argument form.
DROP FUNCTION privacy.access_log_purge(timestamptz, timestamptz);
CREATE FUNCTION privacy.access_log_purge(before timestamptz, now timestamptz,
    lim bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n	bigint;
BEGIN
	PERFORM set_config('guichet.access_log_delete', 'on', true);
	DELETE FROM privacy.access_log WHERE id = ANY (ARRAY(SELECT a.id
	    FROM privacy.access_log a WHERE a.at < before
	    AND (a.disclose_after IS NULL OR a.disclose_after <= now)
	    ORDER BY a.at LIMIT lim));
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('guichet.access_log_delete', 'off', true);
	RETURN n;
END $$;
COMMENT ON FUNCTION privacy.access_log_purge(timestamptz, timestamptz, bigint) IS 'the one retention path through the append-only access log: at most lim rows (NULL: all)';

UPDATE privacy.retention_rules SET purge_function = CASE purge_function
	WHEN 'incidents.retention_anonymise(timestamptz,timestamptz)' THEN
	    'incidents.retention_anonymise(timestamptz,timestamptz,bigint)'
	WHEN 'open311.retention_anonymise(timestamptz,timestamptz)' THEN
	    'open311.retention_anonymise(timestamptz,timestamptz,bigint)'
	WHEN 'privacy.access_log_purge(timestamptz,timestamptz)' THEN
	    'privacy.access_log_purge(timestamptz,timestamptz,bigint)'
	ELSE purge_function END
WHERE purge_function IS NOT NULL;
DROP FUNCTION incidents.retention_anonymise(timestamptz, timestamptz);
DROP FUNCTION open311.retention_anonymise(timestamptz, timestamptz);

-- No rule may be left naming a purge function of the old form (the
-- trigger checks the rules written from now on).
DO $$
DECLARE
	bad	text;
BEGIN
	SELECT string_agg(r.code || ': ' || r.purge_function, ', ') INTO bad
	    FROM privacy.retention_rules r WHERE r.purge_function IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM pg_proc p
	    WHERE p.oid = to_regprocedure(r.purge_function)
	    AND oidvectortypes(p.proargtypes) = 'timestamp with time zone, '
	    'timestamp with time zone, bigint');
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'retention rules whose purge function does not '
		    'take (timestamptz, timestamptz, bigint): %', bad;
	END IF;
END $$;

-- At most p_limit rows of a 'delete' rule: the rule's purge function with
-- the limit, or a DELETE of the due rows that a bounded sub-select finds
-- (by ctid: the rules' tables have keys of every shape).  A row changed
-- by another transaction between the two has a new ctid and is left for
-- the next batch.  'guichet.retention' names the rule for the length of
-- the transaction, so that an append-only table may let this purge (and
-- nothing else) through for its own rule.  p_limit NULL: every due row.
DROP FUNCTION privacy.retention_delete(text, timestamptz);
CREATE FUNCTION privacy.retention_delete(p_rule text, p_now timestamptz,
    p_limit bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	r	privacy.retention_rules;
	n	bigint;
BEGIN
	SELECT * INTO STRICT r FROM privacy.retention_rules WHERE code = p_rule;
	IF r.action <> 'delete' THEN
		RAISE EXCEPTION 'retention rule %: not a delete rule', p_rule
		    USING ERRCODE = 'check_violation';
	END IF;
	IF p_limit < 1 THEN
		RAISE EXCEPTION 'retention rule %: a batch of % rows', p_rule,
		    p_limit USING ERRCODE = 'check_violation';
	END IF;
	IF r.purge_function IS NOT NULL THEN
		EXECUTE format('SELECT %s($1, $2, $3)',
		    to_regprocedure(r.purge_function)::regproc)
		    INTO n USING p_now - r.retention, p_now, p_limit;
		RETURN n;
	END IF;
	PERFORM set_config('guichet.retention', p_rule, true);
	EXECUTE format('DELETE FROM %1$s d WHERE d.ctid = ANY (ARRAY(SELECT '
	    't.ctid FROM %1$s t WHERE (%2$s) + $1 < $2 LIMIT $3))',
	    r.table_name::regclass, r.starts_sql)
	    USING r.retention, p_now, p_limit;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('guichet.retention', '', true);
	RETURN n;
END $$;
COMMENT ON FUNCTION privacy.retention_delete(text, timestamptz, bigint) IS 'one batch of a delete rule of the purge: at most p_limit due rows (NULL: all), in the caller''s transaction; the rows handled';
