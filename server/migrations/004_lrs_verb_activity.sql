-- 004_lrs_verb_activity: statement_index rows of kind 5 pair a statement's
-- verb with its object activity ("verb" || char(31) || "activity"), so a
-- query by verb and activity reads exactly its matches. New statements get
-- them from lrs/extract.c; this fills them in for statements stored before.
INSERT OR IGNORE INTO statement_index(kind, value, seq, direct)
SELECT 5, v.value || char(31) || a.value, v.seq, 1
FROM statement_index v
JOIN statement_index a ON a.seq = v.seq AND a.kind = 2 AND a.direct = 1
WHERE v.kind = 1 AND v.direct = 1;
