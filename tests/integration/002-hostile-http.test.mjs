// 002-hostile-http.test.mjs: malformed and hostile requests on raw sockets.
// Every case must get a 4xx status line and never leak /etc/passwd; the
// server must still answer /healthz afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest, statusOf, assertNoSanitizerFindings } from './lib/server.mjs';

const H = 'Host: 127.0.0.1\r\nConnection: close\r\n';
const TEN_MB = 10 * 1024 * 1024;

const cases = [
  ['dot-dot path', `GET /../etc/passwd HTTP/1.1\r\n${H}\r\n`],
  ['encoded dot-dot path', `GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n${H}\r\n`],
  ['deep dot-dot path', `GET /../../../../../../../../etc/passwd HTTP/1.1\r\n${H}\r\n`],
  ['100 KB header', `GET /healthz HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`],
  ['100 KB request target', `GET /${'b'.repeat(100 * 1024)} HTTP/1.1\r\n${H}\r\n`],
  ['10 MB body to /healthz', Buffer.concat([
    Buffer.from(`POST /healthz HTTP/1.1\r\n${H}Content-Type: application/json\r\nContent-Length: ${TEN_MB}\r\n\r\n`),
    Buffer.alloc(TEN_MB, 0x61),
  ])],
  ['unknown method', `FOO / HTTP/1.1\r\n${H}\r\n`],
  ['garbage request line', 'GARBAGE\r\n\r\n'],
  ['method only', 'GET\r\n\r\n'],
  ['HTTP/9.9', `GET / HTTP/9.9\r\n${H}\r\n`],
];

test('hostile HTTP requests get 4xx and leave the server healthy', async (t) => {
  const srv = await startServer({ t });

  for (const [name, bytes] of cases) {
    await t.test(name, async () => {
      const resp = await rawRequest(srv.port, bytes, { timeoutMs: 5000 });
      const firstLine = resp.split('\r\n', 1)[0];
      assert.ok(resp.length > 0, `${name}: no response at all (connection closed or timed out)`);
      const status = statusOf(resp);
      assert.ok(status !== null, `${name}: no HTTP status line, got ${JSON.stringify(resp.slice(0, 200))}`);
      // An unsupported major version is answered 505 (RFC 9110 section 15.6.6);
      // everything else is the client's fault and gets a 4xx.
      const ok = name === 'HTTP/9.9' ? status === 505 : status >= 400 && status < 500;
      assert.ok(ok, `${name}: expected ${name === 'HTTP/9.9' ? '505' : '4xx'}, got "${firstLine}"`);
      assert.match(resp, /content-type: application\/json/i, `${name}: error body is not JSON`);
      assert.ok(!resp.includes('root:'), `${name}: response contains "root:"`);
    });
  }

  await t.test('still healthy afterwards', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'ok');
    assert.ok(srv.running, 'server process died');
    const code = await srv.stop();
    assert.equal(code, 0, `exit code after hostile requests; stderr:\n${srv.stderr().slice(-2000)}`);
    assertNoSanitizerFindings(srv.stderr());
  });
});
