// 420-plugin-mandatory-by-role: the bundled mandatory_by_role plugin.
// Assignments by role when people are imported (due N days after hire or
// the change), role changes, hand-made assignments left alone, renewal
// after completion, deactivation, the reminders report, and an idempotent
// full sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { sql, sqlExec, startWithPlugins, UNITS_CSV } from './lib/plugins.mjs';

const BASIC = ['avvik', 'informasjonssikkerhet-grunnkurs', 'personvern-grunnkurs', 'phishing', 'taushetsplikt'];
const pad = (n) => String(n).padStart(2, '0');
const localDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const inDays = (n) => { const d = new Date(); d.setDate(d.getDate() + n); return localDate(d); };
// Completions expire valid_months (12) calendar months later, in UTC.
const yearLater = (d) => { const x = new Date(d); x.setUTCFullYear(x.getUTCFullYear() + 1); return x; };

test('mandatory_by_role assigns, reassigns, renews and reminds', async (t) => {
  const h = await startWithPlugins(t, { bundled: ['mandatory_by_role'], settings: { 'mandatory_by_role.due_days': 20 } });
  const mine = (ext) => h.assignments(`e.external_id = '${ext}'`);
  const courses = (ext) => mine(ext).map((a) => a.course);
  const due20 = inDays(20);

  await h.importCsv(UNITS_CSV);
  await h.importCsv(`employee_id,name,unit_id,roles,start_date
e1,Kari Leder,HO,leder,2020-01-01
e2,Ola Ny,HJ,,2099-01-01
e3,Per PKO,SK,personvernkoordinator,
`);
  await h.events();
  assert.deepEqual(courses('e1'), [...BASIC, 'personvern-for-ledere'].sort());
  assert.deepEqual(courses('e3'), [...BASIC, 'pko-opplaering'].sort());
  for (const a of mine('e1')) {
    assert.equal(a.due, due20);
    assert.equal(a.plugin, 'mandatory_by_role');
    assert.equal(a.reason, a.course === 'personvern-for-ledere' ? 'Påkrevd for rollen leder' : 'Påkrevd for rollen ansatt');
  }
  // Not started yet: due N days after the start date.
  assert.deepEqual([...new Set(mine('e2').map((a) => a.due))], ['2099-01-21']);

  // HR takes over one assignment by hand; e3 completed isk-opplaering earlier.
  const hrDue = inDays(100);
  sqlExec(h.srv, `UPDATE assignments SET plugin = '', reason = 'Avtalt med HR', due_date = '${hrDue}' WHERE course_id = 'phishing' AND employee_id = (SELECT id FROM employees WHERE external_id = 'e1')`);
  const iskDone = new Date(Date.now() - 30 * 86400000);
  await h.statements([h.statement('e3', 'completed', 'isk-opplaering', { timestamp: iskDone.toISOString() })]);

  // Role changes: e1 leder -> systemeier, e3 also systemeier.
  await h.importCsv(`employee_id,name,unit_id,roles,start_date
e1,Kari Leder,HO,systemeier,2020-01-01
e2,Ola Ny,HJ,,2099-01-01
e3,Per PKO,SK,personvernkoordinator|systemeier,
`);
  await h.events();
  assert.deepEqual(courses('e1'), [...BASIC, 'isk-opplaering'].sort());
  const e1 = Object.fromEntries(mine('e1').map((a) => [a.course, a]));
  assert.equal(e1['isk-opplaering'].due, due20);
  assert.equal(e1['isk-opplaering'].reason, 'Påkrevd for rollen systemeier');
  assert.deepEqual([e1.phishing.plugin, e1.phishing.reason, e1.phishing.due], ['', 'Avtalt med HR', hrDue]);
  // Completed before it was required: due when that completion expires.
  const e3isk = mine('e3').find((a) => a.course === 'isk-opplaering');
  assert.equal(e3isk.due, localDate(yearLater(iskDone)));

  // Completion, then daily: the due date moves to the renewal date.
  const done = new Date();
  await h.statements([h.statement('e1', 'passed', 'avvik', { timestamp: done.toISOString() })]);
  assert.equal(await h.daily(Math.floor(Date.now() / 1000)), 0);
  assert.equal(mine('e1').find((a) => a.course === 'avvik').due, localDate(yearLater(done)));
  assert.equal(mine('e1').find((a) => a.course === 'phishing').due, hrDue, 'hand-made kept');

  // Reminders: due soon, overdue, expiring; only active employees.
  sqlExec(h.srv, "UPDATE assignments SET due_date = '2020-01-01' WHERE course_id = 'avvik' AND employee_id = (SELECT id FROM employees WHERE external_id = 'e3')");
  await h.statements([h.statement('e3', 'completed', 'phishing', { timestamp: new Date(Date.now() - 355 * 86400000).toISOString() })]);
  const rem = await h.report('mandatory_by_role', 'reminders', { days: 30 });
  assert.equal(rem.status, 200, rem.text);
  const kinds = Object.fromEntries(rem.json.map((r) => [`${r.employee}/${r.course}`, r.kind]));
  assert.equal(kinds['e3/avvik'], 'overdue');
  assert.equal(kinds['e3/phishing'], 'expiring');
  assert.equal(kinds['e1/taushetsplikt'], 'due_soon');
  assert.equal(kinds['e1/avvik'], undefined, 'completed and not expiring');
  assert.equal(kinds['e1/phishing'], undefined, 'not made by this plugin');
  assert.equal(kinds['e2/avvik'], undefined, 'due in 2099');
  const all = await h.report('mandatory_by_role', 'reminders', { days: 200, all: true });
  assert.equal(all.status, 200, all.text);
  assert.ok(all.json.some((r) => r.employee === 'e1' && r.course === 'phishing'));

  // e2 leaves (missing from a full import): everything this plugin gave is taken back.
  await h.importCsv(`employee_id,name,unit_id,roles,start_date
e1,Kari Leder,HO,systemeier,2020-01-01
e3,Per PKO,SK,personvernkoordinator|systemeier,
`);
  await h.events();
  assert.deepEqual(mine('e2'), []);
  const remAfter = await h.report('mandatory_by_role', 'reminders', { days: 3660 });
  assert.equal(remAfter.status, 200, remAfter.text);
  assert.ok(!remAfter.json.some((r) => r.employee === 'e2'));

  // A full sync brings e3's phishing to its renewal date (the completion
  // came after the assignment), and a second one changes nothing.
  const syncNow = async () => {
    const r = await h.api('/api/test/plugins/sync', { method: 'POST', body: { now: Math.floor(Date.now() / 1000) } });
    assert.equal(r.json.result, 0, r.text);
  };
  await syncNow();
  const phishing = sql(h.srv, "SELECT c.expires_ms FROM completions c JOIN employees e ON e.id = c.employee_id WHERE e.external_id = 'e3' AND c.course_id = 'phishing'")[0];
  assert.equal(mine('e3').find((a) => a.course === 'phishing').due, localDate(new Date(phishing.expires_ms)));
  const before = h.assignments();
  await syncNow();
  assert.deepEqual(h.assignments(), before);
  assert.equal(sql(h.srv, 'SELECT count(*) AS n FROM plugin_events')[0].n, 0);

  const rules = await h.report('mandatory_by_role', 'rules');
  assert.equal(rules.json.due_days, 20);
  assert.equal(rules.json.rules[0].roles[0], 'ansatt');
  const st = await h.status();
  assert.equal(st.mandatory_by_role.errors, 0, st.mandatory_by_role.last_error);
  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
