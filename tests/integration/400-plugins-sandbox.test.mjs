// 400-plugins-sandbox: the plugin sandbox, through the running server.
// Every way out of the sandbox fails; endless loops, a 4 GB string.rep and
// runaway recursion are stopped within their budgets while the server
// keeps answering HTTP; a plugin that does not load is reported and
// skipped while the others run; `vern plugins list|check|reload`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNoSanitizerFindings, runVern, sleep } from './lib/server.mjs';
import { startWithPlugins, waitFor, UNITS_CSV } from './lib/plugins.mjs';

const MARKER = path.join(os.tmpdir(), `vern-escape-${process.pid}`);

const ESCAPE = `
local function attempts()
  local r = {}
  local function try(name, f)
    local ok, v = pcall(f)
    r[name] = { escaped = ok and v ~= nil and v ~= false, detail = tostring(v) }
  end
  try("os.execute", function() return os.execute("touch ${MARKER}") end)
  try("os.getenv", function() return os.getenv("HOME") end)
  try("os.remove", function() return os.remove("/tmp") end)
  try("io.open", function() return io.open("/etc/passwd") end)
  try("io via _ENV", function() return _ENV.io end)
  try("io via rawget", function() return rawget(_G, "io") end)
  try("require", function() return require("io") end)
  try("package.loadlib", function() return package.loadlib("libc.so.6", "system") end)
  try("dofile", function() return dofile("/etc/passwd") end)
  try("loadfile", function() return loadfile("/etc/passwd") end)
  try("load binary chunk", function() return load("\\27Lua\\84\\0\\25\\147\\13\\10\\26\\10") end)
  try("load binary with mode b", function() return load("\\27Lua\\84\\0", "x", "b") end)
  try("load text reaching io", function() return load("return io")() end)
  try("string.dump", function() return string.dump(attempts) end)
  try("dump via string methods", function() return ("").dump end)
  try("string metatable dump", function() return getmetatable("").__index.dump end)
  try("string metatable io", function() return getmetatable("").__index.io or getmetatable("").io end)
  try("debug", function() return debug.getregistry() end)
  try("debug.sethook", function() return debug.sethook() end)
  try("coroutine", function() return coroutine.wrap(function() while true do end end)() end)
  try("collectgarbage stop", function() return collectgarbage("stop") end)
  try("__gc finalizer", function() return setmetatable({}, { __gc = function() while true do end end }) end)
  try("vern internals", function() return vern.db or vern.sql or vern.exec end)
  try("assign from a report", function() vern.assign { everyone = true, course = "phishing" } return true end)
  return r
end

return {
  name = "escape",
  version = "1",
  reports = {
    attempts = attempts,
    spin = function() while true do end end,
    spin_pcall = function() while true do pcall(function() while true do end end) end end,
    coroutine_loop = function() local co = coroutine.create(function() while true do end end) return coroutine.resume(co) end,
    rep = function() return #string.rep("x", 4 * 1024 * 1024 * 1024) end,
    rep_1g = function() return #string.rep("x", 1024 * 1024 * 1024) end,
    rep_loop = function() local n = 0 for i = 1, 1e6 do n = n + #string.rep("x", 16 * 1024 * 1024) end return n end,
    grow = function() local s = "x" while true do s = s .. s end end,
    recurse = function() local function f(n) return 1 + f(n + 1) end return f(1) end,
    tail_recurse = function() local function f(n) return f(n + 1) end return f(1) end,
    table_bomb = function() local t = {} for i = 1, 1e9 do t[i] = { i } end end,
    bad_result = function() return { f = function() end } end,
    cycle = function() local t = {} t.t = t return t end,
    fine = function(p) return { echo = p.x, list = { 1, 2, 3 }, empty = {} } end,
  },
}
`;

const LOOPING_HOOK = `
return {
  name = "stuck",
  version = "1",
  on_employee = function(e, change) while true do end end,
}
`;

const HEALTHY = `
return {
  name = "healthy",
  version = "2.1",
  on_employee = function(e, change)
    vern.log("on_employee " .. e.external_id .. " " .. change)
  end,
  reports = { hello = function() return { hello = "verden" } end },
}
`;

const BROKEN = {
  load_escape: `os.execute("touch ${MARKER}") return { name = "load_escape", version = "1" }`,
  syntax: 'return { name = "syntax", version = "1", ',
  wrong_name: 'return { name = "something_else", version = "1" }',
  no_table: 'return 42',
  typo_hook: 'return { name = "typo_hook", version = "1", on_employe = function() end }',
  load_loop: 'while true do end',
};

/** Polls /healthz every 20 ms while fn runs; returns [fn's result, worst latency ms, answered]. */
async function whileServing(url, fn) {
  let done = false;
  let worst = 0;
  let answered = 0;
  const poller = (async () => {
    while (!done) {
      const t0 = Date.now();
      const r = await fetch(`${url}/healthz`);
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      worst = Math.max(worst, Date.now() - t0);
      answered++;
      await sleep(20);
    }
  })();
  let v;
  try {
    v = await fn();
  } finally {
    done = true;
    await poller;
  }
  return [v, worst, answered];
}

test('every escape fails, budgets stop runaway plugins while HTTP keeps answering', async (t) => {
  fs.rmSync(MARKER, { force: true });
  const h = await startWithPlugins(t, {
    files: { escape: ESCAPE, stuck: LOOPING_HOOK, healthy: HEALTHY, ...BROKEN },
    args: ['--plugins-call-ms', '1500', '--plugins-memory-mb', '192'],  // 64 MB per Lua state
  });

  const r = await h.report('escape', 'attempts');
  assert.equal(r.status, 200, r.text);
  for (const [name, res] of Object.entries(r.json)) {
    assert.equal(res.escaped, false, `${name} escaped: ${res.detail}`);
  }
  assert.match(r.json['assign from a report'].detail, /not allowed in reports/);
  assert.match(r.json['__gc finalizer'].detail, /__gc/);
  assert.equal(fs.existsSync(MARKER), false, 'os.execute ran');

  const runaway = {
    spin: /budget exceeded/,
    spin_pcall: /budget exceeded/,
    coroutine_loop: /coroutine/,
    rep: /too large|memory/,  // Lua caps string.rep at 2 GB itself
    rep_1g: /out of memory \(limit 67108864 bytes\)/,
    rep_loop: /budget exceeded/,
    grow: /memory|budget exceeded/,
    recurse: /stack overflow|memory|budget exceeded/,
    tail_recurse: /budget exceeded/,
    table_bomb: /memory|budget exceeded/,
  };
  for (const [name, why] of Object.entries(runaway)) {
    const t0 = Date.now();
    const [res, worst, answered] = await whileServing(h.url, () => h.report('escape', name));
    const took = Date.now() - t0;
    assert.equal(res.status, 500, `${name}: ${res.text}`);
    assert.equal(res.json.error, 'plugin_failed');
    assert.match(res.json.detail, why, name);
    assert.ok(took < 6000, `${name} ran ${took} ms (budget 1500 ms)`);
    assert.ok(worst < 1000, `${name}: /healthz took ${worst} ms while the plugin ran`);
    assert.ok(answered >= 1);
  }
  // Results that are not JSON are refused, not sent.
  for (const name of ['bad_result', 'cycle']) {
    const res = await h.report('escape', name);
    assert.equal(res.status, 500, res.text);
    assert.match(res.json.detail, /not JSON/);
  }
  const fine = await h.api('/api/plugins/escape/reports/fine?x=hei');
  assert.equal(fine.status, 200, fine.text);
  assert.deepEqual(fine.json, { echo: 'hei', list: [1, 2, 3], empty: [] });

  // Broken plugins are reported, with the reason, and skipped.
  const st = await h.status();
  for (const name of Object.keys(BROKEN)) {
    assert.equal(st[name].status, 'broken', name);
    assert.ok(st[name].error, name);
  }
  assert.match(st.load_escape.error, /attempt to call a nil value \(field 'execute'\)/);
  assert.match(st.wrong_name.error, /name must be "wrong_name"/);
  assert.match(st.typo_hook.error, /unknown field on_employe/);
  assert.match(st.load_loop.error, /budget exceeded/);
  assert.equal(st.healthy.status, 'ok');
  assert.deepEqual(st.healthy.hooks, ['on_employee']);
  assert.equal((await h.report('syntax', 'x')).status, 503);
  assert.equal((await h.report('nope', 'x')).status, 404);
  assert.equal((await h.report('healthy', 'nope')).status, 404);
  assert.deepEqual((await h.report('healthy', 'hello')).json, { hello: 'verden' });

  // A hook that never ends is stopped each time; the other plugins' hooks
  // still run and HTTP keeps answering meanwhile.
  await h.importCsv(UNITS_CSV);
  const [, worst] = await whileServing(h.url, async () => {
    await h.importCsv('employee_id,name,unit_id\nx1,Ane,HJ\nx2,Bo,SK\n');
    await waitFor(() => /on_employee x2 created/.test(h.srv.stderr()), { what: 'healthy hook', timeoutMs: 20000 });
    await waitFor(async () => (await h.status()).stuck.errors === 2, { what: 'stuck hook stopped twice', timeoutMs: 20000 });
  });
  assert.ok(worst < 1000, `/healthz took ${worst} ms while a hook looped`);
  const after = await h.status();
  assert.equal(after.stuck.errors, 2);
  assert.match(after.stuck.last_error, /on_employee: .*budget exceeded/);
  assert.equal(after.healthy.errors, 0);
  assert.ok(after.escape.errors >= 10);

  // Unauthenticated calls are refused.
  const anon = await fetch(`${h.url}/api/plugins`);
  assert.equal(anon.status, 401);
  await anon.arrayBuffer();

  assert.equal(fs.existsSync(MARKER), false);
  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});

test('vern plugins list, check and reload (SIGHUP)', async (t) => {
  const h = await startWithPlugins(t, { files: { healthy: HEALTHY, syntax: BROKEN.syntax } });
  const list = await runVern(['plugins', 'list', '--plugins-dir', h.pdir]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^healthy 2\.1 {2}ok/m);
  assert.match(list.stdout, /^syntax .*BROKEN/m);
  assert.match(list.stdout, /1 plugin\(s\) broken/);

  const good = await runVern(['plugins', 'check', path.join(h.pdir, 'healthy.lua')]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /hooks: on_employee/);
  assert.match(good.stdout, /reports: hello/);
  const bad = await runVern(['plugins', 'check', path.join(h.pdir, 'syntax.lua')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /error: .*syntax\.lua:1:/);
  for (const bundled of ['mandatory_by_role', 'sikkerhetsmaaned', 'avvik_training', 'appraisal']) {
    const r = await runVern(['plugins', 'check', `plugins/${bundled}.lua`]);
    assert.equal(r.code, 0, `${bundled}: ${r.stdout}${r.stderr}`);
  }

  // Fix the broken plugin, add one, reload the running server.
  fs.writeFileSync(path.join(h.pdir, 'syntax.lua'), 'return { name = "syntax", version = "1.1", reports = { ok = function() return { ok = true } end } }');
  fs.writeFileSync(path.join(h.pdir, 'added.lua'), 'return { name = "added", version = "1" }');
  const reload = await runVern(['plugins', 'reload', '--data', h.srv.dataDir]);
  assert.equal(reload.code, 0, reload.stderr);
  assert.match(reload.stdout, /asked the server \(pid \d+\)/);
  const st = await waitFor(async () => {
    const s = await h.status();
    return s.added && s.syntax.status === 'ok' ? s : null;
  }, { what: 'reload' });
  assert.equal(st.syntax.version, '1.1');
  assert.deepEqual((await h.report('syntax', 'ok')).json, { ok: true });

  // No server: a clear error.
  const none = await runVern(['plugins', 'reload', '--data', path.join(h.srv.dir, 'nowhere')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no running server/);
  assert.equal(await h.srv.stop(), 0);
  assert.equal(fs.existsSync(path.join(h.srv.dataDir, 'vern.pid')), false);
  assertNoSanitizerFindings(h.srv.stderr());
});
