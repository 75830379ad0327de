-- 001_core: server-wide settings and the table behind the test-only write
-- endpoint (/api/test/writes, enabled by test_endpoints = true), which the
-- durability and backup tests use to prove that acknowledged writes survive.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE test_writes (
	id         INTEGER PRIMARY KEY,
	client     INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
