-- 039: an anonymous report's follow-up address that is an account's
-- address when the report is filed is tied to that account, as Open311's
-- partner contacts are (open311.requests.person_id): the person's export
-- lists the report, their erasure removes the address (the identity
-- module has erased the account's own address before the other modules'
-- erasure runs, so the address itself can no longer be compared then).
-- The link goes whenever the address goes (erasure, retention): a
-- trigger on the column, so that every statement that clears the
-- address clears it too.
ALTER TABLE incidents.reports ADD COLUMN contact_person_id uuid;
COMMENT ON COLUMN incidents.reports.contact_person_id IS 'pii:incident_report: the account whose address contact_email was when the report was filed (export, erasure)';
CREATE INDEX reports_contact_person ON incidents.reports (contact_person_id)
    WHERE contact_person_id IS NOT NULL;

CREATE FUNCTION incidents.contact_person_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.contact_person_id := NULL;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION incidents.contact_person_clear() IS 'the follow-up address cleared: its account link with it';
CREATE TRIGGER reports_contact_person_clear
    BEFORE UPDATE OF contact_email ON incidents.reports FOR EACH ROW
    WHEN (NEW.contact_email IS NULL AND NEW.contact_person_id IS NOT NULL)
    EXECUTE FUNCTION incidents.contact_person_clear();
