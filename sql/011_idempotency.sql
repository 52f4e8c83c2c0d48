-- 011: Idempotency-Key on POST (API.md, "Partner-friendly details").
--
-- A caller (a person or a partner client) that sends the same POST again
-- with the same Idempotency-Key gets the answer of the first one instead of
-- a second action: a partner app whose connection dropped after sending an
-- incident report retries without filing it twice.  One row per (caller,
-- key): claimed before the handler runs (status NULL: running), completed
-- with the answer after it.  Rows live one day (the retention rule below);
-- a person's rows go with their erasure (the ops privacy hook).
CREATE TABLE ops.idempotency_keys (
	scope		text NOT NULL CHECK (scope ~ '^(person|client):[A-Za-z0-9_-]{1,64}$'),
	key		text NOT NULL CHECK (key ~ '^[!-~]{1,255}$'),
	method		text NOT NULL CHECK (method ~ '^[A-Z]{1,10}$'),
	path		text NOT NULL CHECK (length(path) BETWEEN 1 AND 2048),
	request_hash	text NOT NULL CHECK (length(request_hash) <= 64),
	status		integer CHECK (status BETWEEN 100 AND 599),
	content_type	text CHECK (length(content_type) <= 200),
	location	text CHECK (length(location) <= 2048),
	body		text,
	created_at	timestamptz NOT NULL,
	completed_at	timestamptz,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON ops.idempotency_keys (created_at);
COMMENT ON TABLE ops.idempotency_keys IS 'answers to POST requests sent with an Idempotency-Key, replayed when the same request comes again (one day)';
COMMENT ON COLUMN ops.idempotency_keys.scope IS 'nopii: person:<account uuid> or client:<client id>, a reference to the caller; the rows go with the person''s erasure';
COMMENT ON COLUMN ops.idempotency_keys.key IS 'nopii: chosen by the caller''s software (usually a random UUID)';
COMMENT ON COLUMN ops.idempotency_keys.method IS 'nopii';
COMMENT ON COLUMN ops.idempotency_keys.path IS 'nopii: a route with its ids, never a query string';
COMMENT ON COLUMN ops.idempotency_keys.request_hash IS 'nopii: SHA-256 of method, path and body, to tell another request under the same key';
COMMENT ON COLUMN ops.idempotency_keys.content_type IS 'nopii';
COMMENT ON COLUMN ops.idempotency_keys.location IS 'nopii: the URL of what the request created';
COMMENT ON COLUMN ops.idempotency_keys.body IS 'pii:free_text: a copy of the answer, which may hold what the caller sent';

INSERT INTO privacy.retention_rules (code, table_name, starts_sql, retention,
    retention_from, action, categories, legal_reference_fr, position) VALUES
	('idempotency_keys', 'ops.idempotency_keys', 't.created_at', '1 day',
	    'collected', 'delete', '{free_text}',
	    'Rejeu des requêtes envoyées deux fois (clé d''idempotence) : la '
	    'réponse n''est utile que le temps qu''un client renvoie sa '
	    'requête ; elle est supprimée après un jour (art. 5.1.c et 5.1.e).',
	    25);
