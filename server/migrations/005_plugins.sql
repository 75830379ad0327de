-- 005_plugins: what completions are derived from, and what the plugin host
-- keeps between runs (plugins/host.c, server/completions.c).

-- Every completion statement counted for an employee and course (the
-- completions table holds only the newest). Reports compare years from
-- it; voiding a statement deletes its row and recomputes completions.
CREATE TABLE completion_history (
	statement_id TEXT PRIMARY KEY,
	employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	course_id    TEXT NOT NULL REFERENCES courses(id),
	completed_ms INTEGER NOT NULL,
	success      INTEGER,
	score        REAL
) STRICT, WITHOUT ROWID;
CREATE INDEX completion_history_course ON completion_history(course_id, completed_ms, employee_id);
CREATE INDEX completion_history_employee ON completion_history(employee_id, course_id, completed_ms);

-- An employee has started a course once any statement of theirs is about
-- the course's activity (as object, or as context parent or grouping).
-- first_statement is the statement that made the row (voiding it looks
-- for the next one); last_ms is the newest such statement.
CREATE TABLE course_starts (
	employee_id     INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	course_id       TEXT NOT NULL REFERENCES courses(id),
	first_ms        INTEGER NOT NULL,
	last_ms         INTEGER NOT NULL,
	first_statement TEXT NOT NULL,
	PRIMARY KEY (employee_id, course_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX course_starts_course ON course_starts(course_id, last_ms, first_ms);
CREATE INDEX course_starts_statement ON course_starts(first_statement);

-- Reports count assignments per course (vern.stats) from the index alone.
CREATE INDEX assignments_course_employee ON assignments(course_id, employee_id);

-- Employee changes waiting for the plugins' on_employee hooks. Written in
-- the same transaction as the change (by any process: `vern people
-- import`, SCIM, the demo), read and deleted by the server's plugin worker.
CREATE TABLE plugin_events (
	id          INTEGER PRIMARY KEY,
	employee_id INTEGER NOT NULL,
	change      TEXT NOT NULL,          -- created, updated, deactivated
	created_ms  INTEGER NOT NULL
) STRICT;

-- When each plugin's daily() last ran (local date), so a restart neither
-- repeats nor skips a day.
CREATE TABLE plugin_runs (
	plugin   TEXT NOT NULL,
	hook     TEXT NOT NULL,
	last_day TEXT NOT NULL,
	last_ms  INTEGER NOT NULL,
	PRIMARY KEY (plugin, hook)
) STRICT, WITHOUT ROWID;
