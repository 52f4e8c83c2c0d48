-- 005_privacy_erasure: the record of every erasure (Art. 17 RGPD).
-- Column comments: 'pii:<category>' for personal data, 'nopii' otherwise.
--
-- Accountability (Art. 5(2)) without re-leaking what was erased
-- (reference A10): one row per erased person, with the internal id of the
-- account (whose personal fields are anonymised in the same transaction),
-- who asked, when, and what was erased or retained as categories and
-- counts; never an erased value, never a hash of one.  The driver
-- (src/privacy/erase.c) writes the row first, inside the erasure
-- transaction, so that the modules' hooks can read the person's tombstone.

CREATE TABLE privacy.erasures (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid NOT NULL UNIQUE REFERENCES identity.accounts (id),
	tombstone	uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	actor		text NOT NULL CHECK (actor IN ('self', 'dpo')),
	agent_id	uuid REFERENCES identity.accounts (id),
	reason		text CHECK (length(reason) BETWEEN 1 AND 500),
	erased		jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(erased) = 'array'),
	retained	jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(retained) = 'array'),
	at		timestamptz NOT NULL,
	-- A DPO's erasure names the DPO and, until the purge, the reason.
	CHECK ((actor = 'dpo') = (agent_id IS NOT NULL)),
	CHECK (actor = 'dpo' OR reason IS NULL)
);
COMMENT ON TABLE privacy.erasures IS 'one row per erased person: who asked, when, which categories were erased or retained; never the erased values';
COMMENT ON COLUMN privacy.erasures.account_id IS 'nopii: the internal id of the erased account, whose personal fields are anonymised; unique: a person is erased once';
COMMENT ON COLUMN privacy.erasures.tombstone IS 'nopii: random per person; records kept under a legal obligation name it instead of the person';
COMMENT ON COLUMN privacy.erasures.actor IS 'nopii: self (DELETE /api/v1/me) or dpo (on behalf of the person)';
COMMENT ON COLUMN privacy.erasures.agent_id IS 'nopii: the DPO who erased, an agent acting for the town';
COMMENT ON COLUMN privacy.erasures.reason IS 'pii:free_text: the DPO''s reason, which may name the request; purged with free texts';
COMMENT ON COLUMN privacy.erasures.erased IS 'nopii: [{module, category, records}]: categories and counts, never values';
COMMENT ON COLUMN privacy.erasures.retained IS 'nopii: [{module, category, records, legal_basis, until}]: categories and counts, never values';
COMMENT ON COLUMN privacy.erasures.at IS 'nopii: from the injectable clock';
