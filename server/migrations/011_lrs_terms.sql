-- 011_lrs_terms: statement query index rows refer to their values by an
-- integer id instead of repeating the text, and lose the second index on
-- seq (a full copy of every row). A row of statement_keys is a few bytes,
-- so the index is a fraction of its old size and a stored statement costs
-- the writer far fewer page writes.
--
-- lrs_terms holds every value a filter can match, once: kind 1 verb id,
-- 2 activity id, 3 agent key (lrs_agent_key), 4 registration, 5 verb and
-- object activity ("verb" || char(31) || "activity"). statement_keys has
-- one row per (term, statement) with direct as in 002_lrs.sql (1: the
-- statement's own actor/verb/object/registration; 0: only related). A
-- statement whose object is a StatementRef also has its target's rows
-- (registrations excepted), as before.
CREATE TABLE lrs_terms (
	id    INTEGER PRIMARY KEY,
	kind  INTEGER NOT NULL,
	value TEXT NOT NULL,
	UNIQUE (kind, value)
) STRICT;

CREATE TABLE statement_keys (
	term   INTEGER NOT NULL,
	seq    INTEGER NOT NULL,
	direct INTEGER NOT NULL,
	PRIMARY KEY (term, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO lrs_terms(kind, value)
SELECT DISTINCT kind, value FROM statement_index ORDER BY kind, value;

INSERT INTO statement_keys(term, seq, direct)
SELECT t.id, i.seq, i.direct
FROM statement_index i JOIN lrs_terms t ON t.kind = i.kind AND t.value = i.value
ORDER BY t.id, i.seq;

DROP TABLE statement_index;
