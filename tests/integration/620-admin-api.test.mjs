// 620-admin-api: the admin page's JSON API for accounts, roles and LRS
// clients: admins only, CSRF on changes, clear 4xx answers to bad input,
// one-time passwords and secrets, and guards against an admin locking
// themselves out.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertNoSanitizerFindings, makeTempDir, runVern, startServer } from './lib/server.mjs';
import { Client, addUser, seedMunicipality, sql } from './lib/login.mjs';

async function setup(t) {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  assert.equal((await runVern(['migrate', '--db', dbPath])).code, 0);
  await seedMunicipality(dbPath);
  await addUser(dbPath, 'admin', 'admin-passord-123', ['--role', 'admin']);
  await addUser(dbPath, 'ola', 'ola-passord-1234', ['--employee', 'O1']);
  const srv = await startServer({ dir, t });
  t.after(() => assertNoSanitizerFindings(srv.stderr()));
  const admin = await new Client(srv.url).signIn('admin', 'admin-passord-123');
  return { srv, dbPath, admin };
}

test('accounts: create with roles and a one-time password, change, reset, unlock, remove', async (t) => {
  const { srv, admin } = await setup(t);
  let r = await admin.post('/api/admin/brukere', { username: 'kari', employee: 'E1', roles: ['leader:sykehjem'] });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.data.display_name, 'Kari Nordmann', 'named after the employee');
  assert.deepEqual(r.data.roles, ['leader:sykehjem']);
  assert.match(r.data.password, /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
  const id = r.data.id;
  const kari = await new Client(srv.url).signIn('kari', r.data.password);
  assert.ok(kari.me.roles.includes('leader'), 'a leader now, so TOTP was enrolled');

  r = await admin.get(`/api/admin/brukere/${id}`);
  assert.equal(r.data.totp, true);
  assert.equal(r.data.password, undefined, 'the password is shown once');
  r = await admin.request('PUT', `/api/admin/brukere/${id}`, { json: { roles: ['hr'], display_name: 'Kari N.' } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.data.roles, ['hr']);
  assert.equal(r.data.display_name, 'Kari N.');

  r = await admin.post(`/api/admin/brukere/${id}/passord`, { password: 'eget-nytt-passord' });
  assert.equal(r.status, 200);
  assert.equal(r.data.password, undefined, 'a chosen password is not echoed');
  assert.equal((await kari.get('/api/me')).status, 401, 'a reset ends the sessions');
  r = await admin.post(`/api/admin/brukere/${id}/totp-nullstill`);
  assert.equal(r.status, 200);
  assert.equal(r.data.totp, false);
  await sql(srv.dbPath, `UPDATE users SET locked_until_ms = ${Date.now() + 600000} WHERE id = ${id}`);
  assert.equal((await admin.get(`/api/admin/brukere/${id}`)).data.locked, true);
  r = await admin.post(`/api/admin/brukere/${id}/las-opp`);
  assert.equal(r.data.locked, false);

  r = await admin.request('PUT', `/api/admin/brukere/${id}`, { json: { active: false } });
  assert.equal(r.data.active, false);
  assert.equal((await new Client(srv.url).password('kari', 'eget-nytt-passord')).status, 401);
  r = await admin.request('DELETE', `/api/admin/brukere/${id}`);
  assert.equal(r.status, 200);
  assert.equal((await admin.get(`/api/admin/brukere/${id}`)).status, 404);
  const list = await admin.get('/api/admin/brukere');
  assert.deepEqual(list.data.users.map((u) => u.username), ['admin', 'ola']);
});

test('bad input gets a clear 4xx and changes nothing', async (t) => {
  const { srv, admin } = await setup(t);
  const cases = [
    [{ username: 'ola' }, 400, /tatt/],
    [{ username: 'ny', employee: 'finnes-ikke' }, 400, /ansatt/],
    [{ username: 'ny', employee: 'O1' }, 400, /allerede en konto/],
    [{ username: 'ny', roles: ['sjef'] }, 400, /Ukjent rolle/],
    [{ username: 'ny', roles: 'admin' }, 400, /liste/],
    [{ username: 'ny', roles: ['leader:finnes-ikke'] }, 400, /enhet/],
    [{ username: 'ny', password: 'kort' }, 400, /minst 12 tegn/],
    [{ username: 'ny bruker' }, 400, /Brukernavnet/],
    [{ username: 'x'.repeat(65) }, 400, /Brukernavnet/],
    [{}, 400, /brukernavn/],
  ];
  for (const [body, status, detail] of cases) {
    const r = await admin.post('/api/admin/brukere', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(r.data.detail, detail, JSON.stringify(body));
  }
  let r = await admin.request('POST', '/api/admin/brukere', { headers: { 'Content-Type': 'application/json' }, json: undefined });
  assert.equal(r.status, 400);
  r = await fetch(`${srv.url}/api/admin/brukere`, { method: 'POST', headers: { Cookie: admin.cookieHeader(),
    'X-CSRF-Token': admin.csrf, 'Content-Type': 'application/json' }, body: '{"username": ' });
  assert.equal(r.status, 400);
  r = await fetch(`${srv.url}/api/admin/brukere`, { method: 'POST', headers: { Cookie: admin.cookieHeader(),
    'X-CSRF-Token': admin.csrf, 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'x'.repeat(20000) }) });
  assert.equal(r.status, 413);
  for (const p of ['/api/admin/brukere/abc', '/api/admin/brukere/0', '/api/admin/brukere/-1', '/api/admin/brukere/999999'])
    assert.equal((await admin.get(p)).status, 404, p);
  r = await admin.request('PUT', '/api/admin/brukere/2', { json: { active: 'nei' } });
  assert.equal(r.status, 400);
  assert.equal((await admin.get('/api/admin/brukere')).data.users.length, 2, 'nothing was created');
});

test('an admin cannot lock themselves out', async (t) => {
  const { admin } = await setup(t);
  const me = (await admin.get('/api/admin/brukere')).data.users.find((u) => u.username === 'admin');
  for (const [method, json] of [['PUT', { active: false }], ['PUT', { roles: ['hr'] }], ['DELETE', undefined]]) {
    const r = await admin.request(method, `/api/admin/brukere/${me.id}`, { json });
    assert.equal(r.status, 409, `${method} ${JSON.stringify(json)}`);
  }
  assert.equal((await admin.get('/api/me')).status, 200);
});

test('LRS clients: created with a one-time secret that works, listed without it, removed', async (t) => {
  const { srv, admin } = await setup(t);
  let r = await admin.post('/api/admin/lrs-klienter', { name: 'Fagsystem', scopes: 'statements/write statements/read' });
  assert.equal(r.status, 201, r.text);
  const { key, secret } = r.data;
  assert.equal(r.data.scopes, 'statements/write statements/read');
  const basic = 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');
  const xapi = (auth) => fetch(`${srv.url}/xapi/statements`, { headers: { Authorization: auth, 'X-Experience-API-Version': '1.0.3' } });
  assert.equal((await xapi(basic)).status, 200);
  r = await admin.get('/api/admin/lrs-klienter');
  assert.equal(r.data.clients.length, 1);
  assert.equal(r.data.clients[0].name, 'Fagsystem');
  assert.ok(!JSON.stringify(r.data).includes(secret), 'the list never holds the secret');
  r = await admin.post('/api/admin/lrs-klienter', { name: 'x', scopes: 'alt' });
  assert.equal(r.status, 400);
  r = await admin.post('/api/admin/lrs-klienter', { name: '' });
  assert.equal(r.status, 400);
  r = await admin.post('/api/admin/lrs-klienter', { name: 42 });
  assert.equal(r.status, 400);
  r = await admin.request('DELETE', `/api/admin/lrs-klienter/${encodeURIComponent(key)}`);
  assert.equal(r.status, 200);
  assert.equal((await xapi(basic)).status, 401);
  r = await admin.request('DELETE', `/api/admin/lrs-klienter/${encodeURIComponent(key)}`);
  assert.equal(r.status, 404);
  // The CLI sees the same clients.
  await admin.post('/api/admin/lrs-klienter', { name: 'Fra siden' });
  const cli = await runVern(['lrs-client', 'list', '--db', srv.dbPath]);
  assert.match(cli.stdout, /Fra siden/);
});

test('only admins reach the admin API', async (t) => {
  const { srv } = await setup(t);
  const ombud = await new Client(srv.url).signIn('ola', 'ola-passord-1234');
  for (const [method, p] of [['GET', '/api/admin/brukere'], ['POST', '/api/admin/brukere'], ['GET', '/api/admin/brukere/1'],
    ['POST', '/api/admin/brukere/1/passord'], ['GET', '/api/admin/lrs-klienter'], ['POST', '/api/admin/lrs-klienter'],
    ['DELETE', '/api/admin/lrs-klienter/x'], ['POST', '/api/admin/oppbevaring/kjor']]) {
    const r = await ombud.request(method, p, { json: method === 'POST' && !p.endsWith('kjor') ? {} : undefined });
    assert.equal(r.status, 403, `${method} ${p}`);
  }
  const page = await fetch(`${srv.url}/admin`);
  assert.equal(page.status, 200, 'the page itself is static; its data is what is guarded');
});
