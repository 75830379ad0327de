// 610-min-side: the employee's own page and data export (GDPR art. 15).
// An employee reads only their own data, whatever the request says; every
// view and export of personal data leaves an audit record before anything
// is sent; the export holds everything Vern keeps about the person and no
// secrets.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertNoSanitizerFindings, makeTempDir, runVern, startServer } from './lib/server.mjs';
import { addLrsClient, lrsHandle, randomUUID } from './lib/lrs.mjs';
import { Client, addUser, seedMunicipality, sql } from './lib/login.mjs';

const HOME = 'http://vern.testvik.invalid';
const agent = (ext, name) => ({ objectType: 'Agent', name, account: { homePage: HOME, name: ext } });

async function setup(t) {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  assert.equal((await runVern(['migrate', '--db', dbPath])).code, 0);
  const world = await seedMunicipality(dbPath);
  await addUser(dbPath, 'kari', 'kari-passord-123', ['--employee', 'E1']);
  await addUser(dbPath, 'per', 'per-passord-1234', ['--employee', 'E2']);
  await addUser(dbPath, 'admin', 'admin-passord-123', ['--role', 'admin']);
  const srv = await startServer({ dir, t, args: ['--public-url', HOME] });
  t.after(() => assertNoSanitizerFindings(srv.stderr()));
  const lrs = lrsHandle(srv, await addLrsClient(srv));
  return { srv, dbPath, world, lrs };
}

const audit = async (dbPath) => (await sql(dbPath,
  'SELECT action, coalesce(subject_employee_id, 0), actor_name FROM audit_log ORDER BY id')).trim().split('\n').filter(Boolean);

test('Min side shows my courses with due dates and status, and my completions', async (t) => {
  const { srv, dbPath } = await setup(t);
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  const r = await kari.get('/api/min-side');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.data.employee.name, 'Kari Nordmann');
  assert.equal(r.data.employee.unit, 'Solbakken skole');
  const status = Object.fromEntries(r.data.assignments.map((a) => [a.course_id, a.status]));
  assert.deepEqual(status, { phishing: 'forfalt', 'personvern-grunnkurs': 'fullfort', taushetsplikt: 'ikke_startet' });
  assert.equal(r.data.assignments[0].course_id, 'phishing', 'the earliest due date first');
  assert.equal(r.data.completions.length, 1);
  assert.equal(r.data.completions[0].score, 0.9);
  assert.equal(r.data.completions[0].certificate, true);
  assert.deepEqual(await audit(dbPath), ['view_own|1|Kari Nordmann']);
});

test('a certificate of completion, only for my own completed course', async (t) => {
  const { srv, dbPath } = await setup(t);
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  let r = await kari.get('/api/min-side/kursbevis/personvern-grunnkurs');
  assert.equal(r.status, 200);
  assert.equal(r.data.name, 'Kari Nordmann');
  assert.equal(r.data.title, 'Personvern – grunnkurs');
  assert.equal(r.data.certificate_id, '11111111-1111-4111-8111-111111111111');
  r = await kari.get('/api/min-side/kursbevis/phishing');
  assert.equal(r.status, 404, 'not completed');
  r = await kari.get('/api/min-side/kursbevis/finnes-ikke');
  assert.equal(r.status, 404);
  assert.deepEqual(await audit(dbPath), ['view_own_certificate|1|Kari Nordmann']);
  const page = await fetch(`${srv.url}/min-side/kursbevis?kurs=personvern-grunnkurs`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
});

test('an employee reads only their own data', async (t) => {
  const { srv } = await setup(t);
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  // Whatever the request names, the answer is about the signed-in person.
  for (const p of ['/api/min-side?employee=2', '/api/min-side?ansatt=E2', '/api/min-side/eksport?employee_id=2']) {
    const r = await kari.get(p);
    assert.equal(r.status, 200);
    const text = JSON.stringify(r.data);
    assert.ok(!text.includes('Per Hansen') && !text.includes('E2'), `${p} leaks nothing about Per`);
  }
  const per = await kari.get('/api/min-side/kursbevis/personvern-grunnkurs');
  assert.equal(per.data.name, 'Kari Nordmann');
  for (const p of ['/api/admin/brukere', '/api/admin/brukere/2', '/api/admin/lrs-klienter', '/api/admin/oppbevaring']) {
    const r = await kari.get(p);
    assert.equal(r.status, 403, `${p} is for admins`);
  }
  const anon = new Client(srv.url);
  for (const p of ['/api/min-side', '/api/min-side/eksport', '/api/min-side/kursbevis/phishing', '/api/oppbevaring']) {
    const r = await anon.get(p);
    assert.equal(r.status, 401, `${p} needs a sign-in`);
  }
});

test('download all my data: everything about me, nothing about others, no secrets, and audited', async (t) => {
  const { srv, dbPath, lrs } = await setup(t);
  const mine = randomUUID(), others = randomUUID();
  const r0 = await lrs.xapi('statements', { method: 'POST', body: [
    { id: mine, actor: agent('E1', 'Kari Nordmann'), verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: { id: 'urn:vern:kurs:phishing' }, result: { response: 'mitt svar' } },
    { id: others, actor: agent('E2', 'Per Hansen'), verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: { id: 'urn:vern:kurs:phishing' } },
  ] });
  assert.equal(r0.status, 200, r0.text);
  const state = new URLSearchParams({ activityId: 'urn:vern:kurs:phishing', agent: JSON.stringify(agent('E1', 'Kari Nordmann')), stateId: 'fremdrift' });
  assert.equal((await lrs.xapi(`activities/state?${state}`, { method: 'PUT', body: { side: 3 } })).status, 204);

  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  const r = await kari.get('/api/min-side/eksport');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="vern-mine-data-\d{4}-\d{2}-\d{2}\.json"$/);
  const x = r.data;
  assert.equal(x.format, 'vern-data-export/1');
  assert.equal(x.employee[0].external_id, 'E1');
  assert.equal(x.employee[0].email, 'kari@testvik.invalid');
  assert.equal(x.employee[0].unit, 'Solbakken skole');
  assert.equal(x.accounts[0].username, 'kari');
  assert.equal(x.assignments.length, 3);
  // The seeded completion, and the one derived from the statement below.
  assert.deepEqual(x.completions.map((k) => k.course_id).sort(), ['personvern-grunnkurs', 'phishing']);
  assert.deepEqual(x.xapi_statements.map((s) => s.id), [mine]);
  assert.equal(x.xapi_statements[0].result.response, 'mitt svar');
  assert.equal(x.xapi_documents.length, 1);
  assert.deepEqual(x.xapi_documents[0].content, '{"side":3}');
  assert.equal(x.course_attempts[0].registration, '33333333-3333-4333-8333-333333333333');
  assert.equal(x.course_attempt_items[0].suspend_data, 'svar=ja');
  assert.ok(x.sessions.length >= 1);
  assert.deepEqual(Object.keys(x.sessions[0]).sort(), ['course_id', 'created_ms', 'expires_ms', 'scope']);
  assert.ok(x.audit_log_about_you.some((a) => a.action === 'export_own'), 'the export is in its own audit log');
  assert.match(x.retention_policy.text, /dager/);
  const text = r.text;
  for (const secret of ['password_hash', 'totp_secret', 'token_hash', 'csrf', '$argon2id', 'Per Hansen', others])
    assert.ok(!text.includes(secret), `the export does not contain ${secret}`);
  assert.deepEqual(await audit(dbPath), ['export_own|1|Kari Nordmann']);
});

test('every personal-data view leaves an audit record; admins are audited too', async (t) => {
  const { srv, dbPath } = await setup(t);
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  await kari.get('/api/min-side');
  await kari.get('/api/min-side/kursbevis/personvern-grunnkurs');
  await kari.get('/api/min-side/eksport');
  const admin = await new Client(srv.url).signIn('admin', 'admin-passord-123');
  await admin.get('/api/admin/brukere');
  const created = await admin.post('/api/admin/brukere', { username: 'ny.bruker', employee: 'O1' });
  assert.equal(created.status, 201, created.text);
  await admin.get('/api/min-side/eksport');
  assert.deepEqual(await audit(dbPath), [
    'view_own|1|Kari Nordmann',
    'view_own_certificate|1|Kari Nordmann',
    'export_own|1|Kari Nordmann',
    'view_users|0|admin',
    'user_create|0|admin',
    'export_own|0|admin',
  ]);
  // The admin (no employee) gets their account's data.
  const own = await admin.get('/api/min-side/eksport');
  assert.equal(own.data.accounts[0].username, 'admin');
  assert.deepEqual(own.data.employee, []);
  assert.ok(own.data.audit_log_by_you.some((a) => a.action === 'view_users'));
});

test('I change my own password; a wrong current password counts as a failed sign-in', async (t) => {
  const { srv, dbPath } = await setup(t);
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  const other = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  assert.equal((await kari.get('/api/min-side')).data.account.has_password, true);
  let r = await kari.post('/api/konto/passord', { current: 'feil-passord-123', new: 'et-helt-nytt-passord' });
  assert.equal(r.status, 403);
  assert.equal((await sql(dbPath, "SELECT failed_logins FROM users WHERE username = 'kari'")).trim(), '1');
  r = await kari.post('/api/konto/passord', { current: 'kari-passord-123', new: 'kort' });
  assert.equal(r.status, 400);
  r = await kari.post('/api/konto/passord', { current: 'kari-passord-123', new: 'et-helt-nytt-passord' }, { csrf: false });
  assert.equal(r.status, 403, 'CSRF');
  r = await kari.post('/api/konto/passord', { current: 'kari-passord-123', new: 'et-helt-nytt-passord' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await kari.get('/api/me')).status, 401, 'signed out');
  assert.equal((await other.get('/api/me')).status, 401, 'everywhere');
  assert.equal((await new Client(srv.url).password('kari', 'kari-passord-123')).status, 401);
  await new Client(srv.url).signIn('kari', 'et-helt-nytt-passord');
});
