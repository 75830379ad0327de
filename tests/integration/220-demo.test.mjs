// 220-demo.test.mjs: `vern demo` on the real binary: the demo municipality's
// organisation (sectors, agencies, units, 2,000 employees, managers, roles),
// the course catalogue rows, and a learning history that the LRS serves as
// ordinary xAPI statements; a second run changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeTempDir, runVern, startServer, assertNoSanitizerFindings } from './lib/server.mjs';
import { addLrsClient, lrsHandle } from './lib/lrs.mjs';

function sql(db, query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

test('vern demo builds Demo kommune and its history', async (t) => {
  const dir = makeTempDir();
  const db = path.join(dir, 'vern.db');
  const home = 'https://laering.demo.kommune.no';

  const first = await runVern(['demo', '--db', db, '--public-url', home], { timeoutMs: 120000 });
  assert.equal(first.code, 0, first.stderr);
  assertNoSanitizerFindings(first.stderr);
  assert.match(first.stdout, /employees: +2000 \(\d+ active, \d+ have left\); created 2000, changed 0, unchanged 0/);
  // The demo's own employees (admin/demo_accounts.c adds a few sign-in
  // people and "Demo skole" next to them).
  const OURS = "external_id GLOB '1[0-9][0-9][0-9][0-9][0-9]'";
  const made = Number(/history: +(\d+) xAPI statements/.exec(first.stdout)[1]);
  assert.match(first.stdout, new RegExp(`${made} of them new`));

  await t.test('organisation: sectors, agencies, units, managers, roles', () => {
    assert.equal(sql(db, `SELECT count(*) FROM employees WHERE ${OURS}`), '2000');
    const agencies = Number(sql(db, 'SELECT count(*) FROM org_units WHERE is_agency = 1'));
    assert.ok(agencies >= 35 && agencies <= 45, `${agencies} agencies`);
    assert.equal(sql(db, "SELECT name FROM org_units WHERE parent_id IS NULL"), 'Demo kommune');
    assert.deepEqual(sql(db, "SELECT name FROM org_units WHERE parent_id = (SELECT id FROM org_units WHERE external_id = 'demo-kommune') AND is_agency = 0 AND external_id <> 'demo-stab' ORDER BY name").split('\n'),
      ['Administrasjon', 'Helse og omsorg', 'Kultur', 'Oppvekst og utdanning', 'Teknisk']);
    // Every agency sits under a sector and has one virksomhetsleder and a PKO.
    assert.equal(sql(db, `SELECT count(*) FROM org_units a WHERE a.is_agency = 1 AND a.parent_id <> (SELECT id FROM org_units WHERE external_id = 'demo-kommune') AND (
      (SELECT count(*) FROM employees e JOIN employee_roles er ON er.employee_id = e.id JOIN roles r ON r.id = er.role_id
        WHERE e.unit_id = a.id AND r.code = 'virksomhetsleder') <> 1 OR
      (SELECT count(*) FROM employees e JOIN org_units u ON u.id = e.unit_id JOIN employee_roles er ON er.employee_id = e.id
        JOIN roles r ON r.id = er.role_id WHERE u.path >= a.path AND u.path < a.path || '~' AND r.code = 'personvernkoordinator') < 1)`), '0');
    const roles = Object.fromEntries(sql(db, `SELECT r.code, count(*) FROM employee_roles er JOIN roles r ON r.id = er.role_id
      JOIN employees e ON e.id = er.employee_id WHERE e.${OURS} GROUP BY r.code`)
      .split('\n').map((l) => l.split('|')).map(([k, v]) => [k, Number(v)]));
    assert.equal(roles.ansatt, 2000);
    assert.equal(roles.kommunaldirektor, 5);
    assert.equal(roles.personvernombud, 1);
    assert.ok(roles.hr >= 2 && roles.systemeier >= 5 && roles.informasjonssikkerhetskoordinator >= 5);
    // Everyone but the kommunedirektør has a manager, and managers lead.
    assert.equal(sql(db, `SELECT count(*) FROM employees WHERE manager_id IS NULL AND ${OURS}`), '1');
    assert.equal(sql(db, `SELECT count(*) FROM employees m WHERE m.${OURS} AND m.id IN (SELECT manager_id FROM employees)
      AND NOT EXISTS (SELECT 1 FROM employee_roles er JOIN roles r ON r.id = er.role_id WHERE er.employee_id = m.id
      AND r.code IN ('leder', 'virksomhetsleder', 'kommunaldirektor'))`), '0');
    assert.equal(sql(db, `SELECT count(*) FROM employees WHERE email NOT LIKE '%_@demo.kommune.no' AND ${OURS}`), '0');
    assert.equal(sql(db, `SELECT count(DISTINCT email) FROM employees WHERE ${OURS}`), '2000');
    assert.equal(sql(db, `SELECT count(*) FROM employees WHERE (start_date IS NULL OR start_date > date('now')) AND ${OURS}`), '0');
  });

  await t.test('the catalogue rows', () => {
    assert.equal(sql(db, "SELECT count(*) FROM courses WHERE valid_months = 12 AND activity_id = 'urn:vern:kurs:' || id"), '8');
  });

  await t.test('the history: basic courses completed by 60-80%, failures, last October', () => {
    const share = (course) => Number(sql(db, `SELECT count(DISTINCT json_extract(full, '$.actor.account.name'))
      FROM statements WHERE verb IN ('http://adlnet.gov/expapi/verbs/passed', 'http://adlnet.gov/expapi/verbs/completed')
      AND json_extract(full, '$.object.id') = 'urn:vern:kurs:${course}'`)) / 2000;
    for (const c of ['personvern-grunnkurs', 'informasjonssikkerhet-grunnkurs', 'taushetsplikt', 'phishing', 'avvik']) {
      const s = share(c);
      assert.ok(s >= 0.55 && s <= 0.82, `${c}: ${s}`);
    }
    assert.ok(Number(sql(db, "SELECT count(*) FROM statements WHERE verb = 'http://adlnet.gov/expapi/verbs/failed'")) > 100);
    assert.ok(Number(sql(db, "SELECT count(*) FROM statements WHERE substr(json_extract(full, '$.timestamp'), 6, 2) = '10'")) > 1000);
    assert.equal(sql(db, `SELECT count(*) FROM statements WHERE json_extract(full, '$.actor.account.homePage') <> '${home}'`), '0');
    assert.equal(sql(db, "SELECT DISTINCT json_extract(full, '$.authority.account.name') FROM statements"), 'vern');
    // Completions derive from the statements (passed or completed, newest counts).
    assert.equal(sql(db, `SELECT count(*) FROM completions c JOIN employees e ON e.id = c.employee_id
      WHERE c.course_id = 'personvern-grunnkurs' AND e.${OURS}`),
      sql(db, `SELECT count(DISTINCT json_extract(full, '$.actor.account.name')) FROM statements
        WHERE verb = 'http://adlnet.gov/expapi/verbs/passed' AND json_extract(full, '$.object.id') = 'urn:vern:kurs:personvern-grunnkurs'`));
  });

  await t.test('a second run changes nothing', async () => {
    const before = sql(db, 'SELECT count(*), max(updated_ms) FROM employees');
    const units = sql(db, 'SELECT count(*) FROM org_units');
    const again = await runVern(['demo', '--db', db, '--public-url', home], { timeoutMs: 120000 });
    assert.equal(again.code, 0, again.stderr);
    assertNoSanitizerFindings(again.stderr);
    assert.match(again.stdout, /created 0, changed 0, unchanged 2000/);
    assert.match(again.stdout, new RegExp(`history: +${made} xAPI statements .*, 0 of them new`));
    assert.equal(sql(db, 'SELECT count(*), max(updated_ms) FROM employees'), before);
    assert.equal(sql(db, 'SELECT count(*) FROM org_units'), units);
    assert.equal(sql(db, "SELECT count(*) FROM org_units WHERE parent_id IS NULL"), '1');
    assert.equal(sql(db, 'SELECT count(*) FROM statements'), String(made));
  });

  await t.test('the LRS serves the history as xAPI statements', async () => {
    const srv = await startServer({ dir, t, args: ['--public-url', home] });
    const lrs = lrsHandle(srv, await addLrsClient(srv));
    const ext = sql(db, `SELECT json_extract(full, '$.actor.account.name') FROM statements
      WHERE verb = 'http://adlnet.gov/expapi/verbs/passed' LIMIT 1`);
    const agent = JSON.stringify({ account: { homePage: home, name: ext } });
    const r = await lrs.xapi(`statements?agent=${encodeURIComponent(agent)}&verb=${encodeURIComponent('http://adlnet.gov/expapi/verbs/passed')}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.statements.length >= 1);
    for (const s of r.json.statements) {
      assert.equal(s.actor.account.name, ext);
      assert.match(s.object.id, /^urn:vern:kurs:/);
      assert.equal(s.result.success, true);
    }
    await srv.stop();
    assertNoSanitizerFindings(srv.stderr());
  });
});
