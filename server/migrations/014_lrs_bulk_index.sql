-- 014_lrs_bulk_index: statement query rows are written in bulk, behind the
-- statements themselves (lrs/index.c). A stored statement is a row of
-- statements with its list of index rows (index_keys) and registration; its
-- statement_keys and statement_registrations rows follow when the writer
-- catches up: when a query needs them, when writes pause, or when enough
-- statements wait that one sorted pass touches each index page once for
-- many statements. meta 'lrs_indexed_through' is the highest seq whose rows
-- are all written (statements after it are indexed from their lists).
--
-- Registrations move from an index on statements (one random page written
-- for every statement) to a table of their own, written in the same bulk
-- passes. The column stays, for checking a row.
CREATE TABLE statement_registrations (
	registration TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	PRIMARY KEY (registration, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO statement_registrations(registration, seq)
SELECT registration, seq FROM statements WHERE registration IS NOT NULL ORDER BY registration, seq;

DROP INDEX statements_registration;

INSERT OR REPLACE INTO meta(key, value)
SELECT 'lrs_indexed_through', CAST(coalesce(max(seq), 0) AS TEXT) FROM statements;
