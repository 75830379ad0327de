-- tests/bench/plugins_data.sql: a municipality for the plugin benchmark,
-- written straight into the database (sqlite3 CLI) because going through
-- HTTP would take minutes. Reads the TEMP table p(hp, n_emp, n_st, y,
-- now_ms, st_from): homePage of employees' agents, employees, statements,
-- the campaign year, and the first statement number to write.
--   units:      1 root, 400 agencies (A0..A399), 800 units under them
--   employees:  b1..bN, all ansatt; every 10th leder, every 200th
--               personvernkoordinator, every 250th systemeier
--   courses:    the catalogue of CATALOGUE.md, valid 12 months
--   statements: n_st, 40 per employee: 24 page views (object a lesson
--               page, the course as context parent), then one statement
--               per course in last year's and this year's October to
--               December: completed with a rate that varies by agency,
--               else experienced. Only statements (no index rows: the
--               benchmark never queries them through the LRS).
-- Completions and starts are not written here: plugins_derive.sql
-- derives them from the statements as server/completions.c does.
CREATE TEMP TABLE cl(i INTEGER PRIMARY KEY, id TEXT NOT NULL);
INSERT INTO cl VALUES (0, 'personvern-grunnkurs'), (1, 'informasjonssikkerhet-grunnkurs'),
  (2, 'taushetsplikt'), (3, 'phishing'), (4, 'avvik'), (5, 'personvern-for-ledere'),
  (6, 'pko-opplaering'), (7, 'isk-opplaering');

BEGIN;
INSERT OR IGNORE INTO courses(id, activity_id, title, valid_months, created_ms)
SELECT id, 'urn:vern:kurs:' || id, 'Kurs ' || id, 12, (SELECT now_ms FROM p) FROM cl;

INSERT OR IGNORE INTO org_units(id, external_id, name, parent_id, is_agency, path)
VALUES (1, 'K', 'Benchmark kommune', NULL, 0, '/1/');
WITH RECURSIVE a(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM a WHERE i < 399)
INSERT OR IGNORE INTO org_units(id, external_id, name, parent_id, is_agency, path)
SELECT 2 + i, 'A' || i, 'Virksomhet ' || i, 1, 1, '/1/' || (2 + i) || '/' FROM a;
WITH RECURSIVE u(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM u WHERE j < 799)
INSERT OR IGNORE INTO org_units(id, external_id, name, parent_id, is_agency, path)
SELECT 402 + j, 'U' || j, 'Enhet ' || j, 2 + j % 400, 0, '/1/' || (2 + j % 400) || '/' || (402 + j) || '/'
FROM u;

WITH RECURSIVE e(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM e WHERE n < (SELECT n_emp FROM p))
INSERT OR IGNORE INTO employees(id, external_id, name, email, unit_id, active, start_date, updated_ms)
SELECT n, 'b' || n, 'Ansatt ' || n, 'b' || n || '@bench.example', 402 + n % 800, 1, '2015-01-01',
       (SELECT now_ms FROM p)
FROM e;
INSERT OR IGNORE INTO employee_roles(employee_id, role_id)
SELECT e.id, r.id FROM employees e JOIN roles r ON r.code = 'ansatt';
INSERT OR IGNORE INTO employee_roles(employee_id, role_id)
SELECT e.id, r.id FROM employees e JOIN roles r ON r.code = 'leder' WHERE e.id % 10 = 0;
INSERT OR IGNORE INTO employee_roles(employee_id, role_id)
SELECT e.id, r.id FROM employees e JOIN roles r ON r.code = 'personvernkoordinator' WHERE e.id % 200 = 1;
INSERT OR IGNORE INTO employee_roles(employee_id, role_id)
SELECT e.id, r.id FROM employees e JOIN roles r ON r.code = 'systemeier' WHERE e.id % 250 = 2;
COMMIT;

-- The statements themselves (also used by the benchmark's derivation
-- check, which sends them through HTTP instead): kind 0 page view, 1
-- completed, 2 experienced the course.
CREATE TEMP VIEW gen AS
WITH RECURSIVE s(n) AS (
  SELECT (SELECT st_from FROM p) UNION ALL SELECT n + 1 FROM s WHERE n < (SELECT n_st FROM p) - 1
), g AS (
  SELECT n, n % (SELECT n_emp FROM p) + 1 AS e, n / (SELECT n_emp FROM p) AS k FROM s
), h AS (
  SELECT n, e, k, k % 8 AS c,
    CASE WHEN k < 24 THEN k % 2 WHEN k < 32 THEN 1 ELSE 0 END AS y,
    CASE WHEN k < 24 THEN 0
         WHEN (e * 37 + (k % 8) * 11) % 100 < 30 + (e % 400) % 50
              + CASE WHEN k >= 32 THEN 10 + e % 7 ELSE 0 END THEN 1
         ELSE 2 END AS kind
  FROM g
), t AS (
  SELECT h.*, cl.id AS course, printf('%08x-0000-4000-8000-%012x', n, n) AS sid,
    (unixepoch(((SELECT y FROM p) - h.y) || '-10-01') + (n * 7919) % (80 * 86400)) * 1000 AS ms
  FROM h JOIN cl ON cl.i = h.c
)
SELECT n, sid, ms,
  CASE kind WHEN 1 THEN 'http://adlnet.gov/expapi/verbs/completed'
            ELSE 'http://adlnet.gov/expapi/verbs/experienced' END AS verb,
  printf('{"id":"%s","actor":{"objectType":"Agent","account":{"homePage":"%s","name":"b%d"}},'
         || '"verb":{"id":"%s"},"object":{"objectType":"Activity","id":"urn:vern:kurs:%s%s"}%s,'
         || '"timestamp":"%s"',
    sid, (SELECT hp FROM p), e,
    CASE kind WHEN 1 THEN 'http://adlnet.gov/expapi/verbs/completed'
              ELSE 'http://adlnet.gov/expapi/verbs/experienced' END,
    course, CASE kind WHEN 0 THEN '/side-' || k ELSE '' END,
    CASE kind WHEN 0 THEN ',"context":{"contextActivities":{"parent":[{"id":"urn:vern:kurs:'
                          || course || '"}]}}' ELSE '' END,
    strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch')) AS head
FROM t;
