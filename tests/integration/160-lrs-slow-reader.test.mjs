// 160-lrs-slow-reader.test.mjs: a client that asks for a large page of
// statements and does not read the answer must not keep the database
// connection that served it. The server runs with one read connection;
// while one client's answer waits in full socket buffers, another query
// is answered at once. (Before the fix the connection, and its snapshot of
// the database, stayed taken until the slow answer was sent.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { assertNoSanitizerFindings, startServer, sleep } from './lib/server.mjs';
import { addLrsClient, lrsHandle, randomUUID } from './lib/lrs.mjs';

const PAD = 'x'.repeat(60 * 1024);

test('statements: a client that does not read its answer holds no read connection', async (t) => {
  const srv = await startServer({ t, args: ['--read-connections', '1'] });
  const lrs = lrsHandle(srv, await addLrsClient(srv));
  // 400 statements of about 60 KB: a 24 MB answer, more than the socket
  // buffers of both ends hold
  for (let b = 0; b < 20; b++) {
    const batch = [];
    for (let k = 0; k < 20; k++) {
      batch.push({
        id: randomUUID(),
        actor: { mbox: `mailto:slow${k}@example.org` },
        verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
        object: { id: 'https://vern.example/activities/slow' },
        result: { extensions: { 'https://vern.example/ext/pad': PAD } },
      });
    }
    const r = await lrs.xapi('statements', { method: 'POST', body: batch });
    assert.equal(r.status, 200, r.text);
  }

  const port = Number(new URL(srv.url).port);
  const slow = net.connect({ host: '127.0.0.1', port });
  let received = 0;
  slow.on('data', (d) => { received += d.length; slow.pause(); });
  slow.on('error', () => {});
  await new Promise((res) => slow.on('connect', res));
  slow.write(`GET /xapi/statements?limit=400 HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Authorization: ${lrs.auth}\r\nX-Experience-API-Version: 1.0.3\r\n\r\n`);
  await sleep(1500); // the server writes until the buffers are full
  try {
    const started = Date.now();
    const res = await fetch(`${lrs.base}/statements?limit=1&verb=${encodeURIComponent('http://adlnet.gov/expapi/verbs/experienced')}`, {
      headers: { Authorization: lrs.auth, 'X-Experience-API-Version': '1.0.3' },
      signal: AbortSignal.timeout(8000),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.statements.length, 1);
    assert.ok(Date.now() - started < 8000);
    assert.ok(received < 24 * 1024 * 1024, 'the slow answer is still being sent');
  } finally {
    slow.destroy();
  }
  const r = await lrs.xapi('statements?limit=2');
  assert.equal(r.status, 200);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
