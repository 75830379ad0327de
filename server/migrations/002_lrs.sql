-- 002_lrs: the xAPI Learning Record Store (lrs/).
--
-- Statements are kept whole (the JSON as stored, with id, stored, authority
-- and version filled in) plus the columns and index rows queries need, so
-- no query ever scans JSON.

-- LRS clients (HTTP Basic). secret_hash is BLAKE2b-256 of the secret keyed
-- with salt; secrets are random 32-byte values unless given by the admin.
CREATE TABLE lrs_clients (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	key         TEXT NOT NULL UNIQUE,
	salt        BLOB NOT NULL,
	secret_hash BLOB NOT NULL,
	scopes      TEXT NOT NULL,          -- space-separated xAPI scopes
	authority   TEXT NOT NULL,          -- JSON Agent put in statement.authority
	created     TEXT NOT NULL
) STRICT;

-- seq orders statements by storage; stored_ms is assigned by the writer in
-- seq order, so both grow together.
CREATE TABLE statements (
	seq          INTEGER PRIMARY KEY,
	id           TEXT NOT NULL UNIQUE,  -- lowercase UUID
	stored_ms    INTEGER NOT NULL,
	verb         TEXT NOT NULL,
	object_ref   TEXT,                  -- id of the target when object is a StatementRef
	voiding      INTEGER NOT NULL DEFAULT 0,  -- verb is .../voided with a StatementRef
	voided       INTEGER NOT NULL DEFAULT 0,  -- a voiding statement targets this one
	client_id    INTEGER,               -- who stored it (statements/read/mine)
	has_attachments INTEGER NOT NULL DEFAULT 0,
	full         TEXT NOT NULL          -- the statement as stored (JSON)
) STRICT;
CREATE INDEX statements_stored ON statements(stored_ms);
CREATE INDEX statements_object_ref ON statements(object_ref) WHERE object_ref IS NOT NULL;
CREATE INDEX statements_client ON statements(client_id, seq);

-- What statement filters match, one row per (statement, kind, value):
--   kind 1 verb id, 2 activity id, 3 agent key (lrs_agent_key), 4 registration.
-- direct = 1: the statement's own actor/object/verb/registration/object
-- activity; 0: only through related_activities / related_agents (context
-- activities, authority, instructor, team, sub-statement parts). A
-- statement whose object is a StatementRef also gets its target's rows
-- (xAPI: filters match a referring statement when its target matches).
CREATE TABLE statement_index (
	kind   INTEGER NOT NULL,
	value  TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	direct INTEGER NOT NULL,
	PRIMARY KEY (kind, value, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX statement_index_seq ON statement_index(seq);

-- Attachment content, stored once per hash.
CREATE TABLE attachments (
	sha2         TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	content      BLOB NOT NULL
) STRICT;
CREATE TABLE statement_attachments (
	seq  INTEGER NOT NULL,
	sha2 TEXT NOT NULL,
	PRIMARY KEY (seq, sha2)
) STRICT, WITHOUT ROWID;

-- The canonical definition of each activity seen in statements (merged).
CREATE TABLE activities (
	id         TEXT PRIMARY KEY,
	definition TEXT                    -- JSON object or NULL
) STRICT;

-- Documents of the state, activity profile and agent profile resources.
-- kind 1 state (activity, agent, registration, doc_id), 2 activity profile
-- (activity, doc_id), 3 agent profile (agent, doc_id). Absent parts are ''.
CREATE TABLE documents (
	kind         INTEGER NOT NULL,
	activity     TEXT NOT NULL,
	agent        TEXT NOT NULL,         -- lrs_agent_key
	registration TEXT NOT NULL,
	doc_id       TEXT NOT NULL,
	content_type TEXT NOT NULL,
	content      BLOB NOT NULL,
	etag         TEXT NOT NULL,         -- "<sha1 hex>" quoted as sent
	updated_ms   INTEGER NOT NULL,
	PRIMARY KEY (kind, activity, agent, registration, doc_id)
) STRICT, WITHOUT ROWID;
