-- 040: the one way through the append-only history of a case (021's
-- cases.history_redact(), an erasure's) lets through only what it does:
-- a public note blanked to '[effacé]', every other column as it was.
-- 021's trigger let a session that set cases.history_redact also change
-- who made a move and from which state, or write any note.  A change to
-- a redacted note is refused as every other change is.
CREATE OR REPLACE FUNCTION cases.history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND current_setting('cases.history_redact', true)
	    = 'on' AND NEW.note = '[effacé]' AND
	    (NEW.id, NEW.case_id, NEW.at, NEW.actor, NEW.actor_id,
	    NEW.from_status, NEW.to_status) IS NOT DISTINCT FROM
	    (OLD.id, OLD.case_id, OLD.at, OLD.actor, OLD.actor_id,
	    OLD.from_status, OLD.to_status) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'cases.history is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;
COMMENT ON FUNCTION cases.history_append_only() IS 'refuses every change of cases.history but cases.history_redact()''s: a note blanked, nothing else';
