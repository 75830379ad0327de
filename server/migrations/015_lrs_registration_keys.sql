-- 015_lrs_registration_keys: statement_registrations rows carry a 64-bit
-- integer key of the registration instead of its 36-character text
-- (lrs_registration_key in lrs/extract.h: the two halves of the UUID's 128
-- bits XORed), so a row is about a third of its old size. Registrations
-- are random UUIDs: each bulk pass (lrs/index.c) writes a row on nearly
-- every page of this table, so its size is what a pass costs; with text
-- keys it was the largest share of the pages the writer wrote once a
-- database held a few hundred thousand statements. Two registrations may
-- share a key: a query by registration also compares statements.registration.
-- Computing the keys in SQL is slow (about 25 s for 900,000 statements on
-- a 2-core machine, once, at the first start after the upgrade).
CREATE TABLE statement_registrations_by_key (
	reg INTEGER NOT NULL,  -- lrs_registration_key(registration)
	seq INTEGER NOT NULL,
	PRIMARY KEY (reg, seq)
) STRICT, WITHOUT ROWID;

-- The key in SQL: r is the registration as 32 lowercase hex digits; h and
-- l are its halves; h XOR l is (h | l) & ~(h & l) (SQLite has no XOR).
INSERT INTO statement_registrations_by_key(reg, seq)
SELECT (h | l) & ~(h & l), seq FROM (
	SELECT seq,
	       ((instr('0123456789abcdef', substr(r, 1, 1)) - 1) << 60) |
	       ((instr('0123456789abcdef', substr(r, 2, 1)) - 1) << 56) |
	       ((instr('0123456789abcdef', substr(r, 3, 1)) - 1) << 52) |
	       ((instr('0123456789abcdef', substr(r, 4, 1)) - 1) << 48) |
	       ((instr('0123456789abcdef', substr(r, 5, 1)) - 1) << 44) |
	       ((instr('0123456789abcdef', substr(r, 6, 1)) - 1) << 40) |
	       ((instr('0123456789abcdef', substr(r, 7, 1)) - 1) << 36) |
	       ((instr('0123456789abcdef', substr(r, 8, 1)) - 1) << 32) |
	       ((instr('0123456789abcdef', substr(r, 9, 1)) - 1) << 28) |
	       ((instr('0123456789abcdef', substr(r, 10, 1)) - 1) << 24) |
	       ((instr('0123456789abcdef', substr(r, 11, 1)) - 1) << 20) |
	       ((instr('0123456789abcdef', substr(r, 12, 1)) - 1) << 16) |
	       ((instr('0123456789abcdef', substr(r, 13, 1)) - 1) << 12) |
	       ((instr('0123456789abcdef', substr(r, 14, 1)) - 1) << 8) |
	       ((instr('0123456789abcdef', substr(r, 15, 1)) - 1) << 4) |
	       ((instr('0123456789abcdef', substr(r, 16, 1)) - 1) << 0) AS h,
	       ((instr('0123456789abcdef', substr(r, 17, 1)) - 1) << 60) |
	       ((instr('0123456789abcdef', substr(r, 18, 1)) - 1) << 56) |
	       ((instr('0123456789abcdef', substr(r, 19, 1)) - 1) << 52) |
	       ((instr('0123456789abcdef', substr(r, 20, 1)) - 1) << 48) |
	       ((instr('0123456789abcdef', substr(r, 21, 1)) - 1) << 44) |
	       ((instr('0123456789abcdef', substr(r, 22, 1)) - 1) << 40) |
	       ((instr('0123456789abcdef', substr(r, 23, 1)) - 1) << 36) |
	       ((instr('0123456789abcdef', substr(r, 24, 1)) - 1) << 32) |
	       ((instr('0123456789abcdef', substr(r, 25, 1)) - 1) << 28) |
	       ((instr('0123456789abcdef', substr(r, 26, 1)) - 1) << 24) |
	       ((instr('0123456789abcdef', substr(r, 27, 1)) - 1) << 20) |
	       ((instr('0123456789abcdef', substr(r, 28, 1)) - 1) << 16) |
	       ((instr('0123456789abcdef', substr(r, 29, 1)) - 1) << 12) |
	       ((instr('0123456789abcdef', substr(r, 30, 1)) - 1) << 8) |
	       ((instr('0123456789abcdef', substr(r, 31, 1)) - 1) << 4) |
	       ((instr('0123456789abcdef', substr(r, 32, 1)) - 1) << 0) AS l
	FROM (SELECT seq, lower(replace(registration, '-', '')) AS r FROM statement_registrations))
ORDER BY 1, 2;

DROP TABLE statement_registrations;
ALTER TABLE statement_registrations_by_key RENAME TO statement_registrations;
