// tests/integration/lib/plugins.mjs: helpers for the plugin tests.
//
// Owns: starting a server with a chosen set of plugins (bundled ones copied
// from plugins/, or Lua text written by the test) and plugin.* settings in
// a config file, the course catalogue rows of CATALOGUE.md, CSV imports,
// SQL reads, calls as a signed-in admin (/api/plugins) or with LRS client
// credentials (the rest), statements by employees,
// and waiting for the plugin worker.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, makeTempDir, runVern, startServer, sleep } from './server.mjs';
import { addLrsClient } from './lrs.mjs';
import { Client, addUser } from './login.mjs';

export const CATALOGUE = [
  'personvern-grunnkurs', 'informasjonssikkerhet-grunnkurs', 'taushetsplikt', 'phishing', 'avvik',
  'personvern-for-ledere', 'pko-opplaering', 'isk-opplaering',
];
export const VERB = {
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  satisfied: 'https://w3id.org/xapi/adl/verbs/satisfied',
  experienced: 'http://adlnet.gov/expapi/verbs/experienced',
  voided: 'http://adlnet.gov/expapi/verbs/voided',
};
export const activity = (course) => `urn:vern:kurs:${course}`;

/** sqlite3 on the server's database (WAL: safe while it runs); rows as objects. */
export function sql(srv, query) {
  const out = execFileSync('sqlite3', ['-json', srv.dbPath, query], { encoding: 'utf8' }).trim();
  return out ? JSON.parse(out) : [];
}

export function sqlExec(srv, query) {
  execFileSync('sqlite3', [srv.dbPath, query], { encoding: 'utf8' });
}

/**
 * Starts a server whose plugins folder holds `bundled` (names of files in
 * plugins/) and `files` ({name: lua text}); `settings` become
 * plugin.NAME.KEY lines of a config file. Daily runs only when the test
 * asks (plugins_daily_hour = -1). Resolves {srv, auth, url, api, ...}.
 */
export async function startWithPlugins(t, { bundled = [], files = {}, settings = {}, args = [],
  courses = CATALOGUE } = {}) {
  const dir = makeTempDir('vern-plugins-');
  const pdir = path.join(dir, 'plugins');
  fs.mkdirSync(pdir);
  for (const name of bundled) {
    fs.copyFileSync(path.join(ROOT, 'plugins', `${name}.lua`), path.join(pdir, `${name}.lua`));
  }
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(pdir, `${name}.lua`), text);
  const cfg = Object.entries(settings).map(([k, v]) => `plugin.${k} = ${v}`).join('\n');
  const cfgPath = path.join(dir, 'vern.conf');
  fs.writeFileSync(cfgPath, `${cfg}\n`);
  const srv = await startServer({
    t,
    args: ['--config', cfgPath, '--plugins-dir', pdir, '--test-endpoints', 'true',
      '--plugins-daily-hour', '-1', ...args],
  });
  const client = await addLrsClient(srv, { scope: 'all' });
  const auth = 'Basic ' + Buffer.from(`${client.key}:${client.secret}`).toString('base64');
  // /api/plugins is for signed-in admins (session cookie and CSRF token).
  await addUser(srv.dbPath, 'plugin-admin', 'plugin-admin-passord', ['--role', 'admin']);
  const admin = await new Client(srv.url).signIn('plugin-admin', 'plugin-admin-passord');
  const now = Date.now();
  for (const id of courses) {
    sqlExec(srv, `INSERT INTO courses(id, activity_id, title, valid_months, created_ms) VALUES('${id}', '${activity(id)}', 'Kurs ${id}', 12, ${now})`);
  }
  const h = {
    srv, auth, admin, pdir, cfgPath, url: srv.url,
    /** fetch as the signed-in admin for /api/plugins, else with the LRS
     * client's Basic auth; JSON in and out. */
    async api(p, { method = 'GET', body, headers = {} } = {}) {
      const hd = p.startsWith('/api/plugins')
        ? { Cookie: admin.cookieHeader(), 'X-CSRF-Token': admin.csrf, ...headers }
        : { Authorization: auth, ...headers };
      let payload;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        hd['Content-Type'] = 'application/json';
      }
      const res = await fetch(`${srv.url}${p}`, { method, headers: hd, body: payload });
      const text = await res.text();
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      return { status: res.status, json, text, headers: res.headers };
    },
    /** POST statements to /xapi/statements; asserts 200. */
    async statements(list) {
      const r = await h.api('/xapi/statements', {
        method: 'POST', body: list, headers: { 'X-Experience-API-Version': '1.0.3' },
      });
      assert.equal(r.status, 200, r.text);
      return r.json;
    },
    /** A statement by employee ext about course (activity id), verb name or IRI. */
    statement(ext, verb, course, extra = {}) {
      return {
        actor: { objectType: 'Agent', name: ext, account: { homePage: srv.url, name: ext } },
        verb: { id: VERB[verb] || verb },
        object: { objectType: 'Activity', id: course.startsWith('urn:') ? course : activity(course) },
        ...extra,
      };
    },
    async importCsv(text, flags = []) {
      const f = path.join(dir, `import-${Math.random().toString(36).slice(2)}.csv`);
      fs.writeFileSync(f, text);
      const r = await runVern(['people', 'import', f, '--db', srv.dbPath, ...flags]);
      assert.equal(r.code, 0, r.stderr);
      return r;
    },
    /** Handles the waiting employee events now (the worker also does, every 0.5 s). */
    async events() {
      for (let i = 0; i < 50; i++) {
        const left = sql(srv, 'SELECT count(*) AS n FROM plugin_events')[0].n;
        if (left === 0) return;
        await h.api('/api/test/plugins/events', { method: 'POST' });
        await sleep(20);
      }
      throw new Error('plugin_events did not drain');
    },
    async daily(nowSeconds) {
      const r = await h.api('/api/test/plugins/daily', { method: 'POST', body: { now: nowSeconds } });
      assert.equal(r.status, 200, r.text);
      return r.json.result;
    },
    async report(plugin, report, params = {}) {
      return h.api(`/api/plugins/${plugin}/reports/${report}`, { method: 'POST', body: params });
    },
    assignments(where = '1') {
      return sql(srv, `SELECT e.external_id AS employee, a.course_id AS course, a.due_date AS due, a.reason, a.plugin FROM assignments a JOIN employees e ON e.id = a.employee_id WHERE ${where} ORDER BY 1, 2`);
    },
    async status() {
      const r = await h.api('/api/plugins');
      assert.equal(r.status, 200, r.text);
      return Object.fromEntries(r.json.plugins.map((p) => [p.name, p]));
    },
  };
  return h;
}

/** Polls fn until it returns a truthy value (or throws after timeoutMs). */
export async function waitFor(fn, { timeoutMs = 10000, what = 'condition' } = {}) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    last = await fn();
    if (last) return last;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Seconds since the epoch of a local date-time (the server's TZ is the test's). */
export function localSeconds(y, m, d, hh = 12) {
  return Math.floor(new Date(y, m - 1, d, hh, 0, 0).getTime() / 1000);
}

export const UNITS_CSV = `unit_id,name,parent_id,agency
K,Kommunen,,nei
HO,Helse og omsorg,K,ja
HJ,Hjemmetjenesten,HO,nei
SK,Skole,K,ja
`;
