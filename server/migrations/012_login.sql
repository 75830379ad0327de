-- 012_login: what signing in and retention need beyond 010_users.
--
-- A password accepted for an account that needs a second factor does not
-- yet make a session: it makes a pending login, named by a random token in
-- the short-lived `vern_login` cookie (only its BLAKE2b hash is kept). The
-- TOTP code then turns it into a session. An account that must enrol TOTP
-- gets its new secret in the pending row; the secret is copied to the
-- account only when the first code made from it is right.
CREATE TABLE pending_logins (
	id           INTEGER PRIMARY KEY,
	token_hash   BLOB NOT NULL UNIQUE,
	user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf         TEXT NOT NULL,
	enrol_secret BLOB,                    -- NULL: the account has a secret already
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_path    TEXT NOT NULL DEFAULT '',
	created_ms   INTEGER NOT NULL,
	expires_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_logins_expires ON pending_logins(expires_ms);
CREATE INDEX pending_logins_user ON pending_logins(user_id);

-- Demo accounts (made by `vern demo`) have known passwords; they can sign
-- in only while the server runs with demo_mode = true.
ALTER TABLE users ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_ms INTEGER NOT NULL DEFAULT 0;

-- Each run of the retention job (daily, or `vern retention run`), so the
-- ombud can see that storage limitation is carried out.
CREATE TABLE retention_runs (
	id                      INTEGER PRIMARY KEY,
	run_ms                  INTEGER NOT NULL,   -- when it ran (wall clock)
	as_of                   TEXT NOT NULL,      -- the day the periods were counted from
	statements_cutoff_ms    INTEGER NOT NULL,
	statements_pseudonymised INTEGER NOT NULL DEFAULT 0,
	statements_deleted      INTEGER NOT NULL DEFAULT 0,
	documents_deleted       INTEGER NOT NULL DEFAULT 0,
	attempts_deleted        INTEGER NOT NULL DEFAULT 0,
	employees_processed     INTEGER NOT NULL DEFAULT 0,
	sessions_deleted        INTEGER NOT NULL DEFAULT 0,
	finished                INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Employees whose own retention period (after they left) has been applied:
-- their raw data is gone or pseudonymised, the proof of completion kept.
CREATE TABLE retention_employees (
	employee_id INTEGER PRIMARY KEY REFERENCES employees(id) ON DELETE CASCADE,
	done_ms     INTEGER NOT NULL
) STRICT;
