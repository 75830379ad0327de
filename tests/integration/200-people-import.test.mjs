// 200-people-import.test.mjs: `vern people import` on the real binary: units
// then employees, idempotent re-import, dry-run diff, bad rows named by line
// with nothing written, full-import deactivation and its truncation guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeTempDir, removeDir, runVern, assertNoSanitizerFindings } from './lib/server.mjs';

function sql(db, query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

test('people import from CSV', async (t) => {
  const dir = makeTempDir();
  t.after(() => removeDir(dir));
  const db = path.join(dir, 'v.db');
  const file = (name, text) => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };
  const imp = async (p, ...flags) => {
    const r = await runVern(['people', 'import', p, '--db', db, ...flags]);
    assertNoSanitizerFindings(r.stderr);
    return r;
  };

  const units = file('units.csv', '\ufeffunit_id;name;parent_id;agency\nSKOLE1;Nordby skole;OPP;ja\nK;Demo kommune;;nei\nOPP;Oppvekst;K;nei\n');
  let r = await imp(units);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sql(db, "SELECT path FROM org_units WHERE external_id = 'SKOLE1'").split('/').filter(Boolean).length, 3);
  assert.equal(sql(db, "SELECT is_agency FROM org_units WHERE external_id = 'SKOLE1'"), '1');

  const staff = Array.from({ length: 30 }, (_, i) => `${2000 + i},Ansatt ${i},a${i}@demo.no,SKOLE1,1999,,ja,2021-01-0${1 + (i % 9)}`);
  const full = file('emp.csv', ['employee_id,name,email,unit_id,manager_id,roles,active,start_date',
    ...staff, '1999,"Rektor, Rita",rita@demo.no,SKOLE1,,leder|virksomhetsleder,ja,2015-01-01'].join('\r\n'));

  await t.test('dry run prints the diff and writes nothing', async () => {
    r = await imp(full, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\+ 1999 Rektor, Rita \(new\)$/m);
    assert.match(r.stdout, /dry run.*created 31/);
    assert.equal(sql(db, 'SELECT count(*) FROM employees'), '0');
  });

  await t.test('import, then the same file again changes nothing', async () => {
    r = await imp(full);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created 31, changed 0, deactivated 0, unchanged 0/);
    assert.equal(sql(db, "SELECT m.external_id FROM employees e JOIN employees m ON m.id = e.manager_id WHERE e.external_id = '2000'"), '1999');
    assert.equal(sql(db, "SELECT group_concat(code, ',') FROM (SELECT r.code FROM employee_roles er JOIN roles r ON r.id = er.role_id JOIN employees e ON e.id = er.employee_id WHERE e.external_id = '1999' ORDER BY r.code)"), 'ansatt,leder,virksomhetsleder');
    r = await imp(full);
    assert.match(r.stdout, /created 0, changed 0, deactivated 0, unchanged 31/);
  });

  await t.test('bad rows are named by line and nothing is written', async () => {
    const bad = file('bad.csv', ['employee_id;name;unit_id;roles;active;start_date',
      '2000;Ansatt 0 endret;SKOLE1;;ja;', ';Uten id;SKOLE1;;ja;', '3001;Ukjent enhet;NOPE;;ja;',
      '3002;Ukjent rolle;SKOLE1;sjef;ja;', '3003;Dato;SKOLE1;;ja;2021-02-30', '3004;Flagg;SKOLE1;;kanskje;',
      '3005;"åpent sitat;SKOLE1'].join('\n'));
    r = await imp(bad, '--partial');
    assert.notEqual(r.code, 0);
    for (const [line, what] of [[3, /id is empty/], [4, /unknown unit NOPE/], [5, /unknown role sjef/], [6, /start date/], [7, /ja\/nei/], [8, /quoted field/]]) {
      assert.match(r.stderr, new RegExp(`line ${line}: .*${what.source}`), `line ${line}`);
    }
    assert.match(r.stderr, /nothing was changed/);
    assert.equal(sql(db, "SELECT name FROM employees WHERE external_id = '2000'"), 'Ansatt 0');
  });

  await t.test('a full import deactivates the missing, a truncated one is refused', async () => {
    const lines = fs.readFileSync(full, 'utf8').split('\r\n');
    const fewer = file('fewer.csv', lines.filter((l) => !l.startsWith('2029,')).join('\n'));
    r = await imp(fewer);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^- 2029 Ansatt 29 \(deactivated\)$/m);
    assert.equal(sql(db, "SELECT active FROM employees WHERE external_id = '2029'"), '0');
    const truncated = file('trunc.csv', lines.slice(0, 5).join('\n'));
    r = await imp(truncated);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /would deactivate 26 of 30/);
    assert.equal(sql(db, 'SELECT count(*) FROM employees WHERE active = 1'), '30');
  });
});
