// 520-mail-campaign: a campaign to 2,000 employees through a real SMTP
// server on 127.0.0.1 (aiosmtpd). Every employee gets exactly one lesson
// email, each a well-formed MIME message naming them and carrying their own
// link. For a sample, headless Chromium opens the link, presses Start, plays
// the bundled lesson in Vern's player to the end; the completion shows as
// xAPI statements, in the campaign's numbers and the leader's, and stops
// that employee's reminders and digest lines. Then reminders go to the rest
// and each leader gets one digest listing exactly their overdue staff.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, assertNoSanitizerFindings, makeTempDir, runVern, startServer } from './lib/server.mjs';
import { addLrsClient, lrsHandle } from './lib/lrs.mjs';
import { freePort, launchBrowser } from './lib/courses.mjs';
import {
  adminSession, api, ensureCourses, makeOrg, readToken, sinkArgs, sql, startSink, testSession, tokenOf, waitFor,
} from './lib/mail.mjs';

const N = 2000;
const DAY = 86400000;
const COURSE = 'phishing';

/** Local time of the first Monday at 09:00 after ms. */
function mondayAfter(ms) {
  const d = new Date(ms);
  d.setHours(9, 0, 0, 0);
  do d.setDate(d.getDate() + 1); while (d.getDay() !== 1);
  return d.getTime();
}

async function playCourse(page, course) {
  for (const [i, m] of course.modules.entries()) {
    if (i > 0) await page.locator(`#outline button[data-item$=":modul:${m.id}"]`).click();
    const frame = page.frameLocator('#frame');
    await frame.locator('#au-framdrift-tekst').waitFor({ state: 'visible', timeout: 30000 });
    for (let n = 0; n < 60 && await frame.locator('#au-neste').isVisible(); n++) await frame.locator('#au-neste').click();
    for (const q of (m.quiz && m.quiz.questions) || []) {
      const form = frame.locator(`form[data-question="${q.id}"]`);
      for (const o of q.options.filter((x) => x.correct)) await form.locator(`#q_${q.id}_${o.id}`).check();
      await form.locator('.au-check').click();
    }
    await frame.locator('#au-avslutt').click();
    await page.waitForFunction((id) => document.querySelector(`#outline button[data-item$=":modul:${id}"] .mark`)?.textContent === '✓', m.id, { timeout: 30000 });
  }
  await page.locator('#progress', { hasText: 'Kurset er fullført' }).waitFor({ timeout: 30000 });
}

test('campaign to 2,000 employees: delivery, MIME, links played in Chromium, reminders, digests', { timeout: 900000 }, async (t) => {
  const sink = await startSink(t);
  const dir = makeTempDir('vern-campaign-');
  const dbPath = path.join(dir, 'vern.db');
  let r = await runVern(['migrate', '--db', dbPath]);
  assert.equal(r.code, 0, r.stderr);
  r = await runVern(['course', 'import', path.join(ROOT, 'courses', COURSE), '--db', dbPath, '--data', path.join(dir, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  const course = JSON.parse(fs.readFileSync(path.join(ROOT, 'courses', COURSE, 'course.json'), 'utf8'));
  await ensureCourses(dbPath);
  const org = await makeOrg(dbPath, { employees: N });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const srv = await startServer({
    t, dir,
    args: sinkArgs(sink, ['--listen', `127.0.0.1:${port}`, '--public-url', base, '--content-origin', `http://localhost:${port}`,
      '--mail-rate-per-minute', '0', '--mail-connections', '4', '--mail-tick-seconds', '1']),
  });
  const admin = await adminSession(srv.url, dbPath);

  // A schedule: one lesson each Monday in October (a draft, checked and deleted).
  r = await api(srv.url, admin, 'POST', '/api/campaigns', {
    name: 'Sikkerhetsmåneden 2027', audience: { roles: ['ansatt'] },
    lessons: ['phishing', 'avvik', 'taushetsplikt', 'informasjonssikkerhet-grunnkurs'].map((c) => ({ course: c })),
    schedule: { start: '2027-10-04', every_days: 7, time: '08:00' },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body.lessons.map((l) => l.send_at), ['2027-10-04T08:00', '2027-10-11T08:00', '2027-10-18T08:00', '2027-10-25T08:00']);
  assert.equal((await api(srv.url, admin, 'DELETE', `/api/campaigns/${r.body.id}`)).status, 204);

  r = await api(srv.url, admin, 'POST', '/api/campaigns', {
    name: 'Sikkerhetsmåneden', audience: {}, lessons: [{ course: COURSE }, { course: 'avvik', send_at: '2099-10-05' }],
    due_days: 14, reminder_days: 7, max_reminders: 1, digest: { weekday: 1, hour: 8 },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const campaign = r.body.id;
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${campaign}/preview`);
  assert.equal(r.status, 200);
  assert.equal(r.body.audience, N);
  assert.equal(r.body.lessons[0].recipients, N);
  assert.equal(r.body.email.subject, 'Svindel og phishing på e-post – en kort leksjon fra kommunen');
  assert.match(r.body.email.text, /Hei Kari,/);
  assert.match(r.body.email.text, /\/e\/eksempel/);

  const t0 = Date.now();
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${campaign}/start`);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'active');
  await waitFor(() => sink.count() >= N, { ms: 300000, step: 250, what: `${N} lesson emails` });
  const seconds = (Date.now() - t0) / 1000;
  t.diagnostic(`${N} lesson emails delivered in ${seconds.toFixed(1)} s (${(N / seconds).toFixed(0)}/s, shared machine)`);
  await new Promise((res) => setTimeout(res, 1000));
  assert.equal(sink.count(), N, 'more emails than employees');

  // Each message is well-formed MIME, names its employee and carries their link.
  const mails = await sink.check();
  assert.equal(mails.length, N);
  const seen = new Set();
  for (const m of mails) {
    assert.deepEqual(m.problems, [], `${m.file}: ${m.problems}`);
    const p = org.byEmail.get(m.to);
    assert.ok(p, `an email to a stranger: ${m.to}`);
    assert.ok(!seen.has(m.to), `two emails to ${m.to}`);
    seen.add(m.to);
    assert.equal(m.to_name, p.name);
    assert.equal(m.from, 'Vern Demo kommune <vern@demo.test>');
    assert.equal(m.subject, 'Svindel og phishing på e-post – en kort leksjon fra kommunen');
    assert.ok(m.text.startsWith(`Hei ${p.name.split(' ')[0]},`), m.text.slice(0, 40));
    assert.equal(m.headers['Auto-Submitted'], 1);
    assert.equal(m.headers['List-Unsubscribe'], undefined);
    assert.equal(m.links_text.length, 1);
    assert.deepEqual(m.links_html, m.links_text);
    const tok = readToken(tokenOf(m.links_text[0]));
    assert.equal(tok.employeeId, p.id);
    assert.equal(tok.campaignId, campaign);
    assert.equal(tok.course, COURSE);
    p.link = m.links_text[0];
  }
  assert.equal(new Set(mails.map((m) => m.message_id)).size, N);
  r = await api(srv.url, admin, 'GET', `/api/campaigns/${campaign}`);
  assert.equal(r.body.stats.employees, N);
  assert.equal(r.body.stats.emails.sent, N);
  assert.equal(r.body.stats.lessons[0].recipients, N);
  assert.equal(await sql(dbPath, `SELECT count(*) FROM assignments WHERE course_id = '${COURSE}'`), String(N));

  // A sample plays the lesson from the email link in Chromium.
  const leaf = org.leaves[3];
  const leader = org.people.find((p) => p.unit === leaf && p.roles === 'leder');
  const staff = org.people.filter((p) => p.unit === leaf && p.roles === 'ansatt');
  const sample = [staff[0], staff[1], org.people.find((p) => p.unit === org.leaves[7] && p.roles === 'ansatt')];
  const browser = await launchBrowser();
  t.after(() => browser.close());
  for (const p of sample) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(p.link);
    assert.equal(await page.locator('h1').textContent(), 'Svindel og phishing på e-post');
    assert.equal((await context.cookies()).length, 0, 'opening the link signed in');
    await page.locator('button', { hasText: 'Start' }).click();
    await page.waitForURL(`${base}/learn/${COURSE}`);
    const [cookie] = await context.cookies(base);
    assert.equal(cookie.name, 'vern_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    await playCourse(page, course);
    assert.deepEqual(errors, []);
    await context.close();
  }

  // The completions, as xAPI statements and as numbers.
  const client = await addLrsClient(srv, { name: 'reader', scope: 'all' });
  const lrs = lrsHandle(srv, client, '1.0.3');
  for (const p of sample) {
    const agent = JSON.stringify({ objectType: 'Agent', account: { homePage: base, name: p.external_id } });
    const stmts = await waitFor(async () => {
      const res = await lrs.xapi(`statements?agent=${encodeURIComponent(agent)}&limit=200`);
      const list = res.json.statements;
      return list.some((s) => /\/(satisfied|completed|passed)$/.test(s.verb.id) && s.object.id === course.activity_id) ? list : null;
    }, { what: `${p.name}'s completion statement` });
    assert.ok(stmts.every((s) => s.actor.account.name === p.external_id));
  }
  await waitFor(async () => (await sql(dbPath, `SELECT count(*) FROM completions WHERE course_id = '${COURSE}'`)) === '3',
    { what: 'three completions' });
  r = await api(srv.url, admin, 'GET', `/api/campaigns/${campaign}`);
  assert.equal(r.body.stats.lessons[0].started, 3);
  assert.equal(r.body.stats.lessons[0].completed, 3);

  // The leader's numbers (the leader dashboard, views): their unit shows the two completions.
  const leaderSession = await testSession(srv.url, { employee: leader.external_id, scope: 'full' });
  const unitId = Number(await sql(dbPath, `SELECT id FROM org_units WHERE external_id = '${leaf}'`));
  r = await api(srv.url, leaderSession, 'GET', `/api/leder/enhet/${unitId}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const k = r.body.totalt.kurs[COURSE];
  assert.equal(k.krav, staff.length + 1, 'every employee of the unit has the lesson as a requirement');
  assert.equal(k.fullfort, 2);

  // Reminders: a week later, everyone who has not completed.
  const sent0 = sink.count();
  r = await api(srv.url, admin, 'POST', '/api/test/mail-tick', { now_ms: Date.now() + 7 * DAY + 60000 });
  assert.equal(r.status, 200);
  assert.equal(r.body.queued, N - 3);
  await waitFor(() => sink.count() >= sent0 + N - 3, { ms: 300000, step: 250, what: 'the reminders' });
  r = await api(srv.url, admin, 'POST', '/api/test/mail-tick', { now_ms: Date.now() + 8 * DAY });
  assert.equal(r.body.queued, 0, 'max_reminders 1: no second reminder');
  const reminders = await sink.check(sink.entries().slice(sent0).map((e) => e.file));
  const completed = new Set(sample.map((p) => p.email));
  for (const m of reminders) {
    assert.deepEqual(m.problems, []);
    assert.equal(m.subject, 'Påminnelse: Svindel og phishing på e-post');
    assert.ok(!completed.has(m.to), `a reminder to ${m.to}, who has completed`);
    assert.equal(readToken(tokenOf(m.links_text[0])).employeeId, org.byEmail.get(m.to).id);
  }
  assert.equal(new Set(reminders.map((m) => m.to)).size, N - 3);

  // Digests: after the deadline, on a Monday, one email per leader with staff overdue.
  const sent1 = sink.count();
  const monday = mondayAfter(Date.now() + 15 * DAY);
  r = await api(srv.url, admin, 'POST', '/api/test/mail-tick', { now_ms: monday });
  const leaders = org.people.filter((p) => p.roles !== 'ansatt');
  assert.equal(r.body.queued, leaders.length, 'one digest per leader');
  r = await api(srv.url, admin, 'POST', '/api/test/mail-tick', { now_ms: monday + 3600000 });
  assert.equal(r.body.queued, 0, 'a second digest the same week');
  await waitFor(() => sink.count() >= sent1 + leaders.length, { what: 'the digests' });
  const digests = await sink.check(sink.entries().slice(sent1).map((e) => e.file));
  const mine = digests.find((m) => m.to === leader.email);
  assert.deepEqual(mine.problems, []);
  const expected = staff.slice(2);
  assert.equal(mine.subject, `Ukeoversikt: ${expected.length} av dine ansatte har passert fristen`);
  for (const p of expected) assert.ok(mine.text.includes(`- ${p.name}: Svindel og phishing på e-post`), p.name);
  for (const p of [staff[0], staff[1], sample[2]]) assert.ok(!mine.text.includes(p.name), `${p.name} is listed`);
  assert.match(mine.html, /<th scope="col"[^>]*>Navn<\/th>/);
  const names = [...mine.text.matchAll(/^- (.+): Svindel/gm)].map((x) => x[1]);
  assert.equal(names.length, expected.length, 'someone from another unit is listed');
  const top = org.people.find((p) => p.roles === 'kommunaldirektor');
  const topMail = digests.find((m) => m.to === top.email);
  assert.equal([...topMail.text.matchAll(/^- /gm)].length, 5, 'the top leader lists the five agency leaders');

  r = await api(srv.url, admin, 'GET', `/api/campaigns/${campaign}`);
  assert.equal(r.body.stats.emails.failed, 0);
  assert.equal(r.body.stats.emails.queued, 0);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
