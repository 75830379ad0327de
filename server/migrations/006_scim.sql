-- 006_scim: SCIM 2.0 provisioning (server/scim*.c): the bearer tokens
-- identity systems use, and the SCIM view of employees and groups.
--
-- A SCIM User is an employee with a scim_users row. employees.external_id
-- stays the stable key (the xAPI agent's account name): it is set once when
-- the user is provisioned (from externalId, or the SCIM id when none is
-- sent) and never changed by SCIM afterwards, so a new UPN or email never
-- splits anyone's learning history. DELETE removes the SCIM row and
-- deactivates the employee; the employee and their history stay.

-- Bearer tokens from `vern scim-token add`: only a BLAKE2b hash is kept.
CREATE TABLE scim_tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	token_hash   BLOB NOT NULL UNIQUE,
	created_ms   INTEGER NOT NULL,
	last_used_ms INTEGER
) STRICT;

CREATE TABLE scim_users (
	employee_id INTEGER PRIMARY KEY REFERENCES employees(id) ON DELETE CASCADE,
	scim_id     TEXT NOT NULL UNIQUE,              -- the SCIM "id" Vern assigned
	user_name   TEXT NOT NULL UNIQUE COLLATE NOCASE,
	external_id TEXT,                              -- SCIM externalId as last sent
	resource    TEXT NOT NULL,                     -- the provisioned attributes (JSON)
	created_ms  INTEGER NOT NULL,
	updated_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX scim_users_external ON scim_users(external_id);

-- Groups. A group whose name names a Vern role (role_id set) gives its
-- members that role; other groups are kept for the identity system only.
CREATE TABLE scim_groups (
	id           INTEGER PRIMARY KEY,
	scim_id      TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	external_id  TEXT,
	role_id      INTEGER REFERENCES roles(id),
	created_ms   INTEGER NOT NULL,
	updated_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX scim_groups_name ON scim_groups(display_name COLLATE NOCASE);
CREATE INDEX scim_groups_external ON scim_groups(external_id);
CREATE INDEX scim_groups_role ON scim_groups(role_id);

CREATE TABLE scim_group_members (
	group_id    INTEGER NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
	employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, employee_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX scim_group_members_employee ON scim_group_members(employee_id, group_id);
