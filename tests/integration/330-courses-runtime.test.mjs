// 330-courses-runtime: the player's API and the run-time without a browser:
// content served only from the content origin with its CSP, byte ranges
// and validators; SCORM commits and resume data; a new version of a
// course keeps attempts where they were and new attempts use it; the cmi5
// token held to its AU session's rules; waivers.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import {
  allStatements, importZip, lrsReader, signIn, startCourseServer,
} from './lib/courses.mjs';
import { cmi5Entries, scorm12Entries } from './lib/packages.mjs';

const verb = (s) => s.verb.id.replace(/^.*\//, '');

async function call(ctx, session, method, path, body) {
  const headers = { Cookie: session.cookie, 'X-CSRF-Token': session.csrf };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(ctx.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

/** The inlined launch data of a SCORM run-time host page. */
async function hostData(url) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const html = await res.text();
  return { data: JSON.parse(/<script type="application\/json" id="vern-launch">(.*?)<\/script>/s.exec(html)[1]), res };
}

async function commit(url, cmi, query = '') {
  const res = await fetch(`${url}/commit${query}`, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({ cmi }) });
  return { status: res.status, json: await res.json() };
}

describe('course run-time', { timeout: 120000 }, () => {
  const cleanups = [];
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });
  let ctx, kari, per, admin, lrs;

  test('setup', async () => {
    ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) });
    const r = await importZip(ctx, 'v1.zip', scorm12Entries({ title: 'Versjon 1' }), ['--id', 'pv']);
    assert.equal(r.code, 0, r.stderr);
    const c = await importZip(ctx, 'cmi5.zip', cmi5Entries(), ['--id', 'c5']);
    assert.equal(c.code, 0, c.stderr);
    kari = await signIn(ctx.base, { employee: '5001', scope: 'full' });
    per = await signIn(ctx.base, { employee: '5003', scope: 'full' });
    admin = await signIn(ctx.base, { user: 'admin', scope: 'full' });
    lrs = await lrsReader(ctx);
  });

  test('the player needs a session; its page frames only the content origin', async () => {
    const res = await fetch(`${ctx.base}/learn/pv`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/logg-inn?neste=/learn/pv');
    assert.equal((await fetch(`${ctx.base}/api/learn/pv`)).status, 401);
    const page = await fetch(`${ctx.base}/learn/pv`, { headers: { Cookie: kari.cookie } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy'), new RegExp(`frame-src ${ctx.content};`));
    assert.match(await page.text(), /sandbox="allow-scripts allow-same-origin/);
    assert.equal((await call(ctx, kari, 'GET', '/api/learn/nope')).status, 404);
    assert.equal((await call(ctx, { ...kari, csrf: 'bad' }, 'POST', '/api/learn/pv/launch', {})).status, 403);
  });

  let url1;
  test('SCORM: launch, initialize, commit, and resume data', async () => {
    const l = await call(ctx, kari, 'POST', '/api/learn/pv/launch', {});
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.item, 'leksjon');
    assert.ok(l.json.url.startsWith(`${ctx.content}/content-run/`));
    url1 = l.json.url;
    const { data, res } = await hostData(url1);
    assert.match(res.headers.get('content-security-policy'), new RegExp(`frame-ancestors ${ctx.base} ${ctx.content}`));
    assert.equal(res.headers.get('x-frame-options'), null);
    assert.equal(data.cmi.core.entry, 'ab-initio');
    assert.equal(data.cmi.core.student_id, '5001');
    assert.equal(data.cmi.student_data.mastery_score, '80');
    // The run-time is not served on the player's origin.
    assert.equal((await fetch(url1.replace(ctx.content, ctx.base))).status, 404);
    let e = await fetch(`${url1}/event`, { method: 'POST', body: '{"type":"initialize"}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(e.status, 200);
    e = await fetch(`${url1}/event`, { method: 'POST', body: '{"type":"initialize"}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(e.status, 409);
    const c = await commit(url1, { core: { lesson_status: 'incomplete', lesson_location: 'p3', exit: 'suspend', session_time: '00:01:00' }, suspend_data: 'abc' });
    assert.equal(c.status, 200);
    assert.deepEqual(c.json, { result: 'true', errorCode: 0 });
    const bad = await commit(url1, 'not an object');
    assert.equal(bad.status, 400);
    const t = await commit(url1, { core: { lesson_status: 'incomplete', lesson_location: 'p4', exit: 'suspend', session_time: '00:02:00' }, suspend_data: 'abcd' }, '?terminate=true');
    assert.equal(t.status, 200);
    assert.equal((await commit(url1, { core: {} })).status, 409, 'no commits after the session ended');
    assert.equal((await commit(url1.replace(/[^/]+$/, 'A'.repeat(43)), { core: {} })).status, 404);

    const l2 = await call(ctx, kari, 'POST', '/api/learn/pv/launch', {});
    const again = (await hostData(l2.json.url)).data;
    assert.equal(again.cmi.core.entry, 'resume');
    assert.equal(again.cmi.core.lesson_location, 'p4');
    assert.equal(again.cmi.suspend_data, 'abcd');
    assert.equal(again.cmi.core.total_time, '0000:02:00.00');
    assert.equal(again.cmi.core.lesson_status, 'incomplete');
    url1 = l2.json.url;
  });

  test('content: only on the content origin, with CSP, ranges and validators', async () => {
    const { data } = await hostData(url1);
    const file = ctx.content + data.sco;
    let res = await fetch(file);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy'), /object-src 'none'/);
    assert.equal(res.headers.get('x-frame-options'), null);
    const etag = res.headers.get('etag');
    assert.equal((await fetch(file, { headers: { 'If-None-Match': etag } })).status, 304);
    res = await fetch(file, { headers: { Range: 'bytes=0-8' } });
    assert.equal(res.status, 206);
    assert.equal(await res.text(), '<!doctype');
    assert.match(res.headers.get('content-range'), /^bytes 0-8\/\d+$/);
    assert.equal((await fetch(file, { headers: { Range: 'bytes=999999-' } })).status, 416);
    assert.equal((await fetch(file.replace('sco/index.html', 'sco/sco.js'))).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(file.replace(ctx.content, ctx.base))).status, 404, 'not on the player origin');
    assert.equal((await fetch(file.replace('index.html', 'nope.html'))).status, 404);
    assert.equal((await fetch(`${ctx.content}/content/pv/0000000000000000/sco/index.html`)).status, 404);
    assert.equal((await fetch(`${ctx.content}/content/pv/.incoming-x/a`)).status, 404);
  });

  test('a new version: the attempt stays on its version, new attempts use the newest', async () => {
    const r = await importZip(ctx, 'v2.zip', scorm12Entries({ title: 'Versjon 2' }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /as course pv version 2/, 'same manifest identifier: same course');
    let g = await call(ctx, kari, 'GET', '/api/learn/pv');
    assert.equal(g.json.course.version, 1);
    assert.equal(g.json.course.newer_version, true);
    assert.equal(g.json.course.title, 'Versjon 2', 'the catalogue title follows the newest');
    const p = await call(ctx, per, 'GET', '/api/learn/pv');
    assert.equal(p.json.course.version, 2);
    assert.equal(p.json.attempt, null);

    // Kari passes on version 1; restarting makes a new attempt on version 2.
    const c = await commit(url1, { core: { lesson_status: 'passed', exit: '', score: { raw: '85', min: '0', max: '100' }, session_time: '00:00:30' } }, '?terminate=true');
    assert.equal(c.status, 200);
    g = await call(ctx, kari, 'GET', '/api/learn/pv');
    assert.equal(g.json.attempt.completed, true);
    const reg1 = g.json.attempt.registration;
    const l = await call(ctx, kari, 'POST', '/api/learn/pv/launch', { restart: true });
    assert.equal(l.status, 200);
    assert.notEqual(l.json.registration, reg1);
    g = await call(ctx, kari, 'GET', '/api/learn/pv');
    assert.equal(g.json.course.version, 2);
    assert.equal(g.json.attempt.completed, false);
    const stmts = (await allStatements(lrs)).filter((s) => s.object.id === 'urn:vern:kurs:pv');
    assert.deepEqual(stmts.map(verb).sort(), ['completed', 'passed']);
    assert.equal(stmts[0].context.registration, reg1);
  });

  test('cmi5: the auth token is limited to its AU session', async () => {
    const l = await call(ctx, kari, 'POST', '/api/learn/c5/launch', { item: 'https://vern.example/kurs/phishing-cmi5/au/test' });
    assert.equal(l.status, 200, l.text);
    const u = new URL(l.json.url);
    assert.equal(u.origin, ctx.content);
    const q = u.searchParams;
    assert.equal(q.get('endpoint'), `${ctx.base}/xapi/`);
    assert.equal(q.get('registration'), l.json.registration);
    const actor = JSON.parse(q.get('actor'));
    assert.deepEqual(actor.account, { homePage: ctx.base, name: '5001' });
    const activityId = q.get('activityId');
    assert.equal(q.get('del'), 'test', "the AU's own query is kept");
    let f = await (await fetch(q.get('fetch'), { method: 'POST' })).json();
    const auth = 'Basic ' + f['auth-token'];
    f = await (await fetch(q.get('fetch'), { method: 'POST' })).json();
    assert.equal(f['error-code'], '1');
    assert.equal((await (await fetch(`${ctx.base}/api/cmi5/fetch/${'x'.repeat(43)}`, { method: 'POST' })).json())['error-code'], '2');

    const xapi = (path, init = {}) => fetch(`${ctx.base}/xapi/${path}`, {
      ...init, headers: { Authorization: auth, 'X-Experience-API-Version': '1.0.3', 'Content-Type': 'application/json', ...(init.headers || {}) },
    });
    const stateUrl = `activities/state?stateId=LMS.LaunchData&activityId=${encodeURIComponent(activityId)}&agent=${encodeURIComponent(JSON.stringify(actor))}&registration=${l.json.registration}`;
    const ld = await (await xapi(stateUrl)).json();
    assert.equal(ld.launchMode, 'Normal');
    assert.equal(ld.moveOn, 'CompletedAndPassed');
    assert.equal(ld.masteryScore, 0.8);
    assert.equal(ld.returnURL, `${ctx.content}/content-return`);
    const session = ld.contextTemplate.extensions['https://w3id.org/xapi/cmi5/context/extensions/sessionid'];
    assert.ok(session);
    assert.equal((await xapi(stateUrl, { method: 'PUT', body: '{}' })).status, 403, 'LaunchData is the LMS\'s');
    const st = (v, extra = {}) => ({
      actor, verb: { id: `http://adlnet.gov/expapi/verbs/${v}` }, object: { id: activityId },
      context: { ...ld.contextTemplate, registration: l.json.registration }, ...extra,
    });
    const post = async (s) => (await xapi('statements', { method: 'POST', body: JSON.stringify(s) })).status;
    assert.equal(await post(st('completed')), 403, 'nothing before initialized');
    assert.equal(await post(st('initialized')), 200);
    assert.equal(await post(st('initialized')), 403, 'initialized once');
    assert.equal(await post({ ...st('experienced'), actor: { ...actor, account: { ...actor.account, name: '5003' } } }), 403, 'another learner');
    assert.equal(await post({ ...st('experienced'), context: { registration: '00000000-0000-4000-8000-000000000000' } }), 403, 'another registration');
    assert.equal(await post(st('voided', { object: { objectType: 'StatementRef', id: '00000000-0000-4000-8000-000000000000' } })), 403);
    assert.equal(await post({ ...st('x'), verb: { id: 'https://w3id.org/xapi/adl/verbs/satisfied' } }), 403, 'satisfied is the LMS\'s');
    assert.equal(await post(st('experienced', { object: { id: 'https://vern.example/kurs/side-1' } })), 200, 'cmi5 allowed statements are fine');
    // Statements with attachments (multipart/mixed) are held to the same rules.
    const withNote = async (s) => {
      const note = 'Notat fra leksjonen';
      const sha2 = createHash('sha256').update(note).digest('hex');
      const json = JSON.stringify({ ...s, attachments: [{ usageType: 'http://id.tincanapi.com/attachment/supporting_media',
        display: { 'nb-NO': 'Notat' }, contentType: 'text/plain', length: Buffer.byteLength(note), sha2 }] });
      const body = `--B\r\nContent-Type: application/json\r\n\r\n${json}\r\n--B\r\nContent-Type: text/plain\r\n`
        + `Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ${sha2}\r\n\r\n${note}\r\n--B--\r\n`;
      return (await xapi('statements', { method: 'POST', body, headers: { 'Content-Type': 'multipart/mixed; boundary=B' } })).status;
    };
    assert.equal(await withNote(st('experienced', { object: { id: 'https://vern.example/kurs/side-3' } })), 200, 'with an attachment');
    assert.equal(await withNote({ ...st('experienced'), actor: { ...actor, account: { ...actor.account, name: '5003' } } }), 403,
      'another learner, with an attachment');
    assert.equal((await xapi('statements', { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } })).status, 403);
    assert.equal(await post(st('completed', { result: { completion: true, duration: 'PT1S' } })), 200);
    assert.equal(await post(st('completed', { result: { completion: true, duration: 'PT1S' } })), 403, 'completed once per registration');
    assert.equal(await post(st('passed', { result: { success: true, duration: 'PT1S', score: { scaled: 0.5 } } })), 403, 'below masteryScore');
    assert.equal(await post(st('passed', { result: { success: true, duration: 'PT1S', score: { scaled: 0.9 } } })), 200);
    assert.equal(await post(st('failed', { result: { success: false, duration: 'PT1S', score: { scaled: 0.1 } } })), 403, 'failed after passed');
    assert.equal((await xapi(`agents/profile?profileId=cmi5LearnerPreferences&agent=${encodeURIComponent(JSON.stringify(actor))}`, { method: 'PUT', body: '{}' })).status, 403);
    assert.equal(await post(st('terminated', { result: { duration: 'PT2S' } })), 200);
    await new Promise((r) => setTimeout(r, 3300));
    assert.equal(await post(st('experienced', { object: { id: 'https://vern.example/kurs/side-2' } })), 403, 'nothing after terminated');
    // An ordinary LRS client is not held to a session.
    const mine = await xapi('statements?limit=50');
    assert.equal(mine.status, 200);
  });

  test('cmi5: a waived AU counts as satisfied; then the course is', async () => {
    let w = await call(ctx, admin, 'POST', '/api/courses/c5/waive', { employee: '5001', au: 'https://vern.example/kurs/phishing-cmi5/au/les', reason: 'Nonsense' });
    assert.equal(w.status, 400);
    assert.equal((await call(ctx, kari, 'POST', '/api/courses/c5/waive', { employee: '5001', au: 'x' })).status, 403);
    w = await call(ctx, admin, 'POST', '/api/courses/c5/waive', { employee: '5001', au: 'https://vern.example/kurs/phishing-cmi5/au/les', reason: 'Tested Out' });
    assert.equal(w.status, 200, w.text);
    w = await call(ctx, admin, 'POST', '/api/courses/c5/waive', { employee: '5001', au: 'https://vern.example/kurs/phishing-cmi5/au/les', reason: 'Tested Out' });
    assert.equal(w.status, 409);
    const stmts = (await allStatements(lrs)).filter((s) => JSON.stringify(s).includes('urn:vern:kurs:c5'));
    const waived = stmts.find((s) => verb(s) === 'waived');
    assert.equal(waived.result.extensions['https://w3id.org/xapi/cmi5/result/extensions/reason'], 'Tested Out');
    assert.equal(waived.result.success, true);
    const course = stmts.find((s) => verb(s) === 'satisfied' && s.object.id === 'urn:vern:kurs:c5');
    assert.ok(course, 'course satisfied');
    const g = await call(ctx, kari, 'GET', '/api/learn/c5');
    assert.equal(g.json.attempt.completed, true);
  });

  test('clean shutdown, no sanitizer findings (leaks included)', async () => {
    assert.equal(await ctx.srv.stop(), 0);
    assertNoSanitizerFindings(ctx.srv.stderr());
  });
});

describe('course content on the player\'s own origin', { timeout: 60000 }, () => {
  const cleanups = [];
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });

  test('HTML opens only inside the player; content may connect only below its paths', async () => {
    const ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) }, { sameOrigin: true });
    assert.equal((await importZip(ctx, 'a.zip', scorm12Entries(), ['--id', 'pv'])).code, 0);
    const kari = await signIn(ctx.base, { employee: '5001', scope: 'full' });
    const l = await call(ctx, kari, 'POST', '/api/learn/pv/launch', {});
    assert.ok(l.json.url.startsWith(`${ctx.base}/content-run/`));
    const { data } = await hostData(l.json.url);
    const file = ctx.base + data.sco;
    let res = await fetch(file, { headers: { 'Sec-Fetch-Dest': 'document' } });
    assert.equal(res.status, 403);
    res = await fetch(file, { headers: { 'Sec-Fetch-Dest': 'iframe' } });
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, new RegExp(`connect-src ${ctx.base}/content/ ${ctx.base}/content-run/ ${ctx.base}/xapi/ ${ctx.base}/api/cmi5/;`));
    assert.match(csp, /frame-ancestors 'self'/);
    res = await fetch(file.replace('index.html', 'sco.js'), { headers: { 'Sec-Fetch-Dest': 'document' } });
    assert.equal(res.status, 200, 'scripts and images are not documents that run');
    assertNoSanitizerFindings(ctx.srv.stderr());
  });
});
