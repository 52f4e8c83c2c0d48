-- 008_instance_secret: a random secret of this installation, the key of
-- the hashes that must not be linkable to a person (sign-in throttle keys
-- derived from an email).  Two gen_random_uuid() carry 244 random bits.

CREATE TABLE ops.instance_secret (
	id	boolean PRIMARY KEY DEFAULT true CHECK (id),
	secret	text NOT NULL CHECK (secret ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE ops.instance_secret IS 'one random secret per installation (HMAC key); never exported';
COMMENT ON COLUMN ops.instance_secret.id IS 'always true: one row';
COMMENT ON COLUMN ops.instance_secret.secret IS 'nopii: 256 bits, hex';

INSERT INTO ops.instance_secret (secret)
VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
