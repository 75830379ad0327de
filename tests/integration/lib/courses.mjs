// tests/integration/lib/courses.mjs: what the course tests share: a server
// whose course content lives on its own origin (http://localhost:PORT next
// to the player on http://127.0.0.1:PORT, two sites for the browser), a
// small municipality with a learner and an administrator, sessions from
// the test-only sign-in, package import through the CLI and the upload
// endpoint, headless Chromium (Debian's chromium, driven by playwright-core)
// and LRS queries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir, runProgram, runVern, startServer } from './server.mjs';
import { addLrsClient, lrsHandle } from './lrs.mjs';
import { writeZip } from './zip.mjs';

/** A free TCP port on 127.0.0.1 (closed again, so vern can bind it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const UNITS = 'unit_id;name;parent_id;agency\nK;Testkommune;;nei\nIT;IT-avdelingen;K;ja\n';
const EMPLOYEES = 'employee_id,name,email,unit_id,manager_id,roles,active,start_date\n' +
  '5001,Kari Nordmann,kari@test.no,IT,,,ja,2020-01-01\n' +
  '5002,Ola Admin,ola@test.no,IT,,,ja,2019-01-01\n' +
  '5003,Per Hansen,per@test.no,IT,,,ja,2021-01-01\n';

/** Writes the people and an admin account ("admin", employee 5002) into db. */
export async function seedPeople(dbPath, dir) {
  const units = path.join(dir, 'units.csv');
  const employees = path.join(dir, 'employees.csv');
  fs.writeFileSync(units, UNITS);
  fs.writeFileSync(employees, EMPLOYEES);
  for (const f of [units, employees]) {
    const r = await runVern(['people', 'import', f, '--db', dbPath]);
    assert.equal(r.code, 0, `people import: ${r.stderr}`);
  }
  const sql = "INSERT INTO users(username, display_name, employee_id, created_ms) " +
    "SELECT 'admin', 'Ola Admin', id, 0 FROM employees WHERE external_id = '5002';" +
    "INSERT INTO user_roles(user_id, role) SELECT id, 'admin' FROM users WHERE username = 'admin';";
  const r = await runProgram('sqlite3', [dbPath, sql]);
  assert.equal(r.code, 0, `sqlite3: ${r.stderr}`);
}

/**
 * Starts vern with test endpoints, the people seeded, and (unless
 * sameOrigin) content_origin on localhost. Resolves {srv, base, content, dir}.
 */
export async function startCourseServer(t, { sameOrigin = false, env = {} } = {}) {
  const dir = makeTempDir('vern-courses-');
  const dbPath = path.join(dir, 'vern.db');
  const m = await runVern(['migrate', '--db', dbPath]);
  assert.equal(m.code, 0, m.stderr);
  await seedPeople(dbPath, dir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const content = sameOrigin ? base : `http://localhost:${port}`;
  const args = ['--listen', `127.0.0.1:${port}`, '--public-url', base, '--test-endpoints', 'true'];
  if (!sameOrigin) args.push('--content-origin', content);
  const srv = await startServer({ t, dir, env, args });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { srv, base, content, dir, dbPath };
}

/** POST /api/test/session; resolves {cookie, csrf, token}. */
export async function signIn(base, body) {
  const res = await fetch(`${base}/api/test/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const setCookie = res.headers.get('set-cookie');
  const token = /vern_session=([^;]+)/.exec(setCookie)[1];
  const { csrf } = await res.json();
  return { cookie: `vern_session=${token}`, token, csrf };
}

/** Imports a zip (entries) with `vern course import`; resolves the CLI result. */
export async function importZip(ctx, name, entries, extraArgs = []) {
  const file = path.join(ctx.dir, name);
  writeZip(file, entries);
  return runVern(['course', 'import', file, '--db', ctx.dbPath, '--data', path.join(ctx.dir, 'data'), ...extraArgs]);
}

/** Uploads a zip buffer through POST /api/courses as the admin. */
export async function uploadZip(ctx, session, name, buffer, query = '') {
  const res = await fetch(`${ctx.base}/api/courses?filename=${encodeURIComponent(name)}${query}`, {
    method: 'POST',
    headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf, 'Content-Type': 'application/zip' },
    body: buffer,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

/** Every file and directory below dir (relative), sorted. */
export function listTree(dir) {
  const out = [];
  const walk = (d, rel) => {
    let names;
    try { names = fs.readdirSync(d); } catch { return; }
    for (const n of names.sort()) {
      const p = path.join(d, n);
      out.push(path.join(rel, n));
      if (fs.lstatSync(p).isDirectory()) walk(p, path.join(rel, n));
    }
  };
  walk(dir, '');
  return out;
}

/** An LRS handle (client with scope all) for reading statements. */
export async function lrsReader(ctx) {
  const client = await addLrsClient(ctx.srv, { name: 'reader', scope: 'all' });
  return lrsHandle(ctx.srv, client, '1.0.3');
}

/** Every statement in the LRS (paging through "more"), oldest first. */
export async function allStatements(lrs, query = '') {
  let url = `statements?limit=500${query ? '&' + query : ''}`;
  const out = [];
  for (let i = 0; i < 50 && url; i++) {
    const r = await lrs.xapi(url);
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.statements);
    url = r.json.more ? r.json.more.replace(/^\/xapi\//, '') : null;
  }
  return out.reverse();
}

/** Waits until fn() resolves truthy (polling), or throws after ms. */
export async function until(fn, { ms = 10000, step = 100, what = 'condition' } = {}) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, step));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Launches headless Chromium (Debian's /usr/bin/chromium). */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM_BIN ||
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  assert.ok(executablePath, 'Debian chromium is not installed (make deps)');
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

/** A browser context signed in with session (cookie on the player origin). */
export async function signedInContext(browser, base, session) {
  const context = await browser.newContext();
  await context.addCookies([{ name: 'vern_session', value: session.token, url: base, httpOnly: true, sameSite: 'Lax' }]);
  return context;
}
