-- 001_base: the schemas of guichet and the town this instance serves.
-- Each migration runs in one transaction applied by guichetd --migrate;
-- never edit an applied migration: write the next number instead.

CREATE SCHEMA IF NOT EXISTS identity;
CREATE SCHEMA IF NOT EXISTS privacy;
CREATE SCHEMA IF NOT EXISTS cases;
CREATE SCHEMA IF NOT EXISTS incidents;
CREATE SCHEMA IF NOT EXISTS mobility;
CREATE SCHEMA IF NOT EXISTS audit;
-- ops exists already: the migrator keeps ops.schema_migrations there.

COMMENT ON SCHEMA identity IS 'accounts, agents, departments, partner clients, tokens';
COMMENT ON SCHEMA privacy IS 'purposes, consent ledger, rights requests, access log';
COMMENT ON SCHEMA cases IS 'démarches: catalogue, cases, messages, attachments';
COMMENT ON SCHEMA incidents IS 'signalements and the Open311 server';
COMMENT ON SCHEMA mobility IS 'lifts, lift passes, shuttles (GTFS)';
COMMENT ON SCHEMA audit IS 'append-only records of who did what';
COMMENT ON SCHEMA ops IS 'schema migrations and operational state';

-- The commune this instance serves: one row.  A ski resort and a seaside
-- resort differ by data here, not by code.
CREATE TABLE ops.town (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	insee_code	text NOT NULL CHECK (insee_code ~ '^[0-9][0-9AB][0-9]{3}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
	postcode	text NOT NULL CHECK (postcode ~ '^[0-9]{5}$'),
	timezone	text NOT NULL DEFAULT 'Europe/Paris',
	languages	text[] NOT NULL DEFAULT ARRAY['fr']
			CHECK (languages <@ ARRAY['fr', 'en', 'it']
			    AND array_length(languages, 1) >= 1),
	reference_prefix text NOT NULL CHECK (reference_prefix ~ '^[A-Z]{2,5}$'),
	latitude	double precision CHECK (latitude BETWEEN -90 AND 90),
	longitude	double precision CHECK (longitude BETWEEN -180 AND 180)
);
COMMENT ON TABLE ops.town IS 'the commune served by this instance (a single row)';
COMMENT ON COLUMN ops.town.id IS 'always true: makes the table hold at most one row';
COMMENT ON COLUMN ops.town.insee_code IS 'nopii';
COMMENT ON COLUMN ops.town.name IS 'nopii';
COMMENT ON COLUMN ops.town.postcode IS 'nopii';
COMMENT ON COLUMN ops.town.timezone IS 'nopii';
COMMENT ON COLUMN ops.town.languages IS 'nopii';
COMMENT ON COLUMN ops.town.reference_prefix IS 'nopii: prefix of the readable references (MGV-2026-000123)';
