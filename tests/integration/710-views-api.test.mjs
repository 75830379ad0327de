// 710-views-api: what the leader, HR and ombud endpoints answer: the
// dashboard's counts, drill-down and trend; attendance as xAPI "attended"
// statements with the leader as instructor; the admin's attendance marker;
// learning goals and exports; the ombud's year-over-year statistics; and a
// clear 4xx for every malformed or hostile input.

import test from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, makeTempDir } from './lib/server.mjs';
import { call, seed, signIn, sqlite, startSeeded } from './lib/views.mjs';

async function setup(t) {
  const dir = makeTempDir();
  const world = await seed(dir);
  const srv = await startSeeded(t, dir);
  return { srv, world, as: (who) => signIn(srv.url, who) };
}

test('dashboard: counts per course over the subtree, child units, own staff, overdue, trend', async (t) => {
  const { srv, world, as } = await setup(t);
  const leader = await as({ employee: world.who.leader3.ext });
  const { status, body: d } = await call(srv.url, leader, 'GET', '/api/leder/enhet/3');
  assert.equal(status, 200);
  assert.deepEqual(d.enhet, { id: 3, navn: 'Solbakken skole', virksomhet: true });
  assert.deepEqual(d.sti.map((c) => [c.navn, c.tilgang]), [['Testvik kommune', false], ['Oppvekst', false], ['Solbakken skole', true]]);
  const inTree = world.people.filter((p) => p.unit === 3 || p.unit === 4);
  assert.equal(d.totalt.ansatte, inTree.length);
  // Cross-check the basic course against the seed's own rule.
  const basic = d.totalt.kurs['personvern-grunnkurs'];
  assert.equal(basic.krav, inTree.length);
  const valid = inTree.filter((p) => p.id % 3 !== 0 && p.id % 5 !== 0).length;
  assert.equal(basic.fullfort, valid);
  assert.equal(basic.forsinket, inTree.length - valid, 'the basic course was due 30 days ago');
  assert.equal(d.totalt.kurs['personvern-for-ledere'].krav, 1);
  assert.deepEqual(d.underenheter.map((u) => [u.navn, u.ansatte]), [['Solbakken SFO', 6]]);
  assert.equal(d.ansatte.length, world.people.filter((p) => p.unit === 3).length, 'own staff only');
  const lise = d.ansatte.find((a) => a.navn === 'Lise Leder');
  assert.equal(lise.status.length, d.kurs.length);
  assert.equal(lise.status.filter(Boolean).length, 4);
  assert.ok(d.ansatte.every((a) => a.status.length === d.kurs.length && a.frist.length === d.kurs.length));
  assert.equal(d.forsinket_totalt, inTree.length - valid);
  assert.ok(d.forsinket.every((r) => ['utlopt', 'forfalt'].includes(r.status)));
  assert.equal(d.trend.length, 12);
  const last = d.trend[11];
  const met = Object.values(d.totalt.kurs).reduce((s, k) => s + k.fullfort, 0);
  const req = Object.values(d.totalt.kurs).reduce((s, k) => s + k.krav, 0);
  assert.equal(last.krav, req);
  assert.equal(last.fullfort, met, 'the last point is today');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('attendance: attended statements with the leader as instructor; the admin marker', async (t) => {
  const { srv, world, as } = await setup(t);
  const leader = await as({ employee: world.who.leader3.ext });
  const admin = await as({ user: 'admin' });
  const staff = world.people.filter((p) => p.unit === 4).slice(0, 3);
  const base = { kurs: 'phishing', type: 'dilemmatrening', tittel: 'Dilemmatrening: deling av elevopplysninger', dato: '2024-05-02', enhet: 3 };

  let r = await call(srv.url, leader, 'GET', '/api/kurs/oppmote');
  assert.equal(r.body.kurs.find((k) => k.id === 'phishing').oppmote, false);
  assert.equal((await call(srv.url, leader, 'PUT', '/api/kurs/phishing/oppmote')).status, 403);
  r = await call(srv.url, admin, 'PUT', '/api/kurs/phishing/oppmote');
  assert.deepEqual(r.body, { id: 'phishing', oppmote: true });
  assert.equal((await call(srv.url, admin, 'PUT', '/api/kurs/finnes-ikke/oppmote')).status, 404);

  r = await call(srv.url, leader, 'POST', '/api/leder/oppmote', { ...base, ansatte: staff.map((p) => p.id) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.registrert, 3);
  assert.equal(r.body.teller, true);
  assert.match(r.body.aktivitet, /^urn:vern:okt:[0-9a-f-]{36}$/);
  const rows = (await sqlite(srv.dbPath, "SELECT full FROM statements WHERE verb = 'http://adlnet.gov/expapi/verbs/attended'")).trim().split('\n');
  assert.equal(rows.length, 3);
  const s = JSON.parse(rows[0]);
  assert.equal(s.object.id, 'urn:vern:kurs:phishing');
  assert.equal(s.verb.id, 'http://adlnet.gov/expapi/verbs/attended');
  assert.equal(s.context.instructor.account.name, world.who.leader3.ext);
  assert.equal(s.context.contextActivities.grouping[0].id, r.body.aktivitet);
  assert.equal(s.timestamp.slice(0, 10), '2024-05-02');
  assert.ok(staff.some((p) => p.ext === s.actor.account.name));
  assert.equal(s.authority.account.name, 'vern');

  const list = await call(srv.url, leader, 'GET', '/api/leder/oppmote?enhet=3');
  assert.equal(list.body.okter.length, 1);
  assert.equal(list.body.okter[0].deltakere, 3);
  assert.equal(list.body.okter[0].type_navn, 'Dilemmatrening');

  // Hostile and malformed registrations: a clear 4xx, nothing stored.
  const bad = [
    [{ ...base, ansatte: [] }, 400],
    [{ ...base, ansatte: [staff[0].id, staff[0].id] }, 400],
    [{ ...base, ansatte: ['1'] }, 400],
    [{ ...base, ansatte: [99999] }, 403],
    [{ ...base, type: 'fest', ansatte: [staff[0].id] }, 400],
    [{ ...base, tittel: '', ansatte: [staff[0].id] }, 400],
    [{ ...base, tittel: 'x'.repeat(201), ansatte: [staff[0].id] }, 400],
    [{ ...base, dato: '2024-02-30', ansatte: [staff[0].id] }, 400],
    [{ ...base, dato: '2999-01-01', ansatte: [staff[0].id] }, 400],
    [{ ...base, kurs: 'finnes-ikke', ansatte: [staff[0].id] }, 404],
    [{ ...base, enhet: '3', ansatte: [staff[0].id] }, 400],
    [{ ...base, ansatte: Array.from({ length: 501 }, (_, i) => i + 1) }, 400],
    [[1, 2, 3], 400],
  ];
  for (const [body, want] of bad) {
    const x = await call(srv.url, leader, 'POST', '/api/leder/oppmote', body);
    assert.equal(x.status, want, JSON.stringify(body).slice(0, 120));
    assert.ok(x.body.error && x.body.detail, 'a JSON error with a detail');
  }
  const raw = await fetch(`${srv.url}/api/leder/oppmote`, { method: 'POST', headers: { cookie: leader.cookie, 'x-csrf-token': leader.csrf, 'content-type': 'application/json' }, body: '{"kurs": ' });
  assert.equal(raw.status, 400);
  assert.equal((await sqlite(srv.dbPath, 'SELECT (SELECT count(*) FROM statements) || \'/\' || (SELECT count(*) FROM attendance_sessions)')).trim(), '3/1');
  // Changing the marker afterwards recounts attendance registered before.
  const fromAttendance = async () => Number((await sqlite(srv.dbPath, "SELECT count(*) FROM completion_history h"
    + " JOIN statements s ON s.id = h.statement_id WHERE h.course_id = 'phishing'"
    + " AND s.verb = 'http://adlnet.gov/expapi/verbs/attended'")).trim());
  assert.equal(await fromAttendance(), 3);
  assert.equal((await call(srv.url, admin, 'DELETE', '/api/kurs/phishing/oppmote')).body.oppmote, false);
  assert.equal(await fromAttendance(), 0, 'unmarked: attendance no longer counts');
  const more = world.people.filter((p) => p.unit === 4).slice(3, 5);
  r = await call(srv.url, leader, 'POST', '/api/leder/oppmote', { ...base, dato: '2024-06-03', ansatte: more.map((p) => p.id) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.teller, false);
  assert.equal(await fromAttendance(), 0);
  assert.equal((await call(srv.url, admin, 'PUT', '/api/kurs/phishing/oppmote')).body.oppmote, true);
  assert.equal(await fromAttendance(), 5, 'marked: all attendance registered before counts');
  const done = await sqlite(srv.dbPath, `SELECT count(*) FROM completions WHERE course_id = 'phishing' AND employee_id IN (${more.map((p) => p.id).join(',')})`);
  assert.equal(done.trim(), '2');
  assert.equal((await call(srv.url, admin, 'DELETE', '/api/kurs/phishing/oppmote')).body.oppmote, false);
  assert.equal(await fromAttendance(), 0);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('HR: employee record, learning goals, exports', async (t) => {
  const { srv, world, as } = await setup(t);
  const hr = await as({ employee: world.who.hr.ext });
  const emp = world.who.leader6;
  let r = await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.ansatt.navn, 'Leif Lia');
  assert.deepEqual(r.body.ansatt.roller, ['Ansatt', 'Virksomhetsleder']);
  assert.equal(r.body.krav.length, 4);
  assert.equal(r.body.oppsummering.krav, 4);
  assert.equal(r.body.laeringsmal, null);
  for (const [body, want] of [[{ tekst: 'x', dato: '2999-01-01' }, 400], [{ tekst: 'x' }, 400], [{ tekst: 5, dato: '2024-01-01' }, 400],
    [{ tekst: 'x'.repeat(4001), dato: '2024-01-01' }, 400], [[], 400]])
    assert.equal((await call(srv.url, hr, 'PUT', `/api/hr/ansatt/${emp.id}/laeringsmal`, body)).status, want, JSON.stringify(body).slice(0, 80));
  r = await call(srv.url, hr, 'PUT', `/api/hr/ansatt/${emp.id}/laeringsmal`, { tekst: 'Lede en dilemmatrening; «ta ansvar»', dato: '2024-02-01' });
  assert.equal(r.status, 200);
  r = await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}`);
  assert.equal(r.body.laeringsmal.tekst, 'Lede en dilemmatrening; «ta ansvar»');
  assert.equal(r.body.laeringsmal.endret_av, 'Hanne Hr');
  assert.equal((await call(srv.url, hr, 'GET', '/api/hr/ansatt/abc')).status, 400);
  assert.equal((await call(srv.url, hr, 'GET', '/api/hr/ansatt/99999')).status, 404);
  assert.equal((await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}/eksport?format=xml`)).status, 400);
  const csv = await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}/eksport?format=csv`);
  assert.match(csv.headers.get('content-disposition'), /attachment; filename="vern-ansatt-\d+\.csv"/);
  assert.equal(csv.text.trim().split('\r\n').length, 5);
  const all = await call(srv.url, hr, 'GET', '/api/hr/eksport?format=json');
  assert.equal(all.body.rader.length, world.people.reduce((s, p) => s + (p.roles.some((x) => ['leder', 'virksomhetsleder'].includes(x)) ? 4 : 3), 0));
  const unit = await call(srv.url, hr, 'GET', '/api/hr/eksport?format=csv&enhet=6');
  assert.equal(unit.text.trim().split('\r\n').length - 1, world.people.filter((p) => p.unit === 6 || p.unit === 7)
    .reduce((s, p) => s + (p.roles.length ? 4 : 3), 0));
  // A name that looks like a formula is neutralised in CSV.
  await sqlite(srv.dbPath, `UPDATE employees SET name = '=HYPERLINK("http://x")' WHERE id = ${emp.id}`);
  const evil = await call(srv.url, hr, 'GET', `/api/hr/ansatt/${emp.id}/eksport?format=csv`);
  assert.match(evil.text, /;"'=HYPERLINK\(""http:\/\/x""\)";/);
  assert.equal((await call(srv.url, hr, 'GET', '/api/hr/ansatte?q=a')).status, 400, 'two characters at least');
  assert.equal((await call(srv.url, hr, 'GET', `/api/hr/ansatte?q=${'x'.repeat(300)}`)).status, 400);
  assert.equal((await call(srv.url, hr, 'GET', '/api/hr/ansatte?q=%25%25')).body.ansatte.length <= 50, true, 'LIKE wildcards match, capped at 50');
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('reminders: one email per outstanding course in the mail outbox, only to own staff', async (t) => {
  const { srv, world, as } = await setup(t);
  const leader = await as({ employee: world.who.leader3.ext });
  const own = world.people.filter((p) => p.unit === 3 && !p.roles.length);
  for (const [body, want] of [[{}, 400], [{ ansatte: [] }, 400], [{ ansatte: [-1] }, 400], [{ ansatte: [own[0].id], kurs: 'nope' }, 404], [{ ansatte: [own[0].id], kurs: 7 }, 400]])
    assert.equal((await call(srv.url, leader, 'POST', '/api/leder/paminnelse', body)).status, want, JSON.stringify(body));
  // Everyone in the seed has the phishing course outstanding unless id % 4 != 1 completed it.
  const r = await call(srv.url, leader, 'POST', '/api/leder/paminnelse', { ansatte: own.map((p) => p.id), kurs: 'phishing' });
  assert.equal(r.status, 200, r.text);
  const behind = own.filter((p) => p.id % 4 === 1);
  assert.equal(r.body.ansatte, behind.length);
  assert.equal(r.body.eposter, behind.length);
  assert.equal(r.body.hoppet_over, own.length - behind.length);
  assert.deepEqual(r.body.feil, []);
  assert.match(r.body.levering, /ikke satt opp/, 'no SMTP in the test: queued, and the leader is told');
  const rows = (await sqlite(srv.dbPath, "SELECT employee_id || '|' || course_id || '|' || kind || '|' || to_addr FROM mail_outbox ORDER BY employee_id")).trim().split('\n').filter(Boolean);
  assert.deepEqual(rows, behind.map((p) => `${p.id}|phishing|reminder|${p.ext.toLowerCase()}@testvik.kommune.no`));
  // Without a course: every requirement not met, one email each.
  const one = own.find((p) => p.id % 3 === 0);
  const all = await call(srv.url, leader, 'POST', '/api/leder/paminnelse', { ansatte: [one.id] });
  assert.equal(all.status, 200);
  assert.ok(all.body.eposter >= 1);
  // No email address: reported, not hidden.
  await sqlite(srv.dbPath, `UPDATE employees SET email = NULL WHERE id = ${behind[0].id}`);
  const noMail = await call(srv.url, leader, 'POST', '/api/leder/paminnelse', { ansatte: [behind[0].id], kurs: 'informasjonssikkerhet-grunnkurs' });
  assert.equal(noMail.status, 200);
  assert.equal(noMail.body.feil.length, behind[0].id % 2 === 0 ? 0 : 1);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('ombud statistics: year over year from completion history, bad years refused', async (t) => {
  const { srv, world, as } = await setup(t);
  const ombud = await as({ employee: world.who.ombud.ext });
  const year = new Date().getFullYear();
  const r = await call(srv.url, ombud, 'GET', `/api/ombud/rapport?aar=${year}`);
  const lia = r.body.virksomheter.find((v) => v.virksomhet === 'Lia sykehjem');
  const people = world.people.filter((p) => p.unit === 6 || p.unit === 7);
  assert.equal(lia.ansatte, people.length);
  // Last year: the seed gave every third person (id % 3 == 1) all their courses.
  assert.equal(lia.andel_i_fjor, people.filter((p) => p.id % 3 === 1).length / people.length);
  assert.ok(Math.abs(lia.endring - (lia.andel - lia.andel_i_fjor)) < 1e-9);
  assert.equal(r.body.totalt.ansatte, world.people.length);
  for (const y of ['1999', String(year + 1), 'abc', '2024x'])
    assert.equal((await call(srv.url, ombud, 'GET', `/api/ombud/rapport?aar=${y}`)).status, 400, y);
  assert.equal((await call(srv.url, ombud, 'GET', '/api/ombud/rapport?format=pdf')).status, 400);
  assert.equal((await call(srv.url, ombud, 'GET', '/api/ombud/revisjonslogg?side=0')).status, 400);
  assert.equal((await call(srv.url, ombud, 'GET', '/api/ombud/revisjonslogg?fra=2024-13-01')).status, 400);
  const log = await call(srv.url, ombud, 'GET', '/api/ombud/revisjonslogg?fra=2000-01-01&til=2000-01-02');
  assert.equal(log.body.totalt, 0);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
