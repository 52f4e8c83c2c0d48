-- 017_privacy_received_bound: a rights request cannot have been received
-- before the RGPD applied (25 May 2018, Art. 99(2)): a date of receipt
-- before it is a typing error (issue 8: one "received" in 1900 was
-- accepted).  The server also refuses a date older than the retention of
-- rights requests or later than its clock (a few minutes aside); those
-- depend on the injectable clock, so they stay out of the table's rules.
-- NOT VALID: rows already there are left as they are; every new or
-- changed row is checked.
ALTER TABLE privacy.requests ADD CONSTRAINT requests_received_gdpr
    CHECK (received_at >= '2018-05-25T00:00:00Z') NOT VALID;
COMMENT ON CONSTRAINT requests_received_gdpr ON privacy.requests IS
    'a rights request under the RGPD is received once it applies (25 May 2018)';
