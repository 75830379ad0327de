// 600-login: signing in and out. Passwords (argon2id) with uniform
// failures, TOTP for leaders and admins (enrolment, ±1 step, no replay),
// lockout after repeated failures, the per-IP limit, CSRF on the sign-in
// form and on every state-changing call, form posts without script, sign-out
// and sign-out everywhere, demo accounts only in demo mode, and the
// `vern user` commands.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertNoSanitizerFindings, makeTempDir, runVern, startServer } from './lib/server.mjs';
import { Client, addUser, freshCode, seedMunicipality, sql, totp, usedSteps, vernInput } from './lib/login.mjs';

async function setup(t, { args = [], users = true } = {}) {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  const m = await runVern(['migrate', '--db', dbPath]);
  assert.equal(m.code, 0, m.stderr);
  const world = await seedMunicipality(dbPath);
  if (users) {
    await addUser(dbPath, 'kari', 'kari-passord-123', ['--employee', 'E1']);
    await addUser(dbPath, 'lise', 'lise-passord-123', ['--employee', 'L1']);
    await addUser(dbPath, 'admin', 'admin-passord-123', ['--role', 'admin']);
  }
  const srv = await startServer({ dir, t, args });
  t.after(() => assertNoSanitizerFindings(srv.stderr()));
  return { srv, dbPath, world };
}

test('an employee signs in with a password; the session cookie is HttpOnly and SameSite', async (t) => {
  const { srv } = await setup(t);
  const c = new Client(srv.url);
  const r = await c.password('kari', 'kari-passord-123');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.data, { ok: true, next: '/min-side' });
  const cookie = r.headers.getSetCookie().find((l) => l.startsWith('vern_session='));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.doesNotMatch(cookie, /Secure/, 'no Secure flag on plain http');
  const me = await c.get('/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.data.name, 'Kari Nordmann');
  assert.deepEqual(me.data.roles, ['employee', 'learn']);
});

test('the cookie is Secure when the public URL is https', async (t) => {
  const { srv } = await setup(t, { args: ['--public-url', 'https://vern.testvik.invalid'] });
  const c = new Client(srv.url);
  const r = await c.password('kari', 'kari-passord-123');
  assert.equal(r.status, 200);
  for (const line of r.headers.getSetCookie()) assert.match(line, /; Secure/, line);
});

test('wrong password, unknown user and locked account fail alike', async (t) => {
  const { srv } = await setup(t, { args: ['--login-max-failures', '3'] });
  const c = new Client(srv.url);
  const timed = async (u, p) => {
    const t0 = Date.now();
    const r = await c.password(u, p);
    return { ...r, ms: Date.now() - t0 };
  };
  // Both kinds go through the same path: a password hash and the server's
  // floor for failures. The floor is checked as a lower bound only (an upper
  // bound on time would make the test depend on machine load). The third
  // wrong password in a row also locks the account.
  const unknowns = [], wrongs = [];
  for (let i = 0; i < 3; i++) {
    unknowns.push(await timed(`ingen-slik-${i}`, 'feil-passord-123'));
    wrongs.push(await timed('kari', 'feil-passord-123'));
  }
  const unknown = unknowns[0], wrong = wrongs[0];
  assert.equal(unknown.status, 401);
  assert.equal(wrong.status, 401);
  assert.deepEqual(unknown.data, wrong.data, 'the same answer for an unknown user and a wrong password');
  for (const x of [...unknowns, ...wrongs]) assert.ok(x.ms >= 340, `failures wait out the floor (${x.ms} ms)`);

  // Locked now: even the right password is refused, with the same message.
  const locked = await timed('kari', 'kari-passord-123');
  assert.equal(locked.status, 401);
  assert.deepEqual(locked.data, wrong.data);
  const row = await sql(srv.dbPath, "SELECT locked_until_ms > 0 FROM users WHERE username = 'kari'");
  assert.equal(row.trim(), '1');

  // An admin unlocks it from the command line.
  const u = await runVern(['user', 'unlock', 'kari', '--db', srv.dbPath]);
  assert.equal(u.code, 0, u.stderr);
  assert.equal((await c.password('kari', 'kari-passord-123')).status, 200);
});

test('a successful sign-in resets the failure count', async (t) => {
  const { srv } = await setup(t, { args: ['--login-max-failures', '3'] });
  const c = new Client(srv.url);
  await c.password('kari', 'feil-passord-123');
  await c.password('kari', 'feil-passord-123');
  assert.equal((await c.password('kari', 'kari-passord-123')).status, 200);
  await c.password('kari', 'feil-passord-123');
  await c.password('kari', 'feil-passord-123');
  assert.equal((await c.password('kari', 'kari-passord-123')).status, 200, 'not locked: the count restarted');
});

test('each IP address gets login_ip_limit attempts per window', async (t) => {
  const { srv } = await setup(t, { args: ['--login-ip-limit', '4'] });
  const c = new Client(srv.url);
  for (let i = 0; i < 4; i++) assert.equal((await c.password('kari', 'feil-passord-123')).status, 401);
  const r = await c.password('kari', 'kari-passord-123');
  assert.equal(r.status, 429);
  assert.equal(r.data.error, 'rate_limited');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

test('an admin enrols TOTP at first sign-in; codes are checked, windowed and never replayed', async (t) => {
  const { srv } = await setup(t);
  const c = new Client(srv.url);
  const r = await c.password('admin', 'admin-passord-123');
  assert.equal(r.status, 200);
  assert.deepEqual(r.data, { step: 'enrol' });
  assert.ok(!r.headers.getSetCookie().some((l) => l.startsWith('vern_session=')), 'no session before the code');
  const pending = r.headers.getSetCookie().find((l) => l.startsWith('vern_login='));
  assert.match(pending, /HttpOnly/);
  assert.match(pending, /SameSite=Strict/);
  assert.equal((await c.get('/api/me')).status, 401);

  const info = await c.get('/api/login/totp');
  assert.equal(info.status, 200);
  assert.equal(info.data.step, 'enrol');
  assert.match(info.data.secret, /^[A-Z2-7]{32}$/);
  assert.equal(info.data.uri, `otpauth://totp/Vern:admin?secret=${info.data.secret}&issuer=Vern&algorithm=SHA1&digits=6&period=30`);
  const secret = info.data.secret;

  // Without the pending CSRF token: refused.
  let x = await c.request('POST', '/api/login/totp', { json: { code: totp(secret) } });
  assert.equal(x.status, 403);
  const send = (code) => c.request('POST', '/api/login/totp', { json: { code }, headers: { 'X-CSRF-Token': info.data.csrf } });
  x = await send('12345');
  assert.equal(x.status, 401);
  x = await send(totp(secret, Date.now(), 3));
  assert.equal(x.status, 401, 'a code three steps ahead is outside the window');
  assert.equal(x.data.error, 'wrong_code');
  // The previous step's code is accepted (clock drift of one step).
  const code = totp(secret, Date.now(), -1);
  x = await send(code);
  assert.equal(x.status, 200, x.text);
  assert.equal(x.data.next, '/admin');
  const stored = await sql(srv.dbPath, "SELECT totp_secret IS NOT NULL, totp_last_step FROM users WHERE username = 'admin'");
  assert.equal(stored.trim().split('|')[0], '1');
  usedSteps.set(secret, Number(stored.trim().split('|')[1]));
  // Sealed at rest: 24-byte nonce + 20-byte secret + 16-byte tag, and the
  // secret's bytes appear nowhere in the database.
  const rawHex = base32Hex(secret);
  const sealed = (await sql(srv.dbPath, "SELECT length(totp_secret), hex(totp_secret) FROM users WHERE username = 'admin'")).trim().split('|');
  assert.equal(sealed[0], '60');
  assert.ok(!sealed[1].includes(rawHex), 'the TOTP secret is stored in plain text');

  // A second sign-in asks for a code (no enrolment), and the code just used
  // is refused: no replay.
  const d = new Client(srv.url);
  const r2 = await d.password('admin', 'admin-passord-123');
  assert.deepEqual(r2.data, { step: 'totp' });
  const info2 = await d.get('/api/login/totp');
  assert.equal(info2.data.step, 'totp');
  assert.equal(info2.data.secret, undefined, 'the secret is shown only at enrolment');
  const again = await d.request('POST', '/api/login/totp', { json: { code }, headers: { 'X-CSRF-Token': info2.data.csrf } });
  assert.equal(again.status, 401, 'a used code is refused');
  const fresh = freshCode(secret, usedSteps.get(secret));
  const ok = await d.request('POST', '/api/login/totp', { json: { code: fresh }, headers: { 'X-CSRF-Token': info2.data.csrf } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await d.get('/api/me')).data.roles.includes('admin'), true);

  // A secret stored in plain text (before sealing existed) still works,
  // and is sealed at that sign-in.
  const step = Number((await sql(srv.dbPath, "SELECT totp_last_step FROM users WHERE username = 'admin'")).trim());
  await sql(srv.dbPath, `UPDATE users SET totp_secret = X'${rawHex}' WHERE username = 'admin'`);
  const e = new Client(srv.url);
  await e.password('admin', 'admin-passord-123');
  const info3 = await e.get('/api/login/totp');
  const ok3 = await e.request('POST', '/api/login/totp', { json: { code: freshCode(secret, step) }, headers: { 'X-CSRF-Token': info3.data.csrf } });
  assert.equal(ok3.status, 200, ok3.text);
  assert.equal((await sql(srv.dbPath, "SELECT length(totp_secret) FROM users WHERE username = 'admin'")).trim(), '60');
});

/** The hex of a base32 (RFC 4648, no padding) text's bytes, upper case. */
function base32Hex(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of text) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  let hex = '';
  for (let i = 0; i + 8 <= bits.length; i += 8) hex += parseInt(bits.slice(i, i + 8), 2).toString(16).padStart(2, '0');
  return hex.toUpperCase();
}

test('a leader by org role needs TOTP too; five wrong codes end the attempt', async (t) => {
  const { srv } = await setup(t);
  const c = new Client(srv.url);
  const r = await c.password('lise', 'lise-passord-123');
  assert.deepEqual(r.data, { step: 'enrol' });
  const info = await c.get('/api/login/totp');
  const send = (code) => c.request('POST', '/api/login/totp', { json: { code }, headers: { 'X-CSRF-Token': info.data.csrf } });
  for (let i = 0; i < 4; i++) {
    const wrong = await send(String(i).padStart(6, '0'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.data.error, 'wrong_code');
  }
  const fifth = await send('000001');
  assert.equal(fifth.status, 401);
  assert.equal(fifth.data.error, 'login_expired');
  assert.equal((await send(totp(info.data.secret))).status, 401, 'the pending sign-in is gone');
  const row = await sql(srv.dbPath, "SELECT failed_logins, totp_secret IS NULL FROM users WHERE username = 'lise'");
  assert.equal(row.trim(), '1|1', 'counted as a failed sign-in; nothing enrolled');
});

test('CSRF: the sign-in form and every state-changing call need their token', async (t) => {
  const { srv } = await setup(t);
  const c = new Client(srv.url);
  // No sign-in token at all, or a token without its cookie: refused.
  let r = await c.post('/api/login', { username: 'kari', password: 'kari-passord-123' });
  assert.equal(r.status, 403);
  assert.equal(r.data.error, 'csrf');
  const token = await c.loginToken();
  const stranger = new Client(srv.url);
  r = await stranger.request('POST', '/api/login', { json: { username: 'kari', password: 'kari-passord-123' }, headers: { 'X-CSRF-Token': token } });
  assert.equal(r.status, 403, 'a token without its cookie (another site) is refused');

  await c.signIn('kari', 'kari-passord-123');
  for (const [method, p] of [['POST', '/api/logout'], ['POST', '/api/logout-everywhere']]) {
    const res = await c.request(method, p, { csrf: false });
    assert.equal(res.status, 403, `${method} ${p} without CSRF`);
  }
  const admin = await new Client(srv.url).signIn('admin', 'admin-passord-123');
  for (const [method, p, json] of [
    ['POST', '/api/admin/brukere', { username: 'x1' }],
    ['POST', '/api/admin/lrs-klienter', { name: 'x' }],
    ['POST', '/api/admin/oppbevaring/kjor', undefined],
    ['PUT', '/api/admin/brukere/1', { active: false }],
    ['DELETE', '/api/admin/brukere/1', undefined],
  ]) {
    const res = await admin.request(method, p, { json, csrf: false });
    assert.equal(res.status, 403, `${method} ${p} without CSRF`);
    assert.equal(res.data.error, 'csrf');
    const wrong = await admin.request(method, p, { json, headers: { 'X-CSRF-Token': 'x'.repeat(43) } });
    assert.equal(wrong.status, 403, `${method} ${p} with a wrong token`);
  }
  assert.equal((await c.get('/api/me')).status, 200, 'still signed in');
});

test('a form post signs in without script and redirects; failures go back to the form', async (t) => {
  const { srv } = await setup(t);
  const c = new Client(srv.url);
  const csrf = await c.loginToken();
  let r = await c.request('POST', '/api/login', { form: { username: 'kari', password: 'nei-nei-nei-nei', csrf, neste: '/min-side' } });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/logg-inn?feil=login_failed&neste=/min-side');
  r = await c.request('POST', '/api/login', { form: { username: 'kari', password: 'kari-passord-123', csrf, neste: '//evil.example/' } });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/min-side', 'an off-site next page is ignored');
  const me = await c.get('/api/me');
  assert.equal(me.status, 200);
  // Sign out by form, with the session's CSRF token.
  r = await c.request('POST', '/api/logout', { form: { csrf: me.data.csrf } });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/logg-inn?ut=1');
  assert.equal((await c.get('/api/me')).status, 401);
});

test('sign-out ends this session; sign-out everywhere ends them all', async (t) => {
  const { srv } = await setup(t);
  const a = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  const b = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  const other = await new Client(srv.url).signIn('admin', 'admin-passord-123');
  let r = await a.post('/api/logout');
  assert.equal(r.status, 200);
  assert.equal((await a.get('/api/me')).status, 401);
  assert.equal((await b.get('/api/me')).status, 200, 'the other session lives');
  const c = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  r = await c.post('/api/logout-everywhere');
  assert.equal(r.status, 200);
  assert.equal((await b.get('/api/me')).status, 401);
  assert.equal((await c.get('/api/me')).status, 401);
  assert.equal((await other.get('/api/me')).status, 200, "another person's session lives");
  assert.equal((await sql(srv.dbPath, 'SELECT count(*) FROM sessions WHERE employee_id = 1')).trim(), '0');
});

test('vern user: passwd, totp-reset, roles, list, remove', async (t) => {
  const { srv, dbPath } = await setup(t);
  const admin = await new Client(srv.url).signIn('admin', 'admin-passord-123');
  const secret = admin.secret;
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');

  let r = await vernInput(['user', 'passwd', 'kari', '--db', dbPath], 'kort\n');
  assert.equal(r.code, 1, 'a short password is refused');
  assert.match(r.stderr, /minst 12 tegn/);
  r = await vernInput(['user', 'passwd', 'kari', '--db', dbPath], 'nytt-passord-456\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await kari.get('/api/me')).status, 401, 'a new password ends the sessions');
  assert.equal((await new Client(srv.url).password('kari', 'kari-passord-123')).status, 401);
  await new Client(srv.url).signIn('kari', 'nytt-passord-456');

  r = await runVern(['user', 'passwd', 'kari', '--generate', '--db', dbPath]);
  assert.equal(r.code, 0);
  const generated = /password: (\S+)/.exec(r.stdout)[1];
  assert.match(generated, /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
  await new Client(srv.url).signIn('kari', generated);

  r = await runVern(['user', 'totp-reset', 'admin', '--db', dbPath]);
  assert.equal(r.code, 0, r.stderr);
  const again = new Client(srv.url);
  assert.deepEqual((await again.password('admin', 'admin-passord-123')).data, { step: 'enrol' });
  const info = await again.get('/api/login/totp');
  assert.notEqual(info.data.secret, secret, 'a new secret');

  r = await runVern(['user', 'roles', 'kari', '--role', 'hr', '--role', 'leader:sykehjem', '--db', dbPath]);
  assert.equal(r.code, 0, r.stderr);
  r = await runVern(['user', 'roles', 'kari', '--role', 'leader:finnes-ikke', '--db', dbPath]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Fant ingen enhet/);
  r = await runVern(['user', 'list', '--db', dbPath]);
  assert.match(r.stdout, /kari\s+Kari Nordmann\s+E1\s+no\s+active\s+hr,leader:sykehjem/);

  r = await runVern(['user', 'add', 'kari', '--generate', '--db', dbPath]);
  assert.equal(r.code, 1, 'a taken username');
  r = await runVern(['user', 'add', 'ny', '--role', 'sjef', '--db', dbPath]);
  assert.equal(r.code, 2, 'an unknown role');
  r = await runVern(['user', 'add', 'per', '--employee', 'E2', '--db', dbPath]);
  assert.equal(r.code, 0, 'empty stdin: a password is generated');
  assert.match(r.stdout, /password: \S+/);

  r = await runVern(['user', 'remove', 'kari', '--db', dbPath]);
  assert.equal(r.code, 0);
  assert.equal((await new Client(srv.url).password('kari', generated)).status, 401);
  r = await runVern(['user', 'remove', 'kari', '--db', dbPath]);
  assert.equal(r.code, 1);
});

test('an inactive employee or account cannot sign in', async (t) => {
  const { srv, dbPath } = await setup(t);
  await sql(dbPath, "UPDATE employees SET active = 0 WHERE external_id = 'E1'");
  assert.equal((await new Client(srv.url).password('kari', 'kari-passord-123')).status, 401);
  await sql(dbPath, "UPDATE users SET active = 0 WHERE username = 'admin'");
  assert.equal((await new Client(srv.url).password('admin', 'admin-passord-123')).status, 401);
});

test('demo accounts sign in without TOTP only when demo_mode = true', async (t) => {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  const d = await runVern(['demo', '--db', dbPath], { timeoutMs: 300000 }); // 2,000 people and their history: slow under ASan
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /\/logg-inn\?bruker=admin/);
  assert.match(d.stdout, /demo-demo-demo/);
  const again = await runVern(['demo', '--db', dbPath], { timeoutMs: 300000 });
  assert.equal(again.code, 0, 'idempotent');
  let srv = await startServer({ dir, t });
  for (const user of ['ansatt', 'admin']) {
    const r = await new Client(srv.url).password(user, 'demo-demo-demo');
    assert.equal(r.status, 401, `${user} without demo_mode`);
  }
  await srv.stop();
  srv = await startServer({ dir, t, args: ['--demo-mode', 'true'] });
  const admin = await new Client(srv.url).signIn('admin', 'demo-demo-demo');
  assert.deepEqual(admin.me.roles, ['admin']);
  const leader = await new Client(srv.url).signIn('leder', 'demo-demo-demo');
  assert.ok(leader.me.roles.includes('leader'));
  const employee = await new Client(srv.url).signIn('ansatt', 'demo-demo-demo');
  // One of the demo municipality's people, with courses to show on Min side.
  assert.deepEqual(employee.me.roles, ['employee', 'learn']);
  const home = await employee.get('/api/min-side');
  assert.ok(home.data.assignments.length > 0 && home.data.completions.length > 0, 'courses and completions to show');
  const ombud = await new Client(srv.url).signIn('ombud', 'demo-demo-demo');
  assert.ok(ombud.me.roles.includes('ombud'));
  assertNoSanitizerFindings(srv.stderr());
});

test('hostile sign-in input gets a clear 4xx', async (t) => {
  const { srv } = await setup(t);
  const c = new Client(srv.url);
  const token = await c.loginToken();
  const raw = (body, type = 'application/json', path = '/api/login') => fetch(srv.url + path, { method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': type, 'X-CSRF-Token': token, Cookie: c.cookieHeader() }, body });
  const cases = [
    ['{"username": ', 400], ['[]', 400], ['"x"', 400], ['{"username": 5, "password": "x"}', 400],
    ['{"username": "kari", "password": ["x"]}', 400], ['{"username": "kari"}', 400],
    [JSON.stringify({ username: 'kari', password: 'x'.repeat(2000) }), 400],
    [JSON.stringify({ username: 'kari', password: 'x'.repeat(20000) }), 413],
    [JSON.stringify({ username: 'ka\u0000ri', password: 'kari-passord-123' }), 400],
    ['[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', 400],
  ];
  for (const [body, status] of cases) {
    const r = await raw(body);
    assert.equal(r.status, status, body.slice(0, 60));
    const j = await r.json();
    assert.equal(typeof j.error, 'string');
  }
  assert.equal((await raw('code=%ZZ&csrf=x', 'application/x-www-form-urlencoded', '/api/login/totp')).status, 303);
  assert.equal((await raw('{"code": 123456}', 'application/json', '/api/login/totp')).status, 400);
  assert.equal((await raw('{"code": "123456"}', 'application/json', '/api/login/totp')).status, 401, 'no pending sign-in');
  const get = await fetch(`${srv.url}/api/login/totp`);
  assert.equal(get.status, 401);
  assert.equal((await fetch(`${srv.url}/api/login`, { method: 'DELETE' })).status, 405);
});
