// 715-views-plugins: the HR view's requirements from the appraisal plugin's
// report and the ombud's Sikkerhetsmåneden report from the sikkerhetsmaaned
// plugin, with the bundled plugins loaded. Still no names or ids in the
// ombud's report, and "<5" for small groups. Needs the plugin host
// (plugins/host.h); a binary built without it has nothing to test here.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, makeTempDir } from './lib/server.mjs';
import { call, hasPluginHost, seed, signIn, startSeeded } from './lib/views.mjs';

const withHost = await hasPluginHost();

test('HR requirements and the ombud report come from the bundled plugins', { skip: !withHost && 'this build has no plugin host' }, async (t) => {
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
