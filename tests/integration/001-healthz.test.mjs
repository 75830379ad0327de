// 001-healthz.test.mjs: /healthz (GET, HEAD), JSON 404 for unknown paths,
// JSON 405 for a wrong method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest, statusOf, assertNoSanitizerFindings } from './lib/server.mjs';

function assertJsonType(res) {
  assert.match(res.headers.get('content-type') || '', /^application\/json\b/i,
    `content-type should be application/json, got ${res.headers.get('content-type')}`);
}

async function assertJsonError(res, status) {
  assert.equal(res.status, status);
  assertJsonType(res);
  const text = await res.text();
  let body;
  assert.doesNotThrow(() => { body = JSON.parse(text); }, `error body is not JSON: ${text}`);
  assert.equal(typeof body.error, 'string', `error field: ${text}`);
  assert.ok(body.error.length > 0, `empty error code: ${text}`);
  assert.equal(typeof body.detail, 'string', `detail field: ${text}`);
  return body;
}

test('healthz and error shapes', async (t) => {
  const srv = await startServer({ t });

  await t.test('GET /healthz is 200 with status, version, database', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    assert.equal(res.status, 200);
    assertJsonType(res);
    const body = await res.json();
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.version, 'string');
    assert.match(body.version, /\d/, `version looks empty: ${body.version}`);
    assert.equal(body.database, 'ok');
  });

  await t.test('HEAD /healthz is 200 with headers only', async () => {
    const res = await fetch(`${srv.url}/healthz`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    // fetch hides a body sent on HEAD; check the bytes on the wire too.
    const raw = await rawRequest(srv.port,
      'HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { timeoutMs: 3000 });
    assert.equal(statusOf(raw), 200, `raw HEAD response: ${JSON.stringify(raw)}`);
    const end = raw.indexOf('\r\n\r\n');
    assert.ok(end > 0, `no header terminator: ${JSON.stringify(raw)}`);
    assert.equal(raw.slice(end + 4), '', 'HEAD response carried a body');
  });

  await t.test('unknown path is JSON 404', async () => {
    const res = await fetch(`${srv.url}/no/such/path`);
    await assertJsonError(res, 404);
  });

  await t.test('POST /healthz is JSON 405 with Allow', async () => {
    const res = await fetch(`${srv.url}/healthz`, { method: 'POST', body: '' });
    await assertJsonError(res, 405);
    const allow = res.headers.get('allow') || '';
    assert.match(allow, /\bGET\b/, `405 must carry Allow (RFC 9110 15.5.6), got "${allow}"`);
  });

  await t.test('server exits 0 on SIGTERM with clean stderr', async () => {
    const code = await srv.stop();
    assert.equal(code, 0, `exit code; stderr:\n${srv.stderr().slice(-2000)}`);
    assertNoSanitizerFindings(srv.stderr());
  });
});
