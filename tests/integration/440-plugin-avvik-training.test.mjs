// 440-plugin-avvik-training: POST /api/incidents (category and unit only,
// no personal data) and the bundled avvik_training plugin, which assigns
// the matching course to the unit's staff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { addLrsClient } from './lib/lrs.mjs';
import { sqlExec, startWithPlugins, waitFor, UNITS_CSV } from './lib/plugins.mjs';

const pad = (n) => String(n).padStart(2, '0');
const inDays = (n) => { const d = new Date(); d.setDate(d.getDate() + n); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`; };

test('incidents assign the matching course to the unit and the units below it', async (t) => {
  const h = await startWithPlugins(t, {
    bundled: ['avvik_training'],
    settings: { 'avvik_training.due_days': 14, 'avvik_training.recent_days': 90 },
  });
  await h.importCsv(UNITS_CSV);
  await h.importCsv(`employee_id,name,unit_id,active
h1,Hanne,HO,ja
h2,Hege,HJ,ja
h3,Helge,HJ,nei
h4,Hilde,HJ,ja
s1,Sara,SK,ja
`);
  await h.events();
  sqlExec(h.srv, "INSERT INTO assignments(employee_id, course_id, due_date, reason, plugin, created_ms) SELECT id, 'taushetsplikt', '2031-01-01', 'HR', '', 0 FROM employees WHERE external_id = 'h1'");
  await h.statements([h.statement('h2', 'completed', 'taushetsplikt', { timestamp: new Date(Date.now() - 10 * 86400000).toISOString() })]);

  // Refused: anything but category and unit, bad values, no credentials.
  const post = (body, headers) => h.api('/api/incidents', { method: 'POST', body, headers });
  const refusals = [
    [{ category: 'taushetsbrudd', unit: 'HO', employee: 'h1' }, 400, 'unknown_field'],
    [{ category: 'taushetsbrudd', unit: 'HO', description: 'Kari sendte journal til feil mottaker' }, 400, 'unknown_field'],
    [{ category: 'Taushets brudd', unit: 'HO' }, 400, 'bad_category'],
    [{ category: 'x'.repeat(65), unit: 'HO' }, 400, 'bad_category'],
    [{ category: 7, unit: 'HO' }, 400, 'bad_category'],
    [{ category: 'taushetsbrudd' }, 400, 'bad_unit'],
    [{ category: 'taushetsbrudd', unit: 'NOPE' }, 400, 'unknown_unit'],
    [['taushetsbrudd', 'HO'], 400, 'bad_json'],
    ['{"category": "taushetsbrudd", "unit": "HO"', 400, 'bad_json'],
  ];
  for (const [body, status, error] of refusals) {
    const r = await post(body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.equal(r.json.error, error, r.text);
  }
  const anon = await fetch(`${h.url}/api/incidents`, { method: 'POST', body: '{"category":"phishing","unit":"SK"}' });
  assert.equal(anon.status, 401);
  await anon.arrayBuffer();
  const writer = await addLrsClient(h.srv, { name: 'writer', scope: 'statements/write' });
  const narrow = await post({ category: 'phishing', unit: 'SK' }, {
    Authorization: 'Basic ' + Buffer.from(`${writer.key}:${writer.secret}`).toString('base64') });
  assert.equal(narrow.status, 403);
  assert.deepEqual(h.assignments("a.plugin = 'avvik_training'"), []);

  // Registered: h4 gets it (h1 has HR's assignment, h2 completed it lately,
  // h3 has left, s1 works elsewhere).
  const ok = await post({ category: 'taushetsbrudd', unit: 'HO' });
  assert.equal(ok.status, 201, ok.text);
  assert.match(ok.json.id, /^[0-9a-f-]{36}$/);
  await waitFor(() => h.assignments("a.plugin = 'avvik_training'").length > 0, { what: 'incident assignment' });
  assert.deepEqual(h.assignments("a.course_id = 'taushetsplikt'"), [
    { employee: 'h1', course: 'taushetsplikt', due: '2031-01-01', reason: 'HR', plugin: '' },
    { employee: 'h4', course: 'taushetsplikt', due: inDays(14), reason: 'Avvik (taushetsbrudd) meldt for Helse og omsorg', plugin: 'avvik_training' },
  ]);

  await post({ category: 'svindel', unit: 'SK' });
  await waitFor(() => h.assignments("e.external_id = 's1'").length > 0, { what: 'second incident' });
  assert.deepEqual(h.assignments("e.external_id = 's1'").map((a) => a.course), ['phishing']);

  // Unknown categories are stored and logged, nothing assigned.
  const unknown = await post({ category: 'ukjent-kategori', unit: 'SK' });
  assert.equal(unknown.status, 201);
  await waitFor(() => /ukjent avvikskategori ukjent-kategori/.test(h.srv.stderr()), { what: 'warning' });
  assert.equal(h.assignments("e.external_id = 's1'").length, 1);

  // The incident is in the LRS with the unit as actor and nothing personal.
  const q = await h.api(`/xapi/statements?verb=${encodeURIComponent('urn:vern:verb:avvik-meldt')}`, {
    headers: { 'X-Experience-API-Version': '1.0.3' } });
  assert.equal(q.status, 200, q.text);
  assert.equal(q.json.statements.length, 3);
  const st = q.json.statements.find((s) => s.id === ok.json.id);
  assert.equal(st.actor.objectType, 'Group');
  assert.deepEqual(st.actor.account, { homePage: `${h.url}/enheter`, name: 'HO' });
  assert.equal(st.object.id, 'urn:vern:avvik:taushetsbrudd');
  assert.equal(st.authority.account.name, 'vern');
  assert.equal(st.actor.member, undefined);

  const rules = await h.report('avvik_training', 'rules');
  assert.ok(rules.json.rules.some((r) => r.category === 'taushetsbrudd' && r.course === 'taushetsplikt'));
  assert.equal(rules.json.due_days, 14);
  assert.equal((await h.status()).avvik_training.errors, 0);
  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
