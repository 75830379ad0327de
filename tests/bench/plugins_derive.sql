-- tests/bench/plugins_derive.sql: the completion derivation of
-- server/completions.c written as SQL over the statements table, into
-- TEMP tables d_history, d_completions and d_starts (same columns as
-- completion_history, completions and course_starts). Reads TEMP table
-- p(hp). The benchmark checks it against the C derivation on statements
-- sent through HTTP, then uses it to fill a 2,000,000-statement store.
CREATE TEMP TABLE d_se AS
SELECT s.seq, s.id, s.verb, s.full, e.id AS emp,
  json_extract(s.full, '$.object.id') AS obj,
  coalesce(json_extract(s.full, '$.object.objectType'), 'Activity') AS otype,
  CASE WHEN json_extract(s.full, '$.timestamp') IS NOT NULL
        AND CAST(round((julianday(json_extract(s.full, '$.timestamp')) - 2440587.5) * 86400000) AS INTEGER)
            <= s.stored_ms
       THEN CAST(round((julianday(json_extract(s.full, '$.timestamp')) - 2440587.5) * 86400000) AS INTEGER)
       ELSE s.stored_ms END AS ms
FROM statements s
JOIN employees e ON e.external_id = json_extract(s.full, '$.actor.account.name')
WHERE s.voided = 0 AND s.voiding = 0
  AND json_extract(s.full, '$.actor.account.homePage') = (SELECT hp FROM p)
  AND coalesce(json_extract(s.full, '$.actor.objectType'), 'Agent') = 'Agent';

CREATE TEMP TABLE d_touch AS
SELECT se.seq, se.id, se.verb, se.full, se.emp, se.ms, c.id AS course, c.valid_months, 1 AS is_object
FROM d_se se JOIN courses c ON c.activity_id = se.obj WHERE se.otype = 'Activity'
UNION ALL
SELECT se.seq, se.id, se.verb, se.full, se.emp, se.ms, c.id, c.valid_months, 0
FROM d_se se, json_each(se.full, '$.context.contextActivities.parent') j
JOIN courses c ON c.activity_id = json_extract(j.value, '$.id')
UNION ALL
SELECT se.seq, se.id, se.verb, se.full, se.emp, se.ms, c.id, c.valid_months, 0
FROM d_se se, json_each(se.full, '$.context.contextActivities.grouping') j
JOIN courses c ON c.activity_id = json_extract(j.value, '$.id');

CREATE TEMP TABLE d_history AS
SELECT DISTINCT id AS statement_id, emp AS employee_id, course AS course_id, ms AS completed_ms,
  CASE WHEN verb = 'http://adlnet.gov/expapi/verbs/completed'
       THEN json_extract(full, '$.result.success') ELSE 1 END AS success,
  json_extract(full, '$.result.score.scaled') AS score, seq, valid_months
FROM d_touch
WHERE is_object = 1 AND verb IN ('http://adlnet.gov/expapi/verbs/completed',
  'http://adlnet.gov/expapi/verbs/passed', 'https://w3id.org/xapi/adl/verbs/satisfied');

CREATE TEMP TABLE d_completions AS
SELECT employee_id, course_id, completed_ms,
  CASE WHEN valid_months IS NULL THEN NULL
       ELSE unixepoch(completed_ms / 1000, 'unixepoch', '+' || valid_months || ' months') * 1000
            + completed_ms % 1000 END AS expires_ms,
  success, score, statement_id
FROM (SELECT *, row_number() OVER (PARTITION BY employee_id, course_id
                                   ORDER BY completed_ms DESC, seq DESC) AS rn FROM d_history)
WHERE rn = 1;

CREATE TEMP TABLE d_starts AS
SELECT emp AS employee_id, course AS course_id, first_ms, last_ms, id AS first_statement
FROM (SELECT emp, course, id,
        min(ms) OVER w AS first_ms, max(ms) OVER w AS last_ms,
        row_number() OVER (PARTITION BY emp, course ORDER BY ms, seq) AS rn
      FROM d_touch WINDOW w AS (PARTITION BY emp, course))
WHERE rn = 1;
