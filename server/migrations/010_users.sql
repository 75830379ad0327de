-- 010_users: local accounts, the roles that give access to the admin views,
-- and the audit log of who looked at whose data.
--
-- An account may be an employee's (employee_id set): then it sees Min side,
-- and the employee's own org roles make it a leader (leder,
-- virksomhetsleder, kommunaldirektor: their unit's subtree), HR (hr) or the
-- ombud (personvernombud). user_roles grants roles explicitly, e.g. admin,
-- or leader over another unit.
CREATE TABLE users (
	id              INTEGER PRIMARY KEY,
	username        TEXT NOT NULL UNIQUE COLLATE NOCASE,
	display_name    TEXT NOT NULL,
	employee_id     INTEGER UNIQUE REFERENCES employees(id),
	password_hash   TEXT,                 -- crypto_pwhash_str (argon2id); NULL: cannot sign in
	totp_secret     BLOB,                 -- NULL: not enrolled
	totp_last_step  INTEGER NOT NULL DEFAULT 0,   -- refuses a replayed code
	failed_logins   INTEGER NOT NULL DEFAULT 0,
	locked_until_ms INTEGER NOT NULL DEFAULT 0,
	active          INTEGER NOT NULL DEFAULT 1,
	created_ms      INTEGER NOT NULL
) STRICT;

CREATE TABLE user_roles (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role    TEXT NOT NULL CHECK (role IN ('leader', 'hr', 'ombud', 'admin')),
	unit_id INTEGER NOT NULL DEFAULT 0,   -- leader: the unit whose subtree; else 0
	PRIMARY KEY (user_id, role, unit_id)
) STRICT, WITHOUT ROWID;

-- Every view or export of an identifiable person's data. Append-only; the
-- ombud reads it. actor_name is kept so the record survives the account.
CREATE TABLE audit_log (
	id            INTEGER PRIMARY KEY,
	at_ms         INTEGER NOT NULL,
	actor_user_id INTEGER,
	actor_name    TEXT NOT NULL,
	subject_employee_id INTEGER,          -- whose data; NULL for a group view
	action        TEXT NOT NULL,          -- "view_employee", "export_csv", ...
	detail        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_subject ON audit_log(subject_employee_id, at_ms);
CREATE INDEX audit_log_at ON audit_log(at_ms);
