-- 016_lrs_index_parts: statement_keys and statement_registrations rows are
-- grouped by part of the statement sequence first: part = seq >> 18
-- (LRS_PART_SHIFT in lrs/keys.h), 262,144 statements per part.
-- A bulk pass (lrs/index.c) writes a row for nearly every learner, verb+
-- activity pair and registration it meets, so it wrote on nearly every
-- page of these indexes, and the more statements a database held, the
-- more each stored statement cost: batch ingest fell from 31,000 to
-- 21,000 statements/s between 1 and 6 million stored statements on a
-- 2-core machine. New rows now go to the newest part only, whose pages a
-- pass writes whatever the size of the database. A query walks the parts
-- one by one (lrs/query.c), each through the primary key.
DROP VIEW statement_index;

CREATE TABLE statement_keys_by_part (
	part   INTEGER NOT NULL,  -- seq >> 18
	term   INTEGER NOT NULL,
	seq    INTEGER NOT NULL,
	direct INTEGER NOT NULL,
	PRIMARY KEY (part, term, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO statement_keys_by_part(part, term, seq, direct)
SELECT seq >> 18, term, seq, direct FROM statement_keys ORDER BY seq >> 18, term, seq;
DROP TABLE statement_keys;
ALTER TABLE statement_keys_by_part RENAME TO statement_keys;

CREATE TABLE statement_registrations_by_part (
	part INTEGER NOT NULL,  -- seq >> 18
	reg  INTEGER NOT NULL,  -- lrs_registration_key(registration)
	seq  INTEGER NOT NULL,
	PRIMARY KEY (part, reg, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO statement_registrations_by_part(part, reg, seq)
SELECT seq >> 18, reg, seq FROM statement_registrations ORDER BY seq >> 18, reg, seq;
DROP TABLE statement_registrations;
ALTER TABLE statement_registrations_by_part RENAME TO statement_registrations;

-- The rows as they were (011_lrs_terms.sql), for reading by code outside
-- the LRS, which names the term (kind and value): the term first, then its
-- rows part by part through the primary key (CROSS JOIN fixes that order).
CREATE VIEW statement_index(kind, value, seq, direct) AS
WITH RECURSIVE parts(p) AS (
	SELECT 0
	UNION ALL
	SELECT p + 1 FROM parts WHERE p < (SELECT coalesce(max(seq), 0) >> 18 FROM statements)
)
SELECT t.kind, t.value, k.seq, k.direct
FROM lrs_terms t CROSS JOIN parts CROSS JOIN statement_keys k
WHERE k.part = parts.p AND k.term = t.id;
