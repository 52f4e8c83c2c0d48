-- 019_files: the store of files that other modules own (issue 10,
-- "Messages and attachments"): attachments of cases and messages, photos of
-- incident reports.  The files module (src/files/) alone writes this schema;
-- the owners keep the file's id and call files.h.
--
-- One row per file, its bytes in 'content' (bytea).  The column is
-- STORAGE EXTERNAL: out of line in TOAST, never compressed (PDF, JPEG and
-- PNG are compressed already: pglz would spend CPU for nothing), so that
-- substring() reads only the TOAST chunks of the slice it asks for: a
-- download or a scan reads a 10 MB file in pieces, and guichetd never
-- holds more than a piece (files_db.c; db.h says why libpq's buffers
-- matter).  Files are written with COPY, in pieces, for the same reason.
--
-- A file is 'pending' until clamd has scanned it, then 'clean' (served)
-- or 'rejected' (its content deleted at once, its signature kept; never
-- served).  The erasure of the person who uploaded it makes it 'erased':
-- content, name, digest and uploader gone, the row kept so that the record
-- it is attached to can say so.  The owner deletes the row (its own
-- erasure and retention: files_delete(), files_delete_owned()).
CREATE SCHEMA files;
COMMENT ON SCHEMA files IS 'the files module: uploaded files, owned by the records of other modules';

CREATE TABLE files.files (
	id		uuid PRIMARY KEY,
	owner_module	text NOT NULL CHECK (owner_module ~ '^[a-z][a-z0-9_]{0,39}$'),
	owner_id	text NOT NULL CHECK (owner_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
	uploader	uuid,
	name		text CHECK (length(name) BETWEEN 1 AND 255),
	media_type	text NOT NULL CHECK (media_type ~ '^[a-z]+/[a-z0-9.+-]{1,100}$'),
	size		bigint NOT NULL CHECK (size > 0),
	sha256		text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	status		text NOT NULL DEFAULT 'pending' CHECK (status IN
			    ('pending', 'clean', 'rejected', 'erased')),
	signature	text CHECK (length(signature) BETWEEN 1 AND 200),
	created_at	timestamptz NOT NULL,
	scanned_at	timestamptz,
	erased_at	timestamptz,
	content		bytea,
	CHECK ((status IN ('pending', 'clean')) = (content IS NOT NULL)),
	CHECK ((status = 'rejected') = (signature IS NOT NULL)),
	CHECK ((status IN ('pending', 'clean')) = (sha256 IS NOT NULL)),
	CHECK (status = 'pending' OR status = 'erased' OR scanned_at IS NOT NULL),
	CHECK ((status = 'erased') = (erased_at IS NOT NULL)),
	CHECK (status <> 'erased' OR (name IS NULL AND uploader IS NULL)),
	CHECK (content IS NULL OR length(content) = size)
);
ALTER TABLE files.files ALTER COLUMN content SET STORAGE EXTERNAL;
COMMENT ON TABLE files.files IS 'uploaded files: one row each, owned by a record of another module (a case, a message, an incident report)';
COMMENT ON COLUMN files.files.id IS 'the id the owner keeps';
COMMENT ON COLUMN files.files.owner_module IS 'nopii: the module whose record the file is attached to';
COMMENT ON COLUMN files.files.owner_id IS 'nopii: the id of that record';
COMMENT ON COLUMN files.files.uploader IS 'nopii: the account that sent the file (a reference: the person''s erasure erases the file)';
COMMENT ON COLUMN files.files.name IS 'pii:attachment: the file''s name as the person sent it';
COMMENT ON COLUMN files.files.media_type IS 'nopii: the type read from the content (libmagic), never the one declared';
COMMENT ON COLUMN files.files.size IS 'bytes';
COMMENT ON COLUMN files.files.sha256 IS 'pii:attachment: SHA-256 of the content (hex), the ETag of downloads';
COMMENT ON COLUMN files.files.status IS 'nopii: pending (not scanned yet), clean (served), rejected (infected: never served, content deleted), erased';
COMMENT ON COLUMN files.files.signature IS 'nopii: what the virus scanner found in a rejected file';
COMMENT ON COLUMN files.files.content IS 'pii:attachment: the bytes; NULL once rejected or erased';

CREATE INDEX files_owner ON files.files (owner_module, owner_id);
COMMENT ON INDEX files.files_owner IS 'an owner''s files: its lists, its erasure and retention';
CREATE INDEX files_uploader ON files.files (uploader) WHERE uploader IS NOT NULL;
COMMENT ON INDEX files.files_uploader IS 'a person''s files: export and erasure';
CREATE INDEX files_pending ON files.files (created_at, id) WHERE status = 'pending';
COMMENT ON INDEX files.files_pending IS 'the scanner''s queue, oldest first';

GRANT USAGE ON SCHEMA files TO guichet_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON files.files TO guichet_app;

-- Personal data: what a person sends, kept as long as the record it is
-- attached to (the owner's retention deletes it with the record), erased
-- with the person.
INSERT INTO privacy.retention_events (code, description_fr, description_en,
    description_it) VALUES
	('record_deleted',
	    'la suppression de l''enregistrement auquel la donnée est jointe (démarche, signalement)',
	    'the deletion of the record the datum is attached to (request, report)',
	    'la cancellazione del record a cui il dato è allegato (pratica, segnalazione)');

INSERT INTO privacy.categories (code, erasure, retention, retention_from,
    description_fr, description_en, description_it) VALUES
	('attachment', 'delete', '0 days', 'record_deleted',
	    'Pièces jointes envoyées (documents, photos), leur nom et leur empreinte',
	    'Attachments sent (documents, photos), their names and digests',
	    'Allegati inviati (documenti, foto), i loro nomi e impronte');

-- A rejected file has no content left, but its name and uploader stay so
-- that the person and the agents see which file was refused: 30 days.
INSERT INTO privacy.retention_rules (code, table_name, starts_sql, retention,
    retention_from, action, categories, legal_reference_fr, position) VALUES
	('files_rejected', 'files.files',
	    'CASE WHEN t.status = ''rejected'' THEN t.created_at END',
	    '30 days', 'collected', 'delete', '{attachment}',
	    'Sécurité (art. 32 RGPD) : un fichier refusé par l''antivirus est '
	    'supprimé à son analyse ; son nom reste 30 jours pour que la '
	    'personne et les agents sachent lequel a été refusé (art. 5.1.e).',
	    30);
