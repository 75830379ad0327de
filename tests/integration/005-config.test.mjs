// 005-config.test.mjs: config file / env / flag handling, bad keys and
// values (exit 2 naming the key), precedence, and the informational CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, runVern, makeTempDir, removeDir, assertNoSanitizerFindings,
} from './lib/server.mjs';

function writeConfig(dir, name, text) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

// A serve command that would start if the config were accepted; it must not.
function serveArgs(dir, extra) {
  return ['serve', '--listen', '127.0.0.1:0', '--db', path.join(dir, 'vern.db'),
    '--data', path.join(dir, 'data'), ...extra];
}

async function expectRejected(t, args, env, key) {
  const r = await runVern(args, { env, timeoutMs: 8000 });
  assert.ok(!r.timedOut, `vern ${args.join(' ')} kept running instead of rejecting "${key}"; stderr:\n${r.stderr}`);
  assert.equal(r.code, 2, `exit code for bad "${key}" (signal ${r.signal}); stderr:\n${r.stderr}`);
  assert.ok(r.stderr.includes(key), `stderr does not name "${key}":\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /event=listening/, 'server started despite bad config');
  assertNoSanitizerFindings(r.stderr);
  return r;
}

async function writesStatus(srv) {
  const res = await fetch(`${srv.url}/api/test/writes`);
  await res.arrayBuffer();
  return res.status;
}

test('config', async (t) => {
  const dir = makeTempDir();
  t.after(() => removeDir(dir));
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });

  await t.test('unknown key in config file -> exit 2 naming the key', async () => {
    const f = writeConfig(dir, 'unknown.conf', '# comment\nthreads = 4\nfrobnicate_level = 3\n');
    await expectRejected(t, serveArgs(dir, ['--config', f]), {}, 'frobnicate_level');
  });

  await t.test('bad value in config file -> exit 2 naming the key', async () => {
    const f = writeConfig(dir, 'badvalue.conf', 'threads = abc\n');
    await expectRejected(t, serveArgs(dir, ['--config', f]), {}, 'threads');
  });

  await t.test('bad value in env -> exit 2 naming the key', async () => {
    await expectRejected(t, serveArgs(dir, []), { VERN_THREADS: 'abc' }, 'threads');
  });

  await t.test('bad boolean in config file -> exit 2 naming the key', async () => {
    const f = writeConfig(dir, 'badbool.conf', 'test_endpoints = maybe\n');
    await expectRejected(t, serveArgs(dir, ['--config', f]), {}, 'test_endpoints');
  });

  await t.test('unknown flag -> exit 2 naming it', async () => {
    await expectRejected(t, serveArgs(dir, ['--frobnicate-level', '3']), {}, 'frobnicate');
  });

  await t.test('missing config file -> non-zero exit', async () => {
    const r = await runVern(serveArgs(dir, ['--config', path.join(dir, 'nope.conf')]), { timeoutMs: 8000 });
    assert.ok(!r.timedOut, 'kept running with a missing config file');
    assert.notEqual(r.code, 0, `exit code; stderr:\n${r.stderr}`);
  });

  await t.test('test endpoints are 404 by default', async (t) => {
    const srv = await startServer({ t });
    assert.equal(await writesStatus(srv), 404);
    await srv.kill9(); // exit codes are 001/006's business; saves time
  });

  const on = writeConfig(dir, 'on.conf', '# test config\n\ntest_endpoints = true   # trailing comment\n');

  await t.test('test_endpoints = true in config file enables them', async (t) => {
    const srv = await startServer({ t, args: ['--config', on] });
    assert.equal(await writesStatus(srv), 200);
    assert.equal(await srv.stop(), 0);
    assertNoSanitizerFindings(srv.stderr());
  });

  await t.test('env overrides file', async (t) => {
    const srv = await startServer({ t, args: ['--config', on], env: { VERN_TEST_ENDPOINTS: 'false' } });
    assert.equal(await writesStatus(srv), 404);
    await srv.kill9();
  });

  await t.test('flag overrides env (dash spelling)', async (t) => {
    const srv = await startServer({ t, args: ['--test-endpoints', 'true'], env: { VERN_TEST_ENDPOINTS: 'false' } });
    assert.equal(await writesStatus(srv), 200);
    await srv.kill9();
  });

  await t.test('vern version matches /healthz', async (t) => {
    const r = await runVern(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\d+\.\d+/, `no version in stdout: ${JSON.stringify(r.stdout)}`);
    const srv = await startServer({ t });
    const body = await (await fetch(`${srv.url}/healthz`)).json();
    assert.ok(r.stdout.includes(body.version), `"vern version" printed ${JSON.stringify(r.stdout)}, /healthz says ${body.version}`);
    await srv.kill9();
  });

  await t.test('vern --help', async () => {
    const r = await runVern(['--help']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    for (const cmd of ['serve', 'backup', 'migrate', 'version']) {
      assert.ok(out.includes(cmd), `--help does not mention ${cmd}:\n${out}`);
    }
  });

  await t.test('vern serve --help', async () => {
    const r = await runVern(['serve', '--help'], { timeoutMs: 5000 });
    assert.ok(!r.timedOut, 'serve --help started a server');
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(out.includes('--listen'), `serve --help does not mention --listen:\n${out}`);
    assert.ok(out.includes('--config'), `serve --help does not mention --config:\n${out}`);
  });
});
