// tests/integration/lib/lrs.mjs: helpers for the LRS tests.
//
// Owns: starting a server with an LRS client created through
// `vern lrs-client add`, and a small fetch wrapper that adds Basic auth and
// X-Experience-API-Version.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, runVern } from './server.mjs';

/** Creates an LRS client on the server's database; resolves {key, secret}. */
export async function addLrsClient(srv, { name = 'test', scope = 'all' } = {}) {
  const r = await runVern(['lrs-client', 'add', '--name', name, '--scope', scope, '--db', srv.dbPath]);
  assert.equal(r.code, 0, `lrs-client add failed: ${r.stderr}`);
  const key = /^key: (\S+)$/m.exec(r.stdout)[1];
  const secret = /^secret: (\S+)$/m.exec(r.stdout)[1];
  return { key, secret };
}

/** Starts a server and one client with scope `all`; resolves an LRS handle. */
export async function startLrs({ t, env = {}, scope = 'all' } = {}) {
  const srv = await startServer({ t, env });
  const client = await addLrsClient(srv, { scope });
  return lrsHandle(srv, client);
}

export function lrsHandle(srv, client, version = '1.0.3') {
  const auth = 'Basic ' + Buffer.from(`${client.key}:${client.secret}`).toString('base64');
  const base = `${srv.url}/xapi`;
  /** fetch(path under /xapi/, options); json bodies are stringified. */
  async function xapi(p, { method = 'GET', body, headers = {}, v = version, raw = false } = {}) {
    const h = { Authorization: auth, 'X-Experience-API-Version': v, ...headers };
    let payload = body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      payload = JSON.stringify(body);
      h['Content-Type'] = h['Content-Type'] || 'application/json';
    }
    const res = await fetch(`${base}/${p}`, { method, headers: h, body: payload });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json, raw: res };
  }
  return { srv, client, auth, base, xapi, withVersion: (v) => lrsHandle(srv, client, v) };
}

let n = 0;
/** A small valid statement; override parts with fields. */
export function statement(fields = {}) {
  n += 1;
  return {
    actor: { objectType: 'Agent', name: 'Kari Nordmann', mbox: `mailto:kari${n % 7}@example.org` },
    verb: { id: 'http://adlnet.gov/expapi/verbs/completed', display: { 'nb-NO': 'fullførte' } },
    object: { objectType: 'Activity', id: `https://vern.example/activities/lesson-${n % 5}`,
      definition: { name: { 'nb-NO': `Leksjon ${n % 5}` } } },
    ...fields,
  };
}

export { randomUUID };
