// 450-plugin-appraisal: the bundled appraisal plugin's reports (the input
// for the appraisal talk): requirements against completions, expiring,
// overdue, for one employee and for a leader's unit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { sql, sqlExec, startWithPlugins, UNITS_CSV } from './lib/plugins.mjs';

test('appraisal reports requirements, completions, expiring and overdue', async (t) => {
  const h = await startWithPlugins(t, { bundled: ['appraisal', 'mandatory_by_role'] });
  await h.importCsv(UNITS_CSV);
  await h.importCsv(`employee_id,name,unit_id,roles
a1,Anne Leder,HJ,leder
a2,Arne,HJ,
b1,Bjørn,SK,
`);
  await h.events();
  const day = 86400000;
  await h.statements([
    h.statement('a1', 'passed', 'phishing', { timestamp: new Date(Date.now() - 5 * day).toISOString() }),
    h.statement('a1', 'completed', 'avvik', { timestamp: new Date(Date.now() - 350 * day).toISOString() }),
    h.statement('a1', 'completed', 'isk-opplaering', { timestamp: new Date(Date.now() - 20 * day).toISOString() }),
    h.statement('a2', 'completed', 'phishing', { timestamp: new Date(Date.now() - 400 * day).toISOString() }),
  ]);
  sqlExec(h.srv, "UPDATE assignments SET due_date = '2020-01-01' WHERE course_id = 'taushetsplikt'");

  const r = await h.report('appraisal', 'employee', { employee: 'a1' });
  assert.equal(r.status, 200, r.text);
  const rep = r.json;
  assert.equal(rep.employee.external_id, 'a1');
  assert.equal(rep.employee.unit, 'HJ');
  assert.deepEqual(rep.employee.roles.sort(), ['ansatt', 'leder']);
  assert.deepEqual(rep.summary, { required: 6, completed: 2, expiring: 1, overdue: 1, open: 3 });
  const status = Object.fromEntries(rep.requirements.map((x) => [x.course, x.status]));
  assert.deepEqual(status, {
    avvik: 'expiring', 'informasjonssikkerhet-grunnkurs': 'open', 'personvern-for-ledere': 'open',
    'personvern-grunnkurs': 'open', phishing: 'completed', taushetsplikt: 'overdue',
  });
  const leder = rep.requirements.find((x) => x.course === 'personvern-for-ledere');
  assert.equal(leder.required_by, 'mandatory_by_role');
  assert.equal(leder.reason, 'Påkrevd for rollen leder');
  assert.equal(leder.title, 'Kurs personvern-for-ledere');
  assert.equal(rep.overdue[0].course, 'taushetsplikt');
  assert.equal(rep.overdue[0].due, '2020-01-01');
  assert.equal(rep.expiring[0].course, 'avvik');
  assert.match(rep.expiring[0].expires, /^\d{4}-\d{2}-\d{2}$/);
  assert.deepEqual(rep.other_completions.map((x) => x.course), ['isk-opplaering']);

  const byId = await h.report('appraisal', 'employee', { employee_id: sql(h.srv, "SELECT id FROM employees WHERE external_id = 'a2'")[0].id });
  assert.equal(byId.status, 200, byId.text);
  assert.equal(byId.json.employee.external_id, 'a2');
  // a2's phishing completion has expired: open again, not completed.
  const phishing = byId.json.requirements.find((x) => x.course === 'phishing');
  assert.equal(phishing.status, 'open');
  assert.match(phishing.completed, /^\d{4}-/);
  assert.equal(byId.json.summary.completed, 0);

  const unit = await h.report('appraisal', 'unit', { unit: 'HO' });
  assert.equal(unit.status, 200, unit.text);
  assert.deepEqual(unit.json.employees.map((e) => [e.external_id, e.required, e.completed, e.expiring, e.overdue, e.open]), [
    ['a1', 6, 2, 1, 1, 3],
    ['a2', 5, 0, 0, 1, 4],
  ]);

  for (const [params, why] of [[{}, /give employee/], [{ employee: 'nobody' }, /no such employee/], [{ employee_id: 'x' }, /must be a number/]]) {
    const bad = await h.report('appraisal', 'employee', params);
    assert.equal(bad.status, 500);
    assert.match(bad.json.detail, why);
  }
  const badUnit = await h.report('appraisal', 'unit', { unit: 'NOPE' });
  assert.equal(badUnit.status, 500);
  assert.match(badUnit.json.detail, /unknown unit NOPE/);
  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
