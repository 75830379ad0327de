-- 013_views: what the leader, HR and ombud views keep besides the people
-- model: courses that attendance can satisfy, the attendance sessions a
-- leader registered, and learning goals from the appraisal talk. (The
-- trend and year-over-year figures read completion_history of 005_plugins.)

-- Courses the admin has marked as satisfiable by attending a classroom
-- session, staff meeting or dilemma training: an xAPI "attended" statement
-- for the course's activity then counts as a completion.
CREATE TABLE courses_attendance (
	course_id  TEXT PRIMARY KEY REFERENCES courses(id) ON DELETE CASCADE,
	marked_ms  INTEGER NOT NULL,
	marked_by  TEXT NOT NULL                   -- the admin's name, kept for the record
) STRICT, WITHOUT ROWID;

-- A session a leader registered attendance for. Each attendee's attendance
-- is an xAPI statement (statement_id in attendance_attendees); these rows
-- let the leader see and list what was registered.
CREATE TABLE attendance_sessions (
	id           INTEGER PRIMARY KEY,
	activity_id  TEXT NOT NULL UNIQUE,         -- urn:vern:okt:<uuid>
	course_id    TEXT NOT NULL REFERENCES courses(id),
	kind         TEXT NOT NULL CHECK (kind IN ('klasserom', 'personalmote', 'dilemmatrening')),
	title        TEXT NOT NULL,
	held_on      TEXT NOT NULL,                -- YYYY-MM-DD
	unit_id      INTEGER REFERENCES org_units(id),
	leader_name  TEXT NOT NULL,
	leader_user_id     INTEGER,
	leader_employee_id INTEGER,
	created_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX attendance_sessions_unit ON attendance_sessions(unit_id, held_on);

CREATE TABLE attendance_attendees (
	session_id   INTEGER NOT NULL REFERENCES attendance_sessions(id) ON DELETE CASCADE,
	employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	statement_id TEXT NOT NULL,
	PRIMARY KEY (session_id, employee_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX attendance_attendees_employee ON attendance_attendees(employee_id);

-- Learning goals agreed in the employee's last appraisal talk
-- (medarbeidersamtale): free text and the date of the talk.
CREATE TABLE learning_goals (
	employee_id  INTEGER PRIMARY KEY REFERENCES employees(id) ON DELETE CASCADE,
	goals        TEXT NOT NULL,
	agreed_on    TEXT NOT NULL,                -- YYYY-MM-DD
	updated_ms   INTEGER NOT NULL,
	updated_by   TEXT NOT NULL
) STRICT;

-- The trend reads, for every requirement, each completion's time and
-- success; this index answers that without visiting the table.
CREATE INDEX completion_history_trend ON completion_history(employee_id, course_id, completed_ms, success);
