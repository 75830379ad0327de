// 004-backup-under-load.test.mjs: `vern backup` while the server takes
// writes gives an intact SQLite file holding every write acknowledged
// before the backup started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import {
  startServer, runVern, runProgram, startWriters, sleep, waitForAcks, assertNoSanitizerFindings,
} from './lib/server.mjs';

test('online backup under write load', async (t) => {
  const srv = await startServer({ t, env: { VERN_TEST_ENDPOINTS: 'true' } });
  const load = startWriters(srv.url, { clients: 8 });
  t.after(() => load.stop());

  await waitForAcks(load.acks, 100, { minMs: 400, maxMs: 5000 });
  const ackedBefore = new Set(load.acks);
  const dest = path.join(srv.dir, 'backup.db');
  const started = Date.now();
  const r = await runVern(['backup', dest, '--db', srv.dbPath], { timeoutMs: 20000 });
  const took = Date.now() - started;
  await sleep(100);
  await load.stop();
  t.diagnostic(`acked before backup: ${ackedBefore.size}, acked total: ${load.acks.size}, backup took ${took} ms`);

  assert.equal(r.code, 0, `vern backup exit code ${r.code} (signal ${r.signal}); stderr:\n${r.stderr}`);
  assertNoSanitizerFindings(r.stderr, 'vern backup');
  assert.ok(ackedBefore.size > 0, 'no writes acknowledged before the backup started');
  assert.ok(load.acks.size > ackedBefore.size, 'writes stalled while the backup ran');
  assert.ok(fs.existsSync(dest), 'backup file missing');

  const ic = await runProgram('sqlite3', [dest, 'PRAGMA integrity_check;']);
  assert.equal(ic.code, 0, ic.stderr);
  assert.equal(ic.stdout.trim(), 'ok');

  const rows = await runProgram('sqlite3', ['-separator', ':', dest, 'SELECT client, seq FROM test_writes;']);
  assert.equal(rows.code, 0, rows.stderr);
  const inBackup = new Set(rows.stdout.split('\n').filter(Boolean));
  t.diagnostic(`rows in backup: ${inBackup.size}`);
  assert.ok(inBackup.size > 0, 'backup holds no test_writes rows');
  const missing = [...ackedBefore].filter((k) => !inBackup.has(k));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} writes acknowledged before the backup started are missing from it`);

  const res = await fetch(`${srv.url}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(await srv.stop(), 0, `server exit code; stderr:\n${srv.stderr().slice(-1500)}`);
  assertNoSanitizerFindings(srv.stderr());
});
