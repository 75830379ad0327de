-- 011_lrs_terms: statement query index rows refer to their values by an
-- integer id instead of repeating the text, and lose the second index on
-- seq (a full copy of every row). A row of statement_keys is a few bytes,
-- so the index is a fraction of its old size and a stored statement costs
-- the writer far fewer page writes (lrs/keys.c, lrs/terms.c).
--
-- lrs_terms holds every value a filter can match, once: kind 1 verb id,
-- 2 activity id, 3 agent key (lrs_agent_key), 5 verb and object activity
-- ("verb" || char(31) || "activity"). statement_keys has one row per
-- (term, statement), direct as in 002_lrs.sql (1: the statement's own
-- actor/verb/object; 0: only related). A statement whose object is a
-- StatementRef also has its target's rows, as before.
--
-- statements.index_keys lists a statement's rows ("K K K", K = term * 2 +
-- direct), so they can be found (inherited, changed, deleted) without an
-- index on seq. A registration (kind 4 before) is a column of statements
-- with its own index: most registrations belong to a few statements.
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

ALTER TABLE statements ADD COLUMN registration TEXT;
ALTER TABLE statements ADD COLUMN index_keys TEXT NOT NULL DEFAULT '';

INSERT INTO lrs_terms(kind, value)
SELECT DISTINCT kind, value FROM statement_index WHERE kind <> 4 ORDER BY kind, value;

INSERT INTO statement_keys(term, seq, direct)
SELECT t.id, i.seq, i.direct
FROM statement_index i JOIN lrs_terms t ON t.kind = i.kind AND t.value = i.value
ORDER BY t.id, i.seq;

UPDATE statements SET registration = i.value
FROM statement_index i WHERE i.kind = 4 AND i.seq = statements.seq;

UPDATE statements SET index_keys = k.list
FROM (SELECT i.seq AS seq, group_concat(t.id * 2 + i.direct, ' ') AS list
      FROM statement_index i JOIN lrs_terms t ON t.kind = i.kind AND t.value = i.value
      WHERE i.kind <> 4 GROUP BY i.seq) k
WHERE k.seq = statements.seq;

CREATE INDEX statements_registration ON statements(registration)
WHERE registration IS NOT NULL;

DROP TABLE statement_index;

-- The rows as they were, for reading by code outside the LRS (kinds 1, 2,
-- 3 and 5; registrations are statements.registration). Changing them goes
-- through lrs/keys.h (lrs_keys_reindex, lrs_keys_forget).
CREATE VIEW statement_index(kind, value, seq, direct) AS
SELECT t.kind, t.value, k.seq, k.direct
FROM lrs_terms t JOIN statement_keys k ON k.term = t.id;
