-- 041: the redaction blanks a note that was written, never one that was
-- not: with cases.history_redact on, 040 let '[effacé]' be written over
-- a move that had no note (only the table's owner can try; the app role
-- has no UPDATE), which would make a move look redacted that never had
-- anything to redact.  cases.history_redact() itself only touches notes
-- that are there.
CREATE OR REPLACE FUNCTION cases.history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND current_setting('cases.history_redact', true)
	    = 'on' AND OLD.note IS NOT NULL AND NEW.note = '[effacé]' AND
	    (NEW.id, NEW.case_id, NEW.at, NEW.actor, NEW.actor_id,
	    NEW.from_status, NEW.to_status) IS NOT DISTINCT FROM
	    (OLD.id, OLD.case_id, OLD.at, OLD.actor, OLD.actor_id,
	    OLD.from_status, OLD.to_status) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'cases.history is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege';
END $$;
COMMENT ON FUNCTION cases.history_append_only() IS 'refuses every change of cases.history but cases.history_redact()''s: a written note blanked, nothing else';
