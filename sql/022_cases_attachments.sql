-- 022_cases_attachments: the files attached to cases and to their
-- messages and internal notes (issue 10).  The bytes, their type (read
-- from the content), their digest and their scan are the files module's
-- (files.files, 019, owner 'cases' and the case's id); this table says
-- which case a file belongs to, which side sent it, which of the
-- procedure's documents it is, and which message or note carries it.
--
-- No foreign key to cases.cases: when a case goes (erasure, retention,
-- an expired draft) its rows stay until the module's purge or erase hook
-- has deleted their files (files_delete()), so that no file outlives its
-- case unseen.  A message or note that goes leaves its files to the case.
CREATE TABLE cases.attachments (
	file_id		uuid PRIMARY KEY,
	case_id		uuid NOT NULL,
	side		text NOT NULL CHECK (side IN ('owner', 'department')),
	uploader_id	uuid NOT NULL,
	document	text CHECK (document ~ '^[a-z][a-z0-9_]{0,47}$'),
	created_at	timestamptz NOT NULL,
	message_id	bigint REFERENCES cases.messages (id) ON DELETE SET NULL,
	note_id		bigint REFERENCES cases.notes (id) ON DELETE SET NULL,
	-- A file goes with one message or one note, of its own side.
	CHECK (message_id IS NULL OR note_id IS NULL),
	CHECK (note_id IS NULL OR side = 'department')
);
CREATE INDEX attachments_case ON cases.attachments (case_id, created_at,
    file_id);
COMMENT ON INDEX cases.attachments_case IS 'a case''s attachments in order; the files of a case that went';
CREATE INDEX attachments_message ON cases.attachments (message_id)
    WHERE message_id IS NOT NULL;
COMMENT ON INDEX cases.attachments_message IS 'the files of a message';
CREATE INDEX attachments_note ON cases.attachments (note_id)
    WHERE note_id IS NOT NULL;
COMMENT ON INDEX cases.attachments_note IS 'the files of an internal note';
COMMENT ON TABLE cases.attachments IS 'files attached to cases (the files module keeps them): the procedure''s documents, the files of messages and internal notes';
COMMENT ON COLUMN cases.attachments.file_id IS 'nopii: the file (files.files, owner cases)';
COMMENT ON COLUMN cases.attachments.case_id IS 'nopii: the case';
COMMENT ON COLUMN cases.attachments.side IS 'nopii: owner (the person who filed the case) or department';
COMMENT ON COLUMN cases.attachments.uploader_id IS 'nopii: the account that sent it';
COMMENT ON COLUMN cases.attachments.document IS 'nopii: the code of the procedure''s document it is, if any';
COMMENT ON COLUMN cases.attachments.created_at IS 'nopii';
COMMENT ON COLUMN cases.attachments.message_id IS 'nopii: the message that carries it (the other side sees it then)';
COMMENT ON COLUMN cases.attachments.note_id IS 'nopii: the internal note that carries it (agents only)';
