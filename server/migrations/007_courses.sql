-- 007_courses: imported course packages, their versions, learners' attempts
-- and the launches of SCOs and cmi5 AUs (courses/).
--
-- A course (the `courses` row of 003) has one or more versions: every import
-- of a package for the same course adds a version, whose files live in
-- data_dir/content/<course id>/<dir>. An attempt (one per learner and
-- course run, identified by an xAPI registration UUID) stays on the version
-- it was started on; a new attempt uses the newest version.

CREATE TABLE course_versions (
	id           INTEGER PRIMARY KEY,
	course_id    TEXT NOT NULL REFERENCES courses(id),
	version      INTEGER NOT NULL,            -- 1, 2, ... per course
	kind         TEXT NOT NULL,               -- scorm12, scorm2004, cmi5, native
	dir          TEXT NOT NULL UNIQUE,        -- content directory name (random)
	publisher_id TEXT NOT NULL,               -- SCORM manifest identifier / cmi5 course id
	title        TEXT NOT NULL,
	outline      TEXT NOT NULL,               -- JSON array of the items (see courses/outline.c)
	source       TEXT NOT NULL,               -- file or folder name it was imported from
	bytes        INTEGER NOT NULL,            -- unpacked size
	imported_ms  INTEGER NOT NULL,
	UNIQUE (course_id, version)
) STRICT;

CREATE TABLE course_attempts (
	id           INTEGER PRIMARY KEY,
	employee_id  INTEGER NOT NULL REFERENCES employees(id) ON DELETE CASCADE,
	course_id    TEXT NOT NULL REFERENCES courses(id),
	version_id   INTEGER NOT NULL REFERENCES course_versions(id),
	registration TEXT NOT NULL UNIQUE,        -- UUID: xAPI context.registration
	current_item TEXT NOT NULL DEFAULT '',    -- where the learner left off
	started_ms   INTEGER NOT NULL,
	updated_ms   INTEGER NOT NULL,
	completed_ms INTEGER,                     -- the whole course is done
	success      INTEGER,                     -- 1 passed, 0 failed, NULL unknown
	score        REAL                         -- scaled, when the course has one
) STRICT;
CREATE INDEX course_attempts_learner ON course_attempts(employee_id, course_id, id);
CREATE INDEX course_attempts_version ON course_attempts(version_id);

-- The state of one SCO or AU within an attempt. SCORM: the last committed
-- CMI data (cmi, JSON) and the fields read from it; cmi5: what the AU's
-- statements said and whether its moveOn is met.
CREATE TABLE attempt_items (
	attempt_id    INTEGER NOT NULL REFERENCES course_attempts(id) ON DELETE CASCADE,
	item          TEXT NOT NULL,              -- item identifier / AU id
	cmi           TEXT NOT NULL DEFAULT '{}',
	completion    TEXT NOT NULL DEFAULT 'not attempted', -- completed, incomplete, not attempted, unknown
	success       TEXT NOT NULL DEFAULT 'unknown',       -- passed, failed, unknown
	score_scaled  REAL,
	score_raw     REAL,
	location      TEXT NOT NULL DEFAULT '',
	suspend_data  TEXT NOT NULL DEFAULT '',
	exit          TEXT NOT NULL DEFAULT '',   -- last cmi exit (suspend: resume next time)
	total_ms      INTEGER NOT NULL DEFAULT 0,
	sessions      INTEGER NOT NULL DEFAULT 0,
	answered      TEXT NOT NULL DEFAULT '[]', -- interactions already sent as xAPI
	satisfied     INTEGER NOT NULL DEFAULT 0, -- cmi5 moveOn met (or waived)
	waived        INTEGER NOT NULL DEFAULT 0,
	updated_ms    INTEGER NOT NULL,
	PRIMARY KEY (attempt_id, item)
) STRICT, WITHOUT ROWID;

-- One launch of a SCO or AU (a session). token_hash authorises the run-time
-- calls of a SCORM session and the one-time cmi5 fetch URL; auth_key and
-- auth_hash are the cmi5 auth token (an LRS Basic key and secret limited to
-- this registration, actor and session).
CREATE TABLE course_launches (
	id             INTEGER PRIMARY KEY,
	token_hash     BLOB NOT NULL UNIQUE,
	attempt_id     INTEGER NOT NULL REFERENCES course_attempts(id) ON DELETE CASCADE,
	item           TEXT NOT NULL,
	session_id     TEXT NOT NULL UNIQUE,      -- UUID (cmi5 session id)
	launch_mode    TEXT NOT NULL DEFAULT 'Normal',
	launched_ms    INTEGER NOT NULL,
	expires_ms     INTEGER NOT NULL,
	initialized_ms INTEGER,
	terminated_ms  INTEGER,
	abandoned_ms   INTEGER,
	last_seen_ms   INTEGER NOT NULL,
	fetched        INTEGER NOT NULL DEFAULT 0,
	auth_key       TEXT UNIQUE,
	auth_hash      BLOB,
	verbs          TEXT NOT NULL DEFAULT ''   -- cmi5 defined verbs seen in this session
) STRICT;
CREATE INDEX course_launches_attempt ON course_launches(attempt_id, item);
