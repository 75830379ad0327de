// 715-views-plugins: the HR view's requirements from the appraisal plugin's
// report and the ombud's Sikkerhetsmåneden report from the sikkerhetsmaaned
// plugin, with the bundled plugins loaded. Still no names or ids in the
// ombud's report, and "<5" for small groups. And attendance counting as a
// completion (server/completions.c) where the admin allows it.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, makeTempDir } from './lib/server.mjs';
import { call, seed, signIn, sqlite, startSeeded } from './lib/views.mjs';

test('HR requirements and the ombud report come from the bundled plugins', async (t) => {
  const dir = makeTempDir();
  const world = await seed(dir);
  const srv = await startSeeded(t, dir, { plugins: true });
  const hr = await signIn(srv.url, { employee: world.who.hr.ext });
  const emp = world.people.find((p) => p.ext === 'S7-2');
  const rec = await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}`);
  assert.equal(rec.status, 200, rec.text);
  assert.equal(rec.body.kilde, 'appraisal');
  assert.ok(rec.body.krav.length >= 3);
  for (const k of rec.body.krav)
    assert.ok(['fullfort', 'utloper', 'utlopt', 'forfalt', 'ikke_fullfort'].includes(k.status), k.status);
  assert.ok(rec.body.krav.some((k) => k.kurs === 'personvern-grunnkurs'));
  const csv = await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}/eksport?format=csv`);
  assert.equal(csv.text.trim().split('\r\n').length, rec.body.krav.length + 1);

  const ombud = await signIn(srv.url, { employee: world.who.ombud.ext });
  const year = new Date().getFullYear() - 1;
  const rep = await call(srv.url, ombud, 'GET', `/api/ombud/rapport?aar=${year}`);
  assert.equal(rep.status, 200, rep.text);
  assert.match(rep.body.kilde, /sikkerhetsmaaned/);
  assert.equal(rep.body.kampanje.navn, `Sikkerhetsmåneden ${year}`);
  const small = rep.body.virksomheter.find((v) => v.virksomhet === 'Fjellstua');
  assert.equal(small.ansatte, '<5');
  for (const p of world.people) {
    assert.ok(!rep.text.includes(p.name), `name ${p.name} leaked`);
    assert.ok(!new RegExp(`\\b${p.ext}\\b`).test(rep.text), `external id ${p.ext} leaked`);
  }
  assert.ok(!/"agency"|"id"|external/.test(rep.text), 'no ids of any kind');
  const repCsv = await call(srv.url, ombud, 'GET', `/api/ombud/rapport?aar=${year}&format=csv`);
  assert.match(repCsv.text, /Fjellstua;<5;;<5;;;/);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('attendance counts as a completion only where the admin allows it', async (t) => {
  const dir = makeTempDir();
  const world = await seed(dir);
  const srv = await startSeeded(t, dir);
  const leader = await signIn(srv.url, { employee: world.who.leader3.ext });
  const admin = await signIn(srv.url, { user: 'admin' });
  const [a, b] = world.people.filter((p) => p.unit === 4 && p.id % 4 === 1); // no phishing completion in the seed
  const completion = async (p) => (await sqlite(srv.dbPath,
    `SELECT completed_ms || '|' || coalesce(expires_ms, '') FROM completions WHERE employee_id = ${p.id} AND course_id = 'phishing'`)).trim();
  const today = new Date();
  const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  const body = (p) => ({ kurs: 'phishing', type: 'klasserom', tittel: 'Phishing i praksis', dato: day, enhet: 3, ansatte: [p.id] });

  let r = await call(srv.url, leader, 'POST', '/api/leder/oppmote', body(a));
  assert.equal(r.status, 201);
  assert.equal(r.body.teller, false);
  assert.equal(await completion(a), '', 'not marked: attendance alone does not complete the course');

  assert.equal((await call(srv.url, admin, 'PUT', '/api/kurs/phishing/oppmote')).status, 200);
  r = await call(srv.url, leader, 'POST', '/api/leder/oppmote', body(b));
  assert.equal(r.body.teller, true);
  const [done, expires] = (await completion(b)).split('|').map(Number);
  assert.equal(new Date(done).toISOString().slice(0, 10), day);
  assert.ok(expires > done, 'expires after valid_months');
  const d = await call(srv.url, leader, 'GET', '/api/leder/enhet/4');
  assert.equal(d.body.ansatte.find((x) => x.id === b.id).status[d.body.kurs.findIndex((k) => k.id === 'phishing')], 'fullfort');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
