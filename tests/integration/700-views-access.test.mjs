// 700-views-access: who may see what in the leader, HR and ombud views.
// A leader gets 403 for another unit and its staff; the ombud's statistics
// hold no names or ids of people; state-changing calls without the CSRF
// token are refused; every view or export of a person's data leaves an
// audit record, and nothing is sent when it cannot be written.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, makeTempDir } from './lib/server.mjs';
import { call, seed, signIn, sqlite, startSeeded } from './lib/views.mjs';

async function setup(t) {
  const dir = makeTempDir();
  const world = await seed(dir);
  const srv = await startSeeded(t, dir);
  const as = async (who) => signIn(srv.url, who);
  return { srv, world, as };
}

async function auditRows(srv) {
  const out = await sqlite(srv.dbPath, "SELECT actor_name || '|' || coalesce(subject_employee_id, '') || '|' || action FROM audit_log ORDER BY id");
  return out.trim().split('\n').filter(Boolean);
}

test('signed-out callers get 401, other roles 403', async (t) => {
  const { srv, world, as } = await setup(t);
  for (const p of ['/api/leder/enheter', '/api/leder/enhet/3', '/api/hr/ansatt/1', '/api/ombud/rapport', '/api/ombud/revisjonslogg'])
    assert.equal((await call(srv.url, null, 'GET', p)).status, 401, p);
  const staff = await as({ employee: 'S3-1' });
  for (const p of ['/api/leder/enheter', '/api/leder/enhet/3', '/api/hr/ansatt/1', '/api/hr/eksport', '/api/ombud/rapport', '/api/ombud/revisjonslogg'])
    assert.equal((await call(srv.url, staff, 'GET', p)).status, 403, p);
  const leader = await as({ employee: world.who.leader3.ext });
  assert.equal((await call(srv.url, leader, 'GET', '/api/ombud/rapport')).status, 403);
  assert.equal((await call(srv.url, leader, 'GET', '/api/ombud/revisjonslogg')).status, 403);
  const hr = await as({ employee: world.who.hr.ext });
  assert.equal((await call(srv.url, hr, 'GET', '/api/ombud/revisjonslogg')).status, 403, 'the audit log is the ombud\'s');
  assert.equal((await call(srv.url, hr, 'PUT', '/api/kurs/phishing/oppmote')).status, 403, 'only admins mark courses');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('a leader sees their subtree and gets 403 for another unit and its staff', async (t) => {
  const { srv, world, as } = await setup(t);
  const leader = await as({ employee: world.who.leader3.ext });
  const units = await call(srv.url, leader, 'GET', '/api/leder/enheter');
  assert.deepEqual(units.body.enheter.map((u) => u.id), [3]);
  assert.equal((await call(srv.url, leader, 'GET', '/api/leder/enhet/3')).status, 200);
  assert.equal((await call(srv.url, leader, 'GET', '/api/leder/enhet/4')).status, 200, 'child unit');
  for (const u of [1, 2, 5, 6, 7, 8, 999])
    assert.equal((await call(srv.url, leader, 'GET', `/api/leder/enhet/${u}`)).status, 403, `unit ${u}`);
  const other = world.people.find((p) => p.unit === 7);
  const own = world.people.find((p) => p.unit === 4);
  assert.equal((await call(srv.url, leader, 'GET', `/api/hr/ansatt/${other.id}`)).status, 403);
  assert.equal((await call(srv.url, leader, 'GET', `/api/hr/ansatt/${other.id}/eksport?format=csv`)).status, 403);
  assert.equal((await call(srv.url, leader, 'PUT', `/api/hr/ansatt/${other.id}/laeringsmal`, { tekst: 'x', dato: '2024-01-01' })).status, 403);
  assert.equal((await call(srv.url, leader, 'GET', `/api/hr/ansatt/${own.id}`)).status, 200, 'own staff');
  assert.equal((await call(srv.url, leader, 'GET', '/api/hr/eksport?format=csv')).status, 403, 'leaders export only a unit they lead');
  assert.equal((await call(srv.url, leader, 'GET', '/api/hr/eksport?format=csv&enhet=6')).status, 403);
  assert.equal((await call(srv.url, leader, 'GET', '/api/hr/eksport?format=csv&enhet=3')).status, 200);
  assert.equal((await call(srv.url, leader, 'GET', '/api/leder/oppmote?enhet=6')).status, 403);
  const search = await call(srv.url, leader, 'GET', '/api/hr/ansatte?q=S7');
  assert.equal(search.status, 200);
  assert.equal(search.body.ansatte.length, 0, 'search finds no one outside the subtree');
  assert.ok((await call(srv.url, leader, 'GET', '/api/hr/ansatte?q=S4')).body.ansatte.length > 0);
  assert.equal((await call(srv.url, leader, 'POST', '/api/leder/paminnelse', { ansatte: [own.id, other.id] })).status, 403);
  const reg = await call(srv.url, leader, 'POST', '/api/leder/oppmote', {
    kurs: 'phishing', type: 'personalmote', tittel: 'Personalmøte', dato: '2024-05-02', enhet: 3, ansatte: [own.id, other.id] });
  assert.equal(reg.status, 403);
  assert.equal((await sqlite(srv.dbPath, 'SELECT (SELECT count(*) FROM statements) + (SELECT count(*) FROM mail_outbox)')).trim(), '0', 'nothing stored, no mail queued');
  // HR and admin see everyone.
  const hr = await as({ employee: world.who.hr.ext });
  assert.equal((await call(srv.url, hr, 'GET', '/api/leder/enhet/6')).status, 200);
  assert.equal((await call(srv.url, hr, 'GET', `/api/hr/ansatt/${other.id}`)).status, 200);
  const admin = await as({ user: 'admin' });
  assert.equal((await call(srv.url, admin, 'GET', '/api/leder/enhet/1')).status, 200);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('the ombud statistics contain no names or ids of people', async (t) => {
  const { srv, world, as } = await setup(t);
  const ombud = await as({ employee: world.who.ombud.ext });
  const year = new Date().getFullYear();
  const json = await call(srv.url, ombud, 'GET', `/api/ombud/rapport?aar=${year}`);
  assert.equal(json.status, 200);
  const csv = await call(srv.url, ombud, 'GET', `/api/ombud/rapport?aar=${year}&format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  for (const text of [json.text, csv.text]) {
    for (const p of world.people) {
      assert.ok(!text.includes(p.name), `name ${p.name} leaked`);
      assert.ok(!text.includes(p.name.split(' ')[0] + ' '), `first name of ${p.name} leaked`);
      assert.ok(!new RegExp(`\\b${p.ext}\\b`).test(text), `external id ${p.ext} leaked`);
      assert.ok(!text.includes(p.ext.toLowerCase() + '@'), `email of ${p.ext} leaked`);
    }
  }
  const keys = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { keys.add(k); walk(x); }
  };
  walk(json.body);
  for (const k of keys) assert.ok(!/id$|navn|ansatt_id|epost/.test(k), `key ${k} in the ombud report`);
  // The small agency (3 people) shows "<5" and no rates.
  const small = json.body.virksomheter.find((v) => v.virksomhet === 'Fjellstua');
  assert.equal(small.ansatte, '<5');
  assert.equal(small.fullfort, '<5');
  assert.equal(small.andel, null);
  assert.match(csv.text, /Fjellstua;<5;<5;<5;;;/);
  // The statistics view is a group view: it reads no one's data and is not
  // audited as a person's.
  assert.equal((await sqlite(srv.dbPath, 'SELECT count(*) FROM audit_log WHERE subject_employee_id IS NOT NULL')).trim(), '0');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('state-changing calls without the CSRF token are refused', async (t) => {
  const { srv, world, as } = await setup(t);
  const leader = await as({ employee: world.who.leader3.ext });
  const admin = await as({ user: 'admin' });
  const own = world.people.find((p) => p.unit === 3 && p.roles.length === 0);
  const cases = [
    [leader, 'POST', '/api/leder/oppmote', { kurs: 'phishing', type: 'personalmote', tittel: 'Møte', dato: '2024-05-02', enhet: 3, ansatte: [own.id] }],
    [leader, 'POST', '/api/leder/paminnelse', { ansatte: [own.id] }],
    [leader, 'PUT', `/api/hr/ansatt/${own.id}/laeringsmal`, { tekst: 'Lære mer', dato: '2024-05-02' }],
    [admin, 'PUT', '/api/kurs/phishing/oppmote', undefined],
    [admin, 'DELETE', '/api/kurs/phishing/oppmote', undefined],
  ];
  for (const [who, method, p, body] of cases) {
    const r = await call(srv.url, who, method, p, body, { csrf: false });
    assert.equal(r.status, 403, `${method} ${p}`);
    assert.equal(r.body.error, 'csrf', `${method} ${p}`);
    const wrong = await call(srv.url, { ...who, csrf: 'x'.repeat(43) }, method, p, body);
    assert.equal(wrong.status, 403, `${method} ${p} with a wrong token`);
  }
  assert.equal((await sqlite(srv.dbPath, 'SELECT (SELECT count(*) FROM statements) + (SELECT count(*) FROM learning_goals) + (SELECT count(*) FROM courses_attendance) + (SELECT count(*) FROM attendance_sessions) + (SELECT count(*) FROM mail_outbox)')).trim(), '0');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('every view or export of personal data leaves an audit record', async (t) => {
  const { srv, world, as } = await setup(t);
  const leader = await as({ employee: world.who.leader3.ext });
  const hr = await as({ employee: world.who.hr.ext });
  const ombud = await as({ employee: world.who.ombud.ext });
  const emp = world.people.find((p) => p.unit === 4);
  assert.equal((await call(srv.url, leader, 'GET', '/api/leder/enhet/3')).status, 200);
  assert.equal((await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}`)).status, 200);
  assert.equal((await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}/eksport?format=csv`)).status, 200);
  assert.equal((await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}/eksport?format=json`)).status, 200);
  assert.equal((await call(srv.url, hr, 'PUT', `/api/hr/ansatt/${emp.id}/laeringsmal`, { tekst: 'Bli trygg på deling', dato: '2024-03-01' })).status, 200);
  assert.equal((await call(srv.url, hr, 'GET', '/api/hr/eksport?format=csv')).status, 200);
  assert.equal((await call(srv.url, hr, 'GET', '/api/hr/ansatte?q=Kari')).status, 200);
  const log = await call(srv.url, ombud, 'GET', '/api/ombud/revisjonslogg');
  assert.equal(log.status, 200);
  const rows = await auditRows(srv);
  assert.deepEqual(rows, [
    'Lise Leder||leder_oversikt',
    `Hanne Hr|${emp.id}|hr_ansatt`,
    `Hanne Hr|${emp.id}|hr_eksport`,
    `Hanne Hr|${emp.id}|hr_eksport`,
    `Hanne Hr|${emp.id}|hr_laeringsmal_endret`,
    'Hanne Hr||hr_eksport_alle',
    'Hanne Hr||hr_sok',
    'Ola Ombud||ombud_revisjonslogg',
  ]);
  // The ombud sees who looked at whose data (the log itself was read before
  // its own record was added).
  assert.equal(log.body.totalt, 7);
  const seen = log.body.rader.find((r) => r.handling === 'hr_ansatt');
  assert.equal(seen.hvem, 'Hanne Hr');
  assert.equal(seen.hvis.navn, emp.name);
  // Refused requests leave no record.
  const before = rows.length;
  assert.equal((await call(srv.url, leader, 'GET', '/api/leder/enhet/6')).status, 403);
  assert.equal((await auditRows(srv)).length, before);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('nothing is sent when the audit record cannot be written', async (t) => {
  const { srv, world, as } = await setup(t);
  const hr = await as({ employee: world.who.hr.ext });
  const emp = world.people.find((p) => p.unit === 4);
  // Make the audit log refuse inserts (a full disk or a broken table looks the same to the handler).
  await sqlite(srv.dbPath, "CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  for (const p of [`/api/hr/ansatt/${emp.id}`, `/api/hr/ansatt/${emp.id}/eksport?format=csv`, '/api/leder/enhet/3', '/api/hr/eksport?format=json']) {
    const r = await call(srv.url, hr, 'GET', p);
    assert.equal(r.status, 503, p);
    assert.equal(r.body.error, 'audit_failed', p);
    assert.ok(!r.text.includes(emp.name), `${p} sent a name`);
  }
  const goals = await call(srv.url, hr, 'PUT', `/api/hr/ansatt/${emp.id}/laeringsmal`, { tekst: 'Mål', dato: '2024-03-01' });
  assert.equal(goals.status, 503);
  await sqlite(srv.dbPath, 'DROP TRIGGER audit_refuse;');
  assert.equal((await sqlite(srv.dbPath, 'SELECT count(*) FROM learning_goals')).trim(), '0', 'unaudited change not made');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
