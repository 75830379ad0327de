// 007-request-framing.test.mjs: request smuggling and path confusion.
// A request's body must never be parsed as a second request (conflicting
// or lost Content-Length), an encoded NUL must not truncate the path onto
// another route, and every request gets some response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, rawRequest, statusOf, allStatuses, assertNoSanitizerFindings,
} from './lib/server.mjs';

// The smuggled request closes the connection, so a vulnerable server
// answers fast; a correct one keeps the connection and we wait WAIT_MS.
const INNER = 'GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
const WAIT_MS = 700;
const post = (headers, body) =>
  `POST /api/test/writes HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n${body}`;
const chunkedBody = `0\r\n\r\n${INNER}`;
const manyHeaders = Array.from({ length: 70 }, (_, i) => `X-Filler-${i}: y\r\n`).join('');

const smuggling = [
  ['Content-Length and Transfer-Encoding together',
    post(`Content-Length: ${chunkedBody.length}\r\nTransfer-Encoding: chunked\r\n`, chunkedBody)],
  ['two different Content-Length values',
    post(`Content-Length: 2\r\nContent-Length: ${2 + INNER.length}\r\n`, `{}${INNER}`)],
  ['Content-Length after 70 other headers',
    post(`${manyHeaders}Content-Length: ${INNER.length}\r\n`, INNER)],
  ['Content-Length after an obs-fold line',
    post(`X-Folded: a\r\n b\r\nContent-Length: ${INNER.length}\r\n`, INNER)],
];

test('request framing', async (t) => {
  const srv = await startServer({ t, env: { VERN_TEST_ENDPOINTS: 'true' } });

  for (const [name, bytes] of smuggling) {
    await t.test(`${name}: one 4xx response, body not run as a request`, async () => {
      const resp = await rawRequest(srv.port, bytes, { all: true, timeoutMs: WAIT_MS });
      const statuses = allStatuses(resp);
      assert.ok(statuses.length > 0, `${name}: no response at all`);
      assert.ok(statuses[0] >= 400 && statuses[0] < 500, `${name}: first status ${statuses[0]}, want 4xx`);
      assert.equal(statuses.length, 1,
        `${name}: the body was parsed as another request; statuses ${JSON.stringify(statuses)}:\n${resp.slice(0, 600)}`);
    });
  }

  for (const target of ['/healthz%00.json', '/api/test/writes%00/x']) {
    await t.test(`encoded NUL in ${target} does not reach a route`, async () => {
      const resp = await rawRequest(srv.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, { timeoutMs: 3000 });
      const status = statusOf(resp);
      assert.ok(status === 400 || status === 404,
        `GET ${target}: want 400 or 404, got ${JSON.stringify(resp.split('\r\n', 1)[0])}`);
    });
  }

  for (const host of ['127.0.0.1:PORT', 'evil.example']) {
    await t.test(`absolute-form request to ${host} gets a response`, async () => {
      const h = host.replace('PORT', String(srv.port));
      const resp = await rawRequest(srv.port,
        `GET http://${h}/healthz HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`, { timeoutMs: 3000 });
      const status = statusOf(resp);
      assert.ok(status !== null, `GET http://${h}/healthz: connection closed without any response`);
      assert.ok(status === 200 || (status >= 400 && status < 500), `GET http://${h}/healthz: status ${status}`);
    });
  }

  // An answer given before the body is read closes the connection; it must
  // say so, or a keep-alive client sends its next request on a socket that
  // is about to close and loses it ("other side closed").
  const unreadBodies = [
    ['no such resource', 'POST /nowhere', 404],
    ['method not allowed here', 'POST /healthz', 405],
    ['upload refused before its body is read', 'POST /api/courses?filename=a.zip', 401],
  ];
  for (const [name, line, status] of unreadBodies) {
    await t.test(`${name}: answered ${status} with Connection: close`, async () => {
      const resp = await rawRequest(srv.port,
        `${line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/zip\r\nContent-Length: 5\r\n\r\nabcde`,
        { timeoutMs: 3000 });
      assert.equal(statusOf(resp), status, resp.slice(0, 300));
      assert.match(resp, /\r\nConnection: close\r\n/i);
    });
  }

  await t.test('a keep-alive client sends 200 refused bodies and gets every answer', async () => {
    const body = Buffer.alloc(4096, 1);
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${srv.url}/api/courses?filename=a.zip`,
        { method: 'POST', body, headers: { 'Content-Type': 'application/zip' } });
      assert.equal(res.status, 401, `request ${i}`);
      await res.arrayBuffer();
      const ok = await fetch(`${srv.url}/healthz`);
      assert.equal(ok.status, 200, `request ${i}`);
      await ok.arrayBuffer();
    }
  });

  await t.test('still healthy, no write from a smuggled body', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    assert.equal(res.status, 200);
    const w = await (await fetch(`${srv.url}/api/test/writes`)).json();
    assert.equal(w.count, 0, `unexpected rows: ${JSON.stringify(w.items)}`);
    assert.equal(await srv.stop(), 0);
    assertNoSanitizerFindings(srv.stderr());
  });
});
