// tests/integration/lib/mail.mjs: helpers for the email tests.
//
// Owns: the local SMTP sink (tests/mail/smtp_sink.py on aiosmtpd, started
// on 127.0.0.1 with a kernel-picked port) and the MIME checker
// (tests/mail/check_mime.py); a generated municipality (units with
// leaders, N employees) imported through `vern people import`; the course
// catalogue rows; an admin account and its session; JSON API calls; and
// minting link tokens with the key in the database, to forge expired,
// spliced and foreign tokens the way an attacker or a clock would.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, makeTempDir, runProgram, runVern, sleep } from './server.mjs';

// Debian's python3 has python3-aiosmtpd; a python3 earlier on PATH (pyenv)
// may not.
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SINK = path.join(ROOT, 'tests/mail/smtp_sink.py');
const sinks = new Set();
process.on('exit', () => { for (const p of sinks) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });
const CHECK = path.join(ROOT, 'tests/mail/check_mime.py');

/** Starts the sink; resolves {port, dir, entries(), count(), check(), stop()}. */
export async function startSink(t, args = []) {
  const dir = makeTempDir('vern-sink-');
  const proc = spawn(PYTHON, [SINK, '--port', '0', '--maildir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  sinks.add(proc);
  proc.on('exit', () => sinks.delete(proc));
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s) => { err += s; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`smtp sink did not start: ${err}`)), 10000);
    proc.stdout.on('data', (s) => {
      out += s;
      const m = /READY (\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`smtp sink exited ${code}: ${err}`)); });
  });
  const sink = {
    port,
    dir,
    stderr: () => err,
    entries() {
      const f = path.join(dir, 'log.jsonl');
      if (!fs.existsSync(f)) return [];
      return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    count() { return sink.entries().length; },
    /** Runs check_mime.py over files (default all); resolves the descriptions. */
    async check(files = []) {
      const r = await runProgram(PYTHON, [CHECK, dir, ...files], { timeoutMs: 120000 });
      if (r.code !== 0) throw new Error(`check_mime.py failed: ${r.stderr}`);
      return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    /** SIGTERM; SIGKILL when it has not exited after 5 s (a sink that hangs
     * in its shutdown must not hang the test run). */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      let timer;
      const late = new Promise((r) => { timer = setTimeout(() => r('late'), 5000); });
      if (await Promise.race([exited, late]) === 'late') {
        proc.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    },
  };
  if (t) t.after(() => sink.stop());
  return sink;
}

/** Config flags pointing vern at the sink. */
export function sinkArgs(sink, extra = []) {
  return ['--smtp-host', '127.0.0.1', '--smtp-port', String(sink.port), '--smtp-tls', 'none',
    '--mail-from', 'Vern Demo kommune <vern@demo.test>', '--test-endpoints', 'true', ...extra];
}

export async function waitFor(fn, { ms = 30000, step = 100, what = 'condition' } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(step);
  }
}

export async function sql(dbPath, text) {
  const r = await runProgram('sqlite3', ['-cmd', '.timeout 10000', dbPath, text], { timeoutMs: 60000 });
  if (r.code !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

const FIRST = ['Kari', 'Ola', 'Åse', 'Øystein', 'Ingrid', 'Per', 'Sigrid', 'Håkon', 'Eva', 'Jørgen', 'Marte', 'Bjørn'];
const LAST = ['Nordmann', 'Hansen', 'Ærø', 'Berg', 'Dahl', 'Lie', 'Sæther', 'Haugen', 'Strøm', 'Moen'];

/**
 * A municipality: root K, `agencies` agencies each with 4 units; a leder
 * in each unit, a virksomhetsleder in each agency, a kommunaldirektor in K;
 * the rest ordinary staff spread over the units. `employees` counts
 * everyone. Imported with `vern people import`; resolves the people.
 */
export async function makeOrg(dbPath, { employees = 100, agencies = 5 } = {}) {
  const dir = makeTempDir('vern-org-');
  const units = [['K', 'Demo kommune', '', 'nei']];
  const leaves = [];
  for (let a = 1; a <= agencies; a++) {
    units.push([`V${a}`, `Virksomhet ${a}`, 'K', 'ja']);
    for (let u = 1; u <= 4; u++) { units.push([`V${a}E${u}`, `Enhet ${a}.${u}`, `V${a}`, 'nei']); leaves.push(`V${a}E${u}`); }
  }
  const people = [];
  const add = (unit, roles) => {
    const i = people.length + 1;
    const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]} ${i}`;
    people.push({ external_id: `A${String(i).padStart(5, '0')}`, name, email: `ansatt${i}@demo.test`, unit, roles });
  };
  add('K', 'kommunaldirektor');
  for (let a = 1; a <= agencies; a++) add(`V${a}`, 'virksomhetsleder');
  for (const leaf of leaves) add(leaf, 'leder');
  while (people.length < employees) add(leaves[people.length % leaves.length], 'ansatt');
  const unitsCsv = path.join(dir, 'enheter.csv');
  fs.writeFileSync(unitsCsv, 'unit_id,name,parent_id,agency\n' + units.map((u) => u.join(',')).join('\n') + '\n');
  const peopleCsv = path.join(dir, 'ansatte.csv');
  fs.writeFileSync(peopleCsv, 'employee_id,name,email,unit_id,roles\n' +
    people.map((p) => [p.external_id, p.name, p.email, p.unit, p.roles].join(',')).join('\n') + '\n');
  for (const f of [unitsCsv, peopleCsv]) {
    const r = await runVern(['people', 'import', f, '--db', dbPath], { timeoutMs: 120000 });
    if (r.code !== 0) throw new Error(`people import ${f}: ${r.stderr}`);
  }
  const ids = await sql(dbPath, 'SELECT external_id, id FROM employees');
  const idOf = new Map(ids.split('\n').map((l) => l.split('|')).map(([e, i]) => [e, Number(i)]));
  for (const p of people) p.id = idOf.get(p.external_id);
  return { people, byEmail: new Map(people.map((p) => [p.email, p])), leaves };
}

export const CATALOGUE = [
  ['personvern-grunnkurs', 'Personvern – grunnkurs'],
  ['informasjonssikkerhet-grunnkurs', 'Informasjonssikkerhet – grunnkurs'],
  ['taushetsplikt', 'Taushetsplikt og deling av opplysninger'],
  ['phishing', 'Svindel og phishing på e-post'],
  ['avvik', 'Å oppdage og melde avvik'],
];

/** The catalogue rows (kept when the bundled courses put them there already). */
export async function ensureCourses(dbPath) {
  const values = CATALOGUE.map(([id, title]) => `('${id}', 'urn:vern:kurs:${id}', '${title}', 10, 12, 0)`).join(', ');
  await sql(dbPath, `INSERT OR IGNORE INTO courses(id, activity_id, title, minutes, valid_months, created_ms) VALUES ${values};`);
}

/** An account "admin" holding the admin role. */
export async function makeAdmin(dbPath) {
  await sql(dbPath, "INSERT OR IGNORE INTO users(username, display_name, created_ms) VALUES('admin', 'Admin Adminsen', 0);" +
    " INSERT OR IGNORE INTO user_roles(user_id, role) SELECT id, 'admin' FROM users WHERE username = 'admin';");
}

/** Signs in through the test-only endpoint; resolves {cookie, csrf}. */
export async function testSession(url, body) {
  const res = await fetch(`${url}/api/test/session`, {
    method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(60000),
  });
  if (res.status >= 300) throw new Error(`test session: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const { csrf } = await res.json();
  return { cookie, csrf };
}

export async function adminSession(url, dbPath) {
  await makeAdmin(dbPath);
  try {
    return await testSession(url, { user: 'admin' });
  } catch {
    const id = Number(await sql(dbPath, "SELECT id FROM users WHERE username = 'admin'"));
    return testSession(url, { user: id });
  }
}

/** A JSON call with the session; resolves {status, body, headers}. */
export async function api(url, session, method, p, body) {
  const headers = { 'content-type': 'application/json' };
  if (session) { headers.cookie = session.cookie; headers['x-csrf-token'] = session.csrf; }
  const res = await fetch(`${url}${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(120000),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

/** A link token signed with key kid from the database (mail_token.h layout). */
export async function mintToken(dbPath, { kid, employeeId, campaignId = 0, expires, course, secretHex }) {
  const hex = secretHex || await sql(dbPath, `SELECT hex(secret) FROM mail_keys WHERE id = ${Number(kid)}`);
  const secret = Buffer.from(hex, 'hex');
  const c = Buffer.from(course, 'utf8');
  const head = Buffer.alloc(22);
  head[0] = 1;
  head.writeUInt32BE(kid, 1);
  head.writeBigUInt64BE(BigInt(employeeId), 5);
  head.writeUInt32BE(campaignId, 13);
  head.writeUInt32BE(expires, 17);
  head[21] = c.length;
  const body = Buffer.concat([head, c]);
  const mac = crypto.createHmac('sha512', secret).update(Buffer.concat([Buffer.from('vern.link.v1\0'), body])).digest().subarray(0, 32);
  return Buffer.concat([body, mac]).toString('base64url');
}

/** Decodes a token's fields (no checking). */
export function readToken(token) {
  const b = Buffer.from(token, 'base64url');
  const len = b[21];
  return {
    kid: b.readUInt32BE(1), employeeId: Number(b.readBigUInt64BE(5)), campaignId: b.readUInt32BE(13),
    expires: b.readUInt32BE(17), course: b.subarray(22, 22 + len).toString('utf8'), raw: b,
  };
}

/** The token part of a link. */
export const tokenOf = (link) => link.slice(link.lastIndexOf('/e/') + 3);
