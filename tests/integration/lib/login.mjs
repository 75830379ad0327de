// tests/integration/lib/login.mjs: signing in the way a browser does, for
// the sign-in, Min side, admin and retention tests: a cookie jar, the
// sign-in CSRF token, TOTP codes computed here (RFC 6238), accounts made
// with `vern user add` (password on stdin), and a small municipality
// written with the sqlite3 CLI.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { VERN_BIN, runProgram } from './server.mjs';

/** RFC 4648 base32 (no padding) to bytes. */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/[\s=]/g, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The TOTP code (6 digits, 30 s, HMAC-SHA1) for a base32 secret. */
export function totp(secret, atMs = Date.now(), stepOffset = 0) {
  const step = Math.floor(atMs / 1000 / 30) + stepOffset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const off = mac[19] & 15;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 1000000).padStart(6, '0');
}

// The last TOTP step used per secret: the server accepts each step once.
export const usedSteps = new Map();

/** A client with a cookie jar; csrf is the session's token once signed in. */
export class Client {
  constructor(url) { this.url = url; this.jar = new Map(); this.csrf = null; }

  cookieHeader() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }

  async request(method, path, { json, form, headers = {}, csrf = true } = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (this.jar.size) h.Cookie = this.cookieHeader();
    if (csrf && this.csrf && method !== 'GET' && !('X-CSRF-Token' in h)) h['X-CSRF-Token'] = this.csrf;
    let body;
    if (json !== undefined) { h['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
    if (form !== undefined) { h['Content-Type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(form).toString(); }
    const res = await fetch(this.url + path, { method, headers: h, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim();
      if (!value || attrs.some((a) => /max-age=0\b/i.test(a.trim()))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    let data = text;
    try { data = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, data, text };
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, json, opts = {}) { return this.request('POST', path, { json, ...opts }); }

  /** The sign-in CSRF token (GET /api/login sets its cookie). */
  async loginToken() {
    const r = await this.get('/api/login');
    if (r.status !== 200) throw new Error(`GET /api/login: ${r.status}`);
    return r.data.csrf;
  }

  /** Step one; returns the response of POST /api/login. */
  async password(username, password) {
    const token = await this.loginToken();
    return this.request('POST', '/api/login', { json: { username, password }, headers: { 'X-CSRF-Token': token } });
  }

  /** Signs in fully. With secret given the TOTP step uses it; an account
   * that must enrol gets its new secret back in .secret. */
  async signIn(username, password, { secret } = {}) {
    const r = await this.password(username, password);
    if (r.status !== 200) throw new Error(`sign-in of ${username}: ${r.status} ${r.text}`);
    if (r.data.step) {
      const info = await this.get('/api/login/totp');
      if (info.status !== 200) throw new Error(`GET /api/login/totp: ${info.status}`);
      const key = info.data.step === 'enrol' ? info.data.secret : secret;
      if (!key) throw new Error(`${username} needs a TOTP secret`);
      this.secret = key;
      // A fresh step so a code used a moment ago (replay guard) is not reused.
      const used = usedSteps.get(key);
      const code = freshCode(key, used);
      const usedStep = Math.max(Math.floor(Date.now() / 30000), (used ?? -1) + 1);
      const done = await this.request('POST', '/api/login/totp', { json: { code }, headers: { 'X-CSRF-Token': info.data.csrf } });
      if (done.status !== 200) throw new Error(`TOTP step of ${username}: ${done.status} ${done.text}`);
      usedSteps.set(key, usedStep);
    }
    const me = await this.get('/api/me');
    if (me.status !== 200) throw new Error(`/api/me after sign-in: ${me.status}`);
    this.csrf = me.data.csrf;
    this.me = me.data;
    return this;
  }
}

/** A code not yet used: the current step's, or the next step's (accepted
 * as clock drift) when the current one was used a moment ago. */
export function freshCode(secret, usedStep) {
  const step = Math.floor(Date.now() / 30000);
  return totp(secret, Date.now(), usedStep !== undefined && step <= usedStep ? usedStep + 1 - step : 0);
}

/** Runs vern with text on stdin; resolves {code, stdout, stderr}. */
export function vernInput(args, input) {
  return new Promise((resolve, reject) => {
    const env = {};
    for (const k of ['PATH', 'HOME', 'LANG', 'TZ', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) {
      if (process.env[k] !== undefined) env[k] = process.env[k];
    }
    const proc = spawn(VERN_BIN, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (s) => { stdout += s; });
    proc.stderr.on('data', (s) => { stderr += s; });
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(input);
  });
}

/** `vern user add` with a password on stdin; asserts success. */
export async function addUser(dbPath, username, password, extra = []) {
  const r = await vernInput(['user', 'add', username, ...extra, '--db', dbPath], password + '\n');
  if (r.code !== 0) throw new Error(`vern user add ${username}: ${r.code} ${r.stderr}`);
  return r;
}

/** Runs SQL on the database with the sqlite3 CLI; returns stdout. */
export async function sql(dbPath, text) {
  const r = await runProgram('sqlite3', ['-cmd', '.timeout 5000', dbPath, text]);
  if (r.code !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout;
}

const DAY = 86400000;
const q = (s) => (s === null || s === undefined ? 'NULL' : `'${String(s).replace(/'/g, "''")}'`);

/** A small municipality: units, employees with org roles, courses,
 * assignments and completions. Returns who is who. */
export async function seedMunicipality(dbPath, now = Date.now()) {
  const today = new Date(now).toISOString().slice(0, 10);
  const past = new Date(now - 10 * DAY).toISOString().slice(0, 10);
  const later = new Date(now + 20 * DAY).toISOString().slice(0, 10);
  await sql(dbPath, `
    INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path) VALUES
      (1, 'kommune', 'Testvik kommune', NULL, 0, '/1/'),
      (2, 'skole', 'Solbakken skole', 1, 1, '/1/2/'),
      (3, 'sykehjem', 'Lia sykehjem', 1, 1, '/1/3/');
    INSERT INTO employees(id, external_id, name, email, unit_id, updated_ms) VALUES
      (1, 'E1', 'Kari Nordmann', 'kari@testvik.invalid', 2, ${now}),
      (2, 'E2', 'Per Hansen', 'per@testvik.invalid', 3, ${now}),
      (3, 'L1', 'Lise Leder', 'lise@testvik.invalid', 2, ${now}),
      (4, 'O1', 'Ola Ombud', 'ola@testvik.invalid', 1, ${now});
    INSERT INTO employee_roles(employee_id, role_id) SELECT 3, id FROM roles WHERE code = 'leder';
    INSERT INTO employee_roles(employee_id, role_id) SELECT 4, id FROM roles WHERE code = 'personvernombud';
    INSERT INTO courses(id, activity_id, title, minutes, valid_months, created_ms) VALUES
      ('personvern-grunnkurs', 'urn:vern:kurs:personvern-grunnkurs', 'Personvern – grunnkurs', 30, 12, ${now}),
      ('phishing', 'urn:vern:kurs:phishing', 'Svindel og phishing på e-post', 15, 12, ${now}),
      ('taushetsplikt', 'urn:vern:kurs:taushetsplikt', 'Taushetsplikt og deling av opplysninger', 20, 12, ${now});
    INSERT INTO assignments(employee_id, course_id, due_date, reason, created_ms) VALUES
      (1, 'personvern-grunnkurs', ${q(later)}, 'Alle ansatte', ${now}),
      (1, 'phishing', ${q(past)}, 'Alle ansatte', ${now}),
      (1, 'taushetsplikt', ${q(later)}, 'Alle ansatte', ${now}),
      (2, 'personvern-grunnkurs', ${q(later)}, 'Alle ansatte', ${now});
    INSERT INTO completions(employee_id, course_id, completed_ms, expires_ms, success, score, statement_id) VALUES
      (1, 'personvern-grunnkurs', ${now - 5 * DAY}, ${now + 360 * DAY}, 1, 0.9, '11111111-1111-4111-8111-111111111111'),
      (2, 'personvern-grunnkurs', ${now - 3 * DAY}, ${now + 362 * DAY}, 1, 0.75, '22222222-2222-4222-8222-222222222222');
  `);
  // A course attempt with SCORM run-time data (the courses part's tables).
  await sql(dbPath, `
    INSERT INTO course_versions(id, course_id, version, kind, dir, publisher_id, title, outline, source, bytes, imported_ms)
      VALUES (1, 'phishing', 1, 'scorm12', 'v1', 'no.test.phishing', 'Svindel og phishing', '[]', 'phishing.zip', 1000, ${now});
    INSERT INTO course_attempts(id, employee_id, course_id, version_id, registration, current_item, started_ms, updated_ms)
      VALUES (1, 1, 'phishing', 1, '33333333-3333-4333-8333-333333333333', 'sco-2', ${now - DAY}, ${now});
    INSERT INTO attempt_items(attempt_id, item, cmi, location, suspend_data, updated_ms)
      VALUES (1, 'sco-2', '{"cmi.core.lesson_location":"side-4"}', 'side-4', 'svar=ja', ${now});
  `);
  return {
    today,
    kari: { id: 1, ext: 'E1', name: 'Kari Nordmann' },
    per: { id: 2, ext: 'E2', name: 'Per Hansen' },
    leader: { id: 3, ext: 'L1', name: 'Lise Leder' },
    ombud: { id: 4, ext: 'O1', name: 'Ola Ombud' },
  };
}
