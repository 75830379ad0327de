-- 008_sessions: who is signed in. A session is a random token held in the
-- `vern_session` cookie; only its BLAKE2b hash is stored, so a copy of the
-- database cannot be used to sign in. A session belongs to a local account
-- (users, from the admin issue) and/or an employee. Scope 'learn' sessions
-- come from email links and may only play courses (course_id, when not '',
-- is the one course they may play); 'full' sessions come from signing in.
CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	token_hash   BLOB NOT NULL UNIQUE,
	user_id      INTEGER,
	employee_id  INTEGER REFERENCES employees(id) ON DELETE CASCADE,
	scope        TEXT NOT NULL CHECK (scope IN ('full', 'learn')),
	course_id    TEXT NOT NULL DEFAULT '',
	csrf         TEXT NOT NULL,
	created_ms   INTEGER NOT NULL,
	expires_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_employee ON sessions(employee_id);
CREATE INDEX sessions_expires ON sessions(expires_ms);
