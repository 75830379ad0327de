-- 003_people: the organisation (units, employees, roles), the course
-- catalogue, assignments of mandatory training and completions.
--
-- Employees are identified by a stable external id (from HR / the identity
-- system). Their xAPI agent is an account on Vern's homePage named by that
-- id, so an email change never splits their learning history.

-- Org units: a tree of any depth. path is the chain of ids from the root,
-- "/1/4/17/", so a subtree is one index range (path >= P AND path < P||'~')
-- ('~' sorts after every digit and '/').
CREATE TABLE org_units (
	id          INTEGER PRIMARY KEY,
	external_id TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	parent_id   INTEGER REFERENCES org_units(id),
	is_agency   INTEGER NOT NULL DEFAULT 0,   -- reported as a virksomhet
	path        TEXT NOT NULL
) STRICT;
CREATE INDEX org_units_path ON org_units(path);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE roles (
	id   INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,    -- "ansatt", "leder", "personvernkoordinator", ...
	name TEXT NOT NULL            -- Norwegian display name
) STRICT;

INSERT INTO roles(code, name) VALUES
	('ansatt', 'Ansatt'),
	('leder', 'Leder'),
	('virksomhetsleder', 'Virksomhetsleder'),
	('personvernkoordinator', 'Personvernkoordinator (PKO)'),
	('informasjonssikkerhetskoordinator', 'Informasjonssikkerhetskoordinator (ISK)'),
	('systemeier', 'Systemeier'),
	('kommunaldirektor', 'Kommunaldirektør'),
	('personvernombud', 'Personvernombud'),
	('hr', 'HR');

CREATE TABLE employees (
	id          INTEGER PRIMARY KEY,
	external_id TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	email       TEXT,
	unit_id     INTEGER REFERENCES org_units(id),
	manager_id  INTEGER REFERENCES employees(id),
	active      INTEGER NOT NULL DEFAULT 1,
	start_date  TEXT,                     -- YYYY-MM-DD
	updated_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX employees_unit ON employees(unit_id, active);
CREATE INDEX employees_manager ON employees(manager_id);
CREATE INDEX employees_email ON employees(email);

CREATE TABLE employee_roles (
	employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	role_id     INTEGER NOT NULL REFERENCES roles(id),
	PRIMARY KEY (employee_id, role_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX employee_roles_role ON employee_roles(role_id, employee_id);

-- The course catalogue: every course Vern can assign, native or imported.
-- activity_id is the xAPI activity whose completed/passed statements count.
CREATE TABLE courses (
	id              TEXT PRIMARY KEY,         -- "personvern-grunnkurs"
	activity_id     TEXT NOT NULL UNIQUE,
	title           TEXT NOT NULL,
	kind            TEXT NOT NULL DEFAULT 'native',  -- native, scorm12, scorm2004, cmi5
	minutes         INTEGER,
	valid_months    INTEGER,                  -- a completion expires after this; NULL: never
	created_ms      INTEGER NOT NULL
) STRICT;

-- Mandatory training: one open assignment per employee and course.
CREATE TABLE assignments (
	id          INTEGER PRIMARY KEY,
	employee_id INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	course_id   TEXT NOT NULL REFERENCES courses(id),
	due_date    TEXT,                         -- YYYY-MM-DD
	reason      TEXT NOT NULL DEFAULT '',
	plugin      TEXT NOT NULL DEFAULT '',     -- which plugin made it ('' = by hand)
	created_ms  INTEGER NOT NULL,
	UNIQUE (employee_id, course_id)
) STRICT;
CREATE INDEX assignments_course ON assignments(course_id, due_date);

-- Completions, derived from LRS statements (completed or passed for the
-- course's activity by the employee's agent) in the statement's own write
-- transaction. The newest counts; expires_ms from courses.valid_months.
CREATE TABLE completions (
	employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	course_id    TEXT NOT NULL REFERENCES courses(id),
	completed_ms INTEGER NOT NULL,
	expires_ms   INTEGER,
	success      INTEGER,                     -- 1 passed, 0 failed, NULL unknown
	score        REAL,                        -- scaled, when given
	statement_id TEXT NOT NULL,
	PRIMARY KEY (employee_id, course_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX completions_course ON completions(course_id, completed_ms);
