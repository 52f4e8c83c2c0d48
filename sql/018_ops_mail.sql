-- 018: the mailer (issue 10, "Mail").  The outbox becomes the record of
-- every notification: queued until a sender (src/ops/mailer.c, a thread of
-- guichetd) hands it to the SMTP relay, then sent; suppressed when the
-- person may not be written to (an address not verified, a restriction of
-- processing: the reason says which); failed once its attempts are spent.
-- A message is marked sent only after the relay accepted it.
--
-- Several guichetd may send: a sender claims a batch of due rows with
-- FOR UPDATE SKIP LOCKED and sets locked_until (a lease: a sender that
-- dies leaves its rows to the others once it expires), sends them one by
-- one and records each result.  A failure is retried after
-- next_attempt_at, with an exponential back-off (mail_retry_base doubling
-- up to mail_retry_max); last_error is the class of the failure, never
-- the relay's text (which may hold an address).

ALTER TABLE ops.outbox
	ADD COLUMN status text NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'sent', 'suppressed', 'failed')),
	ADD COLUMN suppressed_reason text
	    CHECK (suppressed_reason ~ '^[a-z][a-z_]{1,39}$'),
	ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	ADD COLUMN next_attempt_at timestamptz,
	ADD COLUMN locked_until timestamptz,
	ADD COLUMN claim uuid,
	ADD COLUMN last_error text CHECK (last_error ~ '^[a-z][a-z_]{1,39}$'),
	ADD COLUMN last_smtp_code integer CHECK (last_smtp_code BETWEEN 0 AND 999),
	ADD COLUMN updated_at timestamptz;

UPDATE ops.outbox SET status = CASE WHEN sent_at IS NOT NULL THEN 'sent'
	ELSE 'queued' END, next_attempt_at = created_at,
	updated_at = coalesce(sent_at, created_at);

ALTER TABLE ops.outbox
	ALTER COLUMN next_attempt_at SET NOT NULL,
	ALTER COLUMN updated_at SET NOT NULL,
	ADD CONSTRAINT outbox_sent_when CHECK ((status = 'sent') =
	    (sent_at IS NOT NULL)),
	ADD CONSTRAINT outbox_suppressed_why CHECK ((status = 'suppressed') =
	    (suppressed_reason IS NOT NULL));

-- A row written as before this migration (created_at, maybe sent_at:
-- fixtures, scripts) gets the new columns from those: due at its
-- creation, sent if it says when.
CREATE FUNCTION ops.outbox_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.next_attempt_at := coalesce(NEW.next_attempt_at, NEW.created_at);
	NEW.updated_at := coalesce(NEW.updated_at, NEW.sent_at, NEW.created_at);
	IF NEW.sent_at IS NOT NULL AND NEW.status = 'queued' THEN
		NEW.status := 'sent';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER outbox_defaults BEFORE INSERT ON ops.outbox
	FOR EACH ROW EXECUTE FUNCTION ops.outbox_defaults();

COMMENT ON TABLE ops.outbox IS 'every notification to a person: queued, then sent by the mailer once the relay accepted it, suppressed (with the reason) or failed';
COMMENT ON COLUMN ops.outbox.status IS 'nopii: queued, sent (the relay accepted it), suppressed (not to be sent: suppressed_reason), failed (attempts spent, or refused for good)';
COMMENT ON COLUMN ops.outbox.suppressed_reason IS 'nopii: unverified_address, restricted, address_changed, no_account';
COMMENT ON COLUMN ops.outbox.attempts IS 'attempts to hand the message to the relay';
COMMENT ON COLUMN ops.outbox.next_attempt_at IS 'not before this time (the back-off)';
COMMENT ON COLUMN ops.outbox.locked_until IS 'a sender''s claim: others leave the row until then';
COMMENT ON COLUMN ops.outbox.claim IS 'the claim that holds the row (one per batch of one sender)';
COMMENT ON COLUMN ops.outbox.last_error IS 'nopii: the class of the last failure (connect, timeout, tls, auth, rejected, refused, protocol, template), never the relay''s text';
COMMENT ON COLUMN ops.outbox.last_smtp_code IS 'the relay''s last reply code, 0 when none came';
COMMENT ON COLUMN ops.outbox.updated_at IS 'the last change of status or attempt';

DROP INDEX ops.outbox_unsent;
CREATE INDEX outbox_due ON ops.outbox (next_attempt_at) WHERE status = 'queued';
COMMENT ON INDEX ops.outbox_due IS 'the senders claim the queued messages that are due, oldest first';
DROP INDEX ops.outbox_account;
CREATE INDEX outbox_account ON ops.outbox (account_id, created_at, id);
COMMENT ON INDEX ops.outbox_account IS 'the messages of one person, newest first (GET /api/v1/me/notifications, export, erasure)';

-- How people reach the town, for the mail's footer ({{town.email}},
-- {{town.phone}}, {{town.website}}): the town's public contact, not
-- anyone's personal data.
ALTER TABLE ops.town
	ADD COLUMN email text CHECK (email ~ '^[^@ ]+@[^@ ]+$'),
	ADD COLUMN phone text CHECK (length(phone) BETWEEN 3 AND 40),
	ADD COLUMN website text CHECK (website ~ '^https?://[^ ]+$');
COMMENT ON COLUMN ops.town.email IS 'nopii: the town hall''s public contact address';
COMMENT ON COLUMN ops.town.phone IS 'nopii: the town hall''s public telephone number';
COMMENT ON COLUMN ops.town.website IS 'nopii: the town''s web site';
