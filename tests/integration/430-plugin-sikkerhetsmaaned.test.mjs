// 430-plugin-sikkerhetsmaaned: the bundled October campaign plugin. daily()
// assigns the lessons to every active employee while the campaign runs;
// the per-agency report counts headcount, assigned, started and completed
// per lesson and in total, the completion rate and the change from last
// year; the published variant suppresses groups under 5 people.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { activity, localSeconds, sqlExec, startWithPlugins } from './lib/plugins.mjs';

const LESSONS = ['informasjonssikkerhet-grunnkurs', 'phishing', 'personvern-grunnkurs', 'avvik'];
const Y = new Date().getFullYear() - 1;   // a campaign wholly in the past
const round = (x) => Math.floor(x * 1000 + 0.5) / 1000;

test('sikkerhetsmaaned assigns in October and reports per agency', async (t) => {
  const h = await startWithPlugins(t, { bundled: ['sikkerhetsmaaned'] });
  await h.importCsv(`unit_id,name,parent_id,agency
K,Kommunen,,nei
HO,Helse og omsorg,K,ja
HJ,Hjemmetjenesten,HO,nei
SK,Skole,K,ja
SM,Småtjenester,K,ja
`);
  const rows = [];
  for (let i = 1; i <= 6; i++) rows.push(`h${i},Helse ${i},${i <= 3 ? 'HJ' : 'HO'},2015-01-01`);
  rows.push(`h7,Helse ny,HJ,${Y + 1}-01-15`);
  for (let i = 1; i <= 5; i++) rows.push(`s${i},Skole ${i},SK,2015-01-01`);
  for (let i = 1; i <= 3; i++) rows.push(`m${i},Små ${i},SM,2015-01-01`);
  await h.importCsv(`employee_id,name,unit_id,start_date\n${rows.join('\n')}\n`);
  await h.events();

  // Outside the campaign daily assigns nothing; inside it assigns everyone.
  // (When this test runs in October, on_employee has assigned this year's
  // campaign already: start from none.)
  sqlExec(h.srv, 'DELETE FROM assignments');
  await h.daily(localSeconds(Y, 9, 20));
  assert.equal(h.assignments("a.plugin = 'sikkerhetsmaaned'").length, 0);
  await h.daily(localSeconds(Y, 10, 10));
  const assigned = h.assignments();
  assert.equal(assigned.length, 15 * LESSONS.length);
  for (const a of assigned) {
    assert.equal(a.due, `${Y}-10-31`);
    assert.equal(a.reason, `Sikkerhetsmåneden ${Y}`);
    assert.equal(a.plugin, 'sikkerhetsmaaned');
  }
  // Run again: nothing doubles.
  await h.daily(localSeconds(Y, 10, 11));
  assert.equal(h.assignments().length, 15 * LESSONS.length);

  const at = (y, m, d) => new Date(Date.UTC(y, m - 1, d, 12)).toISOString();
  const done = (who, lessons, ts) => lessons.map((l) => h.statement(who, 'completed', l, { timestamp: ts }));
  const statements = [];
  for (const who of ['h1', 'h2', 'h3', 'h4']) statements.push(...done(who, LESSONS, at(Y, 10, 15)));
  statements.push(...done('h5', ['phishing', 'avvik'], at(Y, 11, 2)));
  statements.push(h.statement('h6', 'experienced', 'urn:vern:kurs:personvern-grunnkurs/side-1', {
    timestamp: at(Y, 10, 20), context: { contextActivities: { parent: [{ id: activity('personvern-grunnkurs') }] } } }));
  statements.push(...done('h6', ['phishing'], at(Y, 9, 15)));  // before the campaign
  for (let i = 1; i <= 5; i++) statements.push(...done(`s${i}`, LESSONS, at(Y, 10, 25)));
  statements.push(...done('m1', LESSONS, at(Y, 12, 1)));
  for (const who of ['h1', 'h2']) statements.push(...done(who, LESSONS, at(Y - 1, 10, 15)));
  await h.statements(statements);

  const r = await h.report('sikkerhetsmaaned', 'agencies', { year: Y });
  assert.equal(r.status, 200, r.text);
  const rep = r.json;
  assert.equal(rep.campaign, `Sikkerhetsmåneden ${Y}`);
  assert.equal(rep.from, `${Y}-10-01`);
  assert.equal(rep.to, `${Y}-12-31`);
  assert.deepEqual(rep.courses, LESSONS);
  const by = Object.fromEntries(rep.agencies.map((a) => [a.agency, a]));
  assert.deepEqual(Object.keys(by).sort(), ['HO', 'SK', 'SM']);

  const ho = by.HO;
  assert.equal(ho.name, 'Helse og omsorg');
  assert.equal(ho.headcount, 6, 'h7 was hired after the campaign');
  assert.deepEqual(ho.modules, {
    'informasjonssikkerhet-grunnkurs': { assigned: 6, started: 4, completed: 4 },
    phishing: { assigned: 6, started: 5, completed: 5 },
    'personvern-grunnkurs': { assigned: 6, started: 5, completed: 4 },
    avvik: { assigned: 6, started: 5, completed: 5 },
  });
  assert.deepEqual(ho.total, { assigned: 24, started: 19, completed: 18 });
  assert.equal(ho.completed_all, 4);
  assert.equal(ho.completion_rate, round(4 / 6));
  assert.equal(ho.last_year_rate, round(2 / 6));
  assert.equal(ho.change, round(round(4 / 6) - round(2 / 6)));

  assert.equal(by.SK.headcount, 5);
  assert.equal(by.SK.completion_rate, 1);
  assert.equal(by.SK.last_year_rate, 0);
  assert.equal(by.SK.change, 1);
  assert.deepEqual(by.SK.total, { assigned: 20, started: 20, completed: 20 });
  assert.equal(by.SM.headcount, 3);
  assert.equal(by.SM.completion_rate, round(1 / 3));

  assert.equal(rep.total.name, 'Hele kommunen');
  assert.equal(rep.total.headcount, 14);
  assert.equal(rep.total.completed_all, 10);
  assert.equal(rep.total.completion_rate, round(10 / 14));
  assert.equal(rep.total.last_year_rate, round(2 / 14));
  assert.deepEqual(rep.total.modules.phishing, { assigned: 14, started: 11, completed: 11 });

  // Published: SM (3 people) is suppressed, and SK too, since SM could
  // otherwise be read off as total minus the others.
  const p = await h.report('sikkerhetsmaaned', 'agencies', { year: String(Y), published: 'true' });
  assert.equal(p.status, 200, p.text);
  const pub = Object.fromEntries(p.json.agencies.map((a) => [a.agency, a]));
  assert.deepEqual(pub.SM, { agency: 'SM', name: 'Småtjenester', suppressed: true });
  assert.deepEqual(pub.SK, { agency: 'SK', name: 'Skole', suppressed: true });
  assert.equal(pub.HO.headcount, 6);
  assert.equal(p.json.total.headcount, 14);
  assert.equal(p.json.published, true);
  assert.equal(p.json.min_group, 5);
  assert.ok(!JSON.stringify(p.json).includes('"s1"'));

  // Last year's report: only HO had completions; assignments are today's.
  const last = await h.report('sikkerhetsmaaned', 'agencies', { year: Y - 1 });
  const lastHo = last.json.agencies.find((a) => a.agency === 'HO');
  assert.equal(lastHo.completed_all, 2);
  assert.equal(lastHo.last_year_rate, 0);

  const bad = await h.report('sikkerhetsmaaned', 'agencies', { year: 'neste' });
  assert.equal(bad.status, 200, 'a non-number year means the latest campaign');
  const worse = await h.report('sikkerhetsmaaned', 'agencies', { year: 1800 });
  assert.equal(worse.status, 500);
  assert.match(worse.json.detail, /year must be a year/);

  // Without the campaign's courses in the catalogue the report says so.
  sqlExec(h.srv, 'DELETE FROM assignments; DELETE FROM completions; DELETE FROM completion_history; DELETE FROM course_starts; DELETE FROM courses');
  const none = await h.report('sikkerhetsmaaned', 'agencies', { year: Y });
  assert.equal(none.status, 500);
  assert.match(none.json.detail, /none of the campaign's courses are in the catalogue/);

  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
