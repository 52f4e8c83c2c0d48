-- Demo: the open311 module's part of the demo town's register.  The
-- reporter's contact a partner application sends with an Open311 request
-- (category partner_contact) is processed under the purpose "service"
-- (handling your requests and reports), like the reports themselves; a
-- new version.  Once only.
UPDATE privacy.purposes SET categories = categories ||
    ARRAY['partner_contact'], version = version + 1
WHERE code = 'service' AND NOT ('partner_contact' = ANY (categories));
