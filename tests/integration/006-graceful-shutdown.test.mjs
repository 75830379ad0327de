// 006-graceful-shutdown.test.mjs: SIGTERM stops the server cleanly (exit 0,
// a shutdown log line), and under write load every acknowledged write is
// on disk afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, makeTempDir, removeDir, startWriters, readWrites, waitForAcks, assertNoSanitizerFindings,
} from './lib/server.mjs';

const STOP_RE = /\bevent=(stopped|shutdown|stopping|exit)\b/;

test('SIGTERM on an idle server', async (t) => {
  const srv = await startServer({ t });
  const t0 = Date.now();
  const code = await srv.stop({ timeoutMs: 10000 });
  const took = Date.now() - t0;
  t.diagnostic(`stopped in ${took} ms`);
  assert.equal(code, 0, `exit code; stderr:\n${srv.stderr()}`);
  assert.match(srv.stderr(), STOP_RE, `no shutdown log line in stderr:\n${srv.stderr()}`);
  assertNoSanitizerFindings(srv.stderr());
});

test('SIGTERM under write load keeps every acknowledged write', async (t) => {
  const dir = makeTempDir();
  t.after(() => removeDir(dir));
  const env = { VERN_TEST_ENDPOINTS: 'true' };

  const srv = await startServer({ t, dir, env });
  const load = startWriters(srv.url, { clients: 16 });
  await waitForAcks(load.acks, 200, { minMs: 800, maxMs: 5000 });
  const code = await srv.stop({ timeoutMs: 10000 });
  load.halt();
  await load.done();
  t.diagnostic(`acked: ${load.acks.size}, statuses: ${JSON.stringify([...load.statuses])}`);
  assert.equal(code, 0, `exit code under load; stderr tail:\n${srv.stderr().slice(-2000)}`);
  assert.match(srv.stderr(), STOP_RE, 'no shutdown log line');
  assert.ok(load.acks.size >= 100,
    `only ${load.acks.size} acks; client errors ${load.errors.length} (${load.errors.slice(0, 3).map((e) => e.cause?.code || e.message)}); stderr tail:\n${srv.stderr().slice(-2500)}`);
  assertNoSanitizerFindings(srv.stderr());

  const srv2 = await startServer({ t, dir, env });
  const { set } = await readWrites(srv2.url);
  const missing = [...load.acks].filter((k) => !set.has(k));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${load.acks.size} acknowledged writes lost after SIGTERM`);
  assert.equal(await srv2.stop(), 0);
  assertNoSanitizerFindings(srv2.stderr());
});
