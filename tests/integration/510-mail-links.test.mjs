// 510-mail-links: the links in lesson emails. A GET of every link (what
// Safe Links and other scanners do) shows the landing page and changes
// nothing; only the Start button (POST) signs the employee in, with a
// short learn-scope session for that one course. Tampered, expired,
// spliced, foreign-key and cross-employee tokens are refused with friendly
// pages; expired links offer a fresh one by email; keys rotate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { assertNoSanitizerFindings, runVern, startServer } from './lib/server.mjs';
import {
  adminSession, api, ensureCourses, makeOrg, mintToken, readToken, sinkArgs, sql, startSink, tokenOf, waitFor,
} from './lib/mail.mjs';

const N = 40;

async function counts(db) {
  const row = await sql(db, "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM campaign_recipients" +
    " WHERE started_ms IS NOT NULL), (SELECT count(*) FROM mail_outbox), (SELECT count(*) FROM audit_log)," +
    " (SELECT count(*) FROM statements)");
  return row;
}

function start(url, link, headers = {}) {
  return fetch(url + new URL(link).pathname, { method: 'POST', redirect: 'manual', headers: { origin: url, ...headers } });
}

test('email links: scanners change nothing, Start signs in for one course, bad tokens refused', async (t) => {
  const sink = await startSink(t);
  const srv = await startServer({ t, args: sinkArgs(sink, ['--mail-tick-seconds', '1', '--mail-rate-per-minute', '0']) });
  const org = await makeOrg(srv.dbPath, { employees: N });
  await ensureCourses(srv.dbPath);
  const admin = await adminSession(srv.url, srv.dbPath);
  let r = await api(srv.url, admin, 'POST', '/api/campaigns', {
    name: 'Sikkerhetsmåneden', audience: {}, lessons: [{ course: 'phishing' }, { course: 'avvik', send_at: '2099-10-05' }],
    due_days: 14, reminder_days: 7,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const campaign = r.body.id;
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${campaign}/start`);
  assert.equal(r.status, 200);
  await waitFor(() => sink.count() === N, { what: `${N} lesson emails` });
  const mails = await sink.check();
  const linkOf = new Map();
  for (const m of mails) {
    assert.deepEqual(m.problems, []);
    assert.equal(m.links_text.length, 1);
    assert.deepEqual(m.links_html, m.links_text);
    linkOf.set(m.to, m.links_text[0]);
  }
  const [a, b, c, d, e] = org.people.slice(-5);

  // 1. Every link fetched as a scanner does: GET and HEAD change nothing.
  const before = await counts(srv.dbPath);
  for (const link of linkOf.values()) {
    const path = new URL(link).pathname;
    const res = await fetch(srv.url + path, { headers: { 'user-agent': 'Microsoft Office Protocol Discovery' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('set-cookie'), null);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('x-robots-tag'), /noindex/);
    assert.match(res.headers.get('content-security-policy'), /default-src 'none'.*form-action 'self'/);
    const html = await res.text();
    assert.match(html, /<h1>Svindel og phishing på e-post<\/h1>/);
    assert.match(html, /<form method="post" action="\/e\/[A-Za-z0-9_-]+">/);
    assert.match(html, /<button type="submit">Start<\/button>/);
    assert.doesNotMatch(html, /<script/);
    const head = await fetch(srv.url + path, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('set-cookie'), null);
  }
  assert.equal(await counts(srv.dbPath), before, 'a GET or HEAD of a link recorded something');

  // 2. Start (POST from the landing page) signs in for that lesson only.
  const linkA = linkOf.get(a.email);
  const res = await start(srv.url, linkA);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/learn/phishing');
  const setCookie = res.headers.get('set-cookie');
  assert.match(setCookie, /^vern_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=7200; HttpOnly; SameSite=Lax$/);
  const cookie = setCookie.split(';')[0];
  const session = await sql(srv.dbPath, `SELECT employee_id, user_id IS NULL, scope, course_id, (expires_ms - created_ms) / 1000 FROM sessions WHERE employee_id = ${a.id}`);
  assert.equal(session, `${a.id}|1|learn|phishing|7200`);
  const me = await (await fetch(`${srv.url}/api/me`, { headers: { cookie } })).json();
  assert.equal(me.scope, 'learn');
  assert.deepEqual(me.roles, ['learn']);
  assert.equal(me.employee_id, a.id);
  r = await api(srv.url, { cookie, csrf: me.csrf }, 'GET', '/api/campaigns');
  assert.equal(r.status, 403, 'a learn session reached the admin API');
  assert.equal(await sql(srv.dbPath, `SELECT employee_id FROM campaign_recipients WHERE started_ms IS NOT NULL`), String(a.id));
  // The link is not used up: Start works again (a new session).
  assert.equal((await start(srv.url, linkA)).status, 303);
  assert.equal(await sql(srv.dbPath, `SELECT count(*) FROM sessions WHERE employee_id = ${a.id}`), '2');

  // 3. POSTs that do not come from our page are refused.
  const beforeForeign = await counts(srv.dbPath);
  let bad = await start(srv.url, linkOf.get(b.email), { origin: 'http://evil.example' });
  assert.equal(bad.status, 403);
  assert.equal(bad.headers.get('set-cookie'), null);
  bad = await start(srv.url, linkOf.get(b.email), { 'sec-fetch-site': 'cross-site' });
  assert.equal(bad.status, 403);
  bad = await start(srv.url, linkOf.get(b.email), { origin: 'null', 'sec-fetch-site': 'cross-site' });
  assert.equal(bad.status, 403);
  assert.equal(await counts(srv.dbPath), beforeForeign);
  // Under Referrer-Policy: no-referrer a browser sends "Origin: null"; Sec-Fetch-Site tells.
  const ok = await start(srv.url, linkOf.get(b.email), { origin: 'null', 'sec-fetch-site': 'same-origin' });
  assert.equal(ok.status, 303);
  await sql(srv.dbPath, `DELETE FROM sessions WHERE employee_id = ${b.id}`);
  await sql(srv.dbPath, `UPDATE campaign_recipients SET started_ms = NULL WHERE employee_id = ${b.id}`);

  // 4. Tampered, spliced, cross-employee and foreign-key tokens.
  const tokA = tokenOf(linkA);
  const tokB = tokenOf(linkOf.get(b.email));
  const fieldsA = readToken(tokA);
  const fieldsB = readToken(tokB);
  assert.equal(fieldsA.employeeId, a.id);
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const withEmployee = (raw, id) => { const x = Buffer.from(raw); x.writeBigUInt64BE(BigInt(id), 5); return x.toString('base64url'); };
  const splice = Buffer.concat([fieldsB.raw.subarray(0, fieldsB.raw.length - 32), fieldsA.raw.subarray(fieldsA.raw.length - 32)]).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const forged = await mintToken(null, { kid: fieldsA.kid, employeeId: b.id, course: 'phishing', expires: now + 3600,
    secretHex: crypto.randomBytes(32).toString('hex') });
  const unknownKid = await mintToken(null, { kid: 99, employeeId: b.id, course: 'phishing', expires: now + 3600,
    secretHex: crypto.randomBytes(32).toString('hex') });
  const refused = {
    'one character changed': flip(tokA, 20),
    'last character changed': flip(tokA, tokA.length - 1),
    'cut short': tokA.slice(0, -2),
    'another employee in A\'s token': withEmployee(fieldsA.raw, b.id),
    'B\'s fields with A\'s MAC': splice,
    'signed with another secret': forged,
    'unknown key id': unknownKid,
    'not a token': 'eksempel',
    'very long': 'A'.repeat(900),
  };
  const beforeBad = await counts(srv.dbPath);
  for (const [what, tok] of Object.entries(refused)) {
    const g = await fetch(`${srv.url}/e/${tok}`);
    assert.equal(g.status, 400, what);
    const html = await g.text();
    assert.match(html, /Lenken virker ikke/, what);
    assert.match(html, /<form method="post" action="\/e\/ny-lenke">/, what);
    const p = await fetch(`${srv.url}/e/${tok}`, { method: 'POST', redirect: 'manual', headers: { origin: srv.url } });
    assert.equal(p.status, 400, what);
    assert.equal(p.headers.get('set-cookie'), null, what);
  }
  assert.equal(await counts(srv.dbPath), beforeBad);

  // 5. Expired: authentic but late. Friendly page, a fresh link on request.
  const expired = await mintToken(srv.dbPath, { kid: fieldsA.kid, employeeId: c.id, campaignId: campaign,
    course: 'phishing', expires: now - 60 });
  let g = await fetch(`${srv.url}/e/${expired}`);
  assert.equal(g.status, 410);
  let html = await g.text();
  assert.match(html, /Lenken er utløpt/);
  assert.match(html, /Lenken til «Svindel og phishing på e-post» gjaldt til/);
  assert.match(html, new RegExp(`<form method="post" action="/e/${expired}/ny">`));
  let p = await fetch(`${srv.url}/e/${expired}`, { method: 'POST', redirect: 'manual', headers: { origin: srv.url } });
  assert.equal(p.status, 410);
  assert.equal(p.headers.get('set-cookie'), null);
  const sent = sink.count();
  p = await fetch(`${srv.url}/e/${expired}/ny`, { method: 'POST', headers: { origin: srv.url } });
  assert.equal(p.status, 200);
  assert.match(await p.text(), /Vi har sendt en ny lenke til e-postadressen din/);
  await waitFor(() => sink.count() === sent + 1, { what: 'the fresh link' });
  p = await fetch(`${srv.url}/e/${expired}/ny`, { method: 'POST', headers: { origin: srv.url } });
  assert.equal(p.status, 200); // asked twice: one email
  const fresh = (await sink.check([sink.entries().at(-1).file]))[0];
  assert.deepEqual(fresh.problems, []);
  assert.equal(fresh.to, c.email);
  assert.equal(fresh.subject, 'Ny lenke til Svindel og phishing på e-post');
  const freshTok = readToken(tokenOf(fresh.links_text[0]));
  assert.equal(freshTok.employeeId, c.id);
  assert.equal(freshTok.campaignId, campaign);
  assert.ok(freshTok.expires > now + 29 * 86400);
  assert.equal((await fetch(fresh.links_text[0].replace(/^https?:\/\/[^/]+/, srv.url))).status, 200);

  // 6. "Send me new links": known address -> links to open lessons; unknown -> same answer, no email.
  await sql(srv.dbPath, `INSERT INTO completions(employee_id, course_id, completed_ms, expires_ms, statement_id)
    VALUES(${e.id}, 'phishing', ${Date.now()}, ${Date.now() + 365 * 86400000}, 'x')`);
  const form = (email) => fetch(`${srv.url}/e/ny-lenke`, {
    method: 'POST', headers: { origin: srv.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: `epost=${encodeURIComponent(email)}`,
  });
  g = await fetch(`${srv.url}/e/ny-lenke`);
  assert.equal(g.status, 200);
  assert.match(await g.text(), /name="epost"/);
  const count0 = sink.count();
  const answers = [];
  for (const email of [d.email, 'ukjent@demo.test', e.email, d.email]) {
    const f = await form(email);
    assert.equal(f.status, 200);
    answers.push(await f.text());
  }
  assert.equal(new Set(answers).size, 1, 'the answer tells whether an address is known');
  await waitFor(() => sink.count() === count0 + 1, { what: 'the links email' });
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(sink.count(), count0 + 1, 'only D gets links (E completed, unknown nobody, D once)');
  const links = (await sink.check([sink.entries().at(-1).file]))[0];
  assert.equal(links.to, d.email);
  assert.equal(links.subject, 'Lenker til leksjonene dine');
  assert.equal(links.links_text.length, 1);
  assert.equal(readToken(tokenOf(links.links_text[0])).course, 'phishing');
  assert.equal((await form('x'.repeat(5000))).status, 413); // larger than the form allows

  // 7. A deactivated employee's link stops working.
  await sql(srv.dbPath, `UPDATE employees SET active = 0 WHERE id = ${b.id}`);
  g = await fetch(srv.url + new URL(linkOf.get(b.email)).pathname);
  assert.equal(g.status, 410);
  assert.match(await g.text(), /Lenken gjelder ikke lenger/);
  p = await start(srv.url, linkOf.get(b.email));
  assert.equal(p.status, 410);
  assert.equal(p.headers.get('set-cookie'), null);

  // 8. Key rotation: new links get the new key, old ones keep working
  // until the old key is retired.
  let v = await runVern(['mail', 'rotate-key', '--db', srv.dbPath]);
  assert.equal(v.code, 0, v.stderr);
  const newKid = Number(/signed with key (\d+)/.exec(v.stdout)[1]);
  assert.notEqual(newKid, fieldsA.kid);
  await new Promise((res) => setTimeout(res, 2500)); // the scheduler reloads keys every tick
  const count1 = sink.count();
  await fetch(`${srv.url}/e/${tokenOf(linkOf.get(org.people[10].email))}/ny`, { method: 'POST', headers: { origin: srv.url } });
  await waitFor(() => sink.count() === count1 + 1, { what: 'a link signed with the new key' });
  const rotated = (await sink.check([sink.entries().at(-1).file]))[0];
  const rotatedTok = tokenOf(rotated.links_text[0]);
  assert.equal(readToken(rotatedTok).kid, newKid);
  assert.equal((await fetch(`${srv.url}/e/${rotatedTok}`)).status, 200);
  assert.equal((await fetch(`${srv.url}/e/${tokA}`)).status, 200);
  v = await runVern(['mail', 'retire-key', String(fieldsA.kid), '--db', srv.dbPath]);
  assert.equal(v.code, 0, v.stderr);
  await waitFor(async () => (await fetch(`${srv.url}/e/${tokA}`)).status === 400, { what: 'the retired key to stop working' });
  assert.equal((await fetch(`${srv.url}/e/${rotatedTok}`)).status, 200);
  v = await runVern(['mail', 'keys', '--db', srv.dbPath]);
  assert.match(v.stdout, new RegExp(`key ${fieldsA.kid} .*retired`));
  assert.doesNotMatch(v.stdout + v.stderr, /secret/i);

  // 9. Behind TLS (public_url https) the cookie is Secure.
  await srv.stop();
  const tls = await startServer({ t, dir: srv.dir, args: sinkArgs(sink, ['--public-url', 'https://vern.demo.test']) });
  p = await fetch(`${tls.url}/e/${rotatedTok}`, { method: 'POST', redirect: 'manual', headers: { origin: 'https://vern.demo.test' } });
  assert.equal(p.status, 303);
  assert.match(p.headers.get('set-cookie'), /; HttpOnly; SameSite=Lax; Secure$/);
  await tls.stop();
  for (const s of [srv, tls]) {
    assertNoSanitizerFindings(s.stderr());
    for (const tok of [tokA, tokB, expired, rotatedTok]) assert.ok(!s.stderr().includes(tok), 'a token was logged');
    assert.doesNotMatch(s.stderr(), /\/e\/[A-Za-z0-9_-]{40,}/);
  }
});
