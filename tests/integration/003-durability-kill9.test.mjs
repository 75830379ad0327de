// 003-durability-kill9.test.mjs: a 201 from POST /api/test/writes means the
// row is committed. Kill -9 the server under 16-client write load, restart
// on the same database, and every acknowledged (client, seq) must be there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, makeTempDir, removeDir, startWriters, readWrites, waitForAcks, assertNoSanitizerFindings,
} from './lib/server.mjs';

const CLIENTS = 16;
const LOAD_MS = 1500;
const MIN_ACKS = 200;

test('acknowledged writes survive kill -9', async (t) => {
  const dir = makeTempDir();
  t.after(() => removeDir(dir));
  const env = { VERN_TEST_ENDPOINTS: 'true' };

  const srv = await startServer({ t, dir, env });
  const load = startWriters(srv.url, { clients: CLIENTS });
  // ~1.5 s of load; longer (up to 6 s) only if the machine is too slow to
  // reach MIN_ACKS by then.
  const loadMs = await waitForAcks(load.acks, MIN_ACKS, { minMs: LOAD_MS, maxMs: 6000 });
  const before = load.acks.size;
  await srv.kill9();
  load.halt();
  await load.done();
  const acks = new Set(load.acks);
  t.diagnostic(`load ${loadMs} ms, acks before kill: ${before}, total acked: ${acks.size}, statuses: ${JSON.stringify([...load.statuses])}`);
  assert.ok(acks.size >= MIN_ACKS,
    `only ${acks.size} writes acknowledged in ${loadMs} ms; too few to mean anything (statuses ${JSON.stringify([...load.statuses])}; stderr tail:\n${srv.stderr().slice(-1500)})`);
  assertNoSanitizerFindings(srv.stderr(), 'first server');

  const srv2 = await startServer({ t, dir, env });
  const { count, items, set } = await readWrites(srv2.url);
  t.diagnostic(`rows after restart: ${count} (items ${items.length})`);
  assert.equal(count, items.length, 'count disagrees with items length');

  const missing = [...acks].filter((k) => !set.has(k));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${acks.size} acknowledged writes lost after kill -9`);

  // Nothing may appear that was never sent.
  const phantoms = items.filter((it) => !(load.sent.has(it.client) && it.seq < load.sent.get(it.client)));
  assert.deepEqual(phantoms.slice(0, 10), [], 'rows that no client ever sent');

  assert.equal(await srv2.stop(), 0, `restarted server exit code; stderr:\n${srv2.stderr().slice(-1500)}`);
  assertNoSanitizerFindings(srv2.stderr(), 'restarted server');
});
