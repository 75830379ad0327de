// tests/integration/lib/server.mjs: shared helpers for the integration tests.
//
// Owns: starting/stopping a `vern serve` process on 127.0.0.1 with a port
// picked by the kernel and a throw-away directory for db and data, running
// CLI subcommands, raw-socket HTTP for malformed requests, small write-load
// generators for the test-only /api/test/writes endpoint, and cleanup of
// every process and temp dir (also when a test fails or throws).
//
// Binary: $VERN_BIN (absolute, or relative to the project root), default
// <root>/build/vern.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const VERN_BIN = path.resolve(ROOT, process.env.VERN_BIN || 'build/vern');

const liveProcs = new Set();
const ownedDirs = new Set();

// Last-resort cleanup: node --test runs each file in its own process, so
// this catches anything a failing test left behind.
function cleanupAll() {
  for (const p of liveProcs) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const d of ownedDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}
process.on('exit', cleanupAll);
// The runner stops a test file with a signal (Ctrl-C, --test-timeout):
// do not leave servers behind.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => { cleanupAll(); process.exit(sig === 'SIGINT' ? 130 : 143); });
}

// A minimal, predictable environment: the developer's own VERN_* settings
// must not leak into the tests. Sanitizer options pass through.
function childEnv(extra = {}) {
  const env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ',
    'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'ASAN_SYMBOLIZER_PATH']) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return { ...env, ...extra };
}

/** Fresh temp dir, removed at process exit (or earlier by removeDir). */
export function makeTempDir(prefix = 'vern-it-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  ownedDirs.add(d);
  return d;
}

export function removeDir(d) {
  fs.rmSync(d, { recursive: true, force: true });
  ownedDirs.delete(d);
}

const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)/;

/** Returns the first sanitizer finding in a stderr text, or null. */
export function sanitizerFinding(text) {
  const m = SANITIZER_RE.exec(text);
  if (!m) return null;
  const start = text.lastIndexOf('\n', m.index) + 1;
  return text.slice(start, start + 2000);
}

/**
 * Starts `vern serve --listen 127.0.0.1:0 --db DIR/vern.db --data DIR/data ...args`
 * and resolves once stderr shows `event=listening ... url=...`.
 * Pass `t` (a node:test context) to get stop + temp-dir removal + a sanitizer
 * check registered with t.after. Pass `dir` to reuse a directory (restart on
 * the same database); a dir given by the caller is not removed here.
 */
export async function startServer({ env = {}, args = [], dir, t, timeoutMs = 15000 } = {}) {
  const ownsDir = !dir;
  if (!dir) dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });

  const argv = ['serve', '--listen', '127.0.0.1:0', '--db', dbPath, '--data', dataDir, ...args];
  const proc = spawn(VERN_BIN, argv, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcs.add(proc);

  let errBuf = '';
  let outBuf = '';
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      liveProcs.delete(proc);
      resolve(exitInfo);
    });
  });
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (s) => { outBuf += s; });
  proc.stderr.setEncoding('utf8');

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`vern serve did not log event=listening within ${timeoutMs} ms; stderr:\n${errBuf}`));
    }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.stderr.on('data', (s) => {
      errBuf += s;
      for (const line of errBuf.split('\n')) {
        if (!/\bevent=listening\b/.test(line)) continue;
        const m = /\burl="?(https?:\/\/[^\s"]+)"?/.exec(line);
        if (m) { clearTimeout(timer); resolve(m[1]); return; }
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`vern serve exited (code=${code} signal=${signal}) before listening; stderr:\n${errBuf}`));
    });
  });

  let url;
  try {
    url = await ready;
  } catch (e) {
    if (!exitInfo) { proc.kill('SIGKILL'); await exited; }
    if (ownsDir) removeDir(dir);
    throw e;
  }
  url = url.replace(/\/+$/, '');
  const port = Number(new URL(url).port);

  const srv = {
    url, port, dir, dbPath, dataDir, proc,
    stderr: () => errBuf,
    stdout: () => outBuf,
    exited,
    get running() { return exitInfo === null; },
    /** SIGTERM, wait for exit; resolves to the exit code (null if killed by a signal). */
    async stop({ timeoutMs: stopMs = 10000 } = {}) {
      if (exitInfo) return exitInfo.code;
      proc.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), stopMs); });
      const r = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (r === 'timeout') {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`vern did not exit within ${stopMs} ms of SIGTERM; stderr tail:\n${errBuf.slice(-3000)}`);
      }
      return r.code;
    },
    async kill9() {
      if (exitInfo) return exitInfo;
      proc.kill('SIGKILL');
      return exited;
    },
    exitInfo: () => exitInfo,
  };

  if (t) {
    t.after(async () => {
      try {
        if (!exitInfo) await srv.kill9();
      } finally {
        if (ownsDir) removeDir(dir);
      }
    });
  }
  return srv;
}

/** Asserts the server's stderr has no ASan/UBSan/LSan report. */
export function assertNoSanitizerFindings(text, what = 'vern') {
  const f = sanitizerFinding(text);
  if (f) throw new Error(`${what}: sanitizer report in stderr:\n${f}`);
}

/** Runs `vern ...args`; resolves {code, signal, stdout, stderr}. Kills it after timeoutMs. */
export function runVern(args, { env = {}, timeoutMs = 20000, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(VERN_BIN, args, { env: childEnv(env), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    liveProcs.add(proc);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (s) => { stdout += s; });
    proc.stderr.on('data', (s) => { stderr += s; });
    const timer = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); liveProcs.delete(proc); reject(e); });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      liveProcs.delete(proc);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Runs any program (e.g. sqlite3); resolves {code, stdout, stderr}. */
export function runProgram(file, args, { timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (s) => { stdout += s; });
    proc.stderr.on('data', (s) => { stderr += s; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function completeResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1');
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (!m) return false; // wait for close
  return buf.length >= end + 4 + Number(m[1]);
}

/**
 * Writes raw bytes to 127.0.0.1:port and resolves with the response text
 * ('' if the server closed or timed out without answering). Resolves early
 * once one complete response with Content-Length has arrived.
 *
 * A server may answer early (413, 400) and close while we are still
 * sending; our next write then fails with EPIPE/ECONNRESET and node
 * destroys the socket, dropping a response that already sits unread in the
 * kernel buffer (a plain recv() after the failed send would still get it).
 * To keep that client-side race from looking like "no response", writes go
 * in chunks with an event-loop turn between them, and an attempt whose
 * write failed before any byte was read is repeated (up to `attempts`
 * times). A server that really never answers still yields ''.
 * With `all: true` it does not stop after the first response but collects
 * everything until the server closes or timeoutMs passes (to catch a
 * second, smuggled response).
 */
export async function rawRequest(port, bytes, { timeoutMs = 5000, attempts = 3, all = false } = {}) {
  let r;
  for (let i = 0; i < attempts; i++) {
    r = await rawAttempt(port, bytes, timeoutMs, all);
    // A server that answers before reading the whole body and closes can
    // have its answer discarded by the reset that unread bytes cause, seen
    // by the write or by the read: try again then.
    if (r.text !== '' || !(r.writeFailed || r.reset)) break;
  }
  return r.text;
}

function rawAttempt(port, bytes, timeoutMs, all) {
  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    let writeFailed = false;
    let reset = false;
    const sock = net.connect({ host: '127.0.0.1', port });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), writeFailed, reset });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => {
      chunks.push(d);
      if (!all && completeResponse(Buffer.concat(chunks))) finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => {
      // EPIPE/ECONNRESET: keep what was read; 'close' follows.
      if (e.syscall === 'write') writeFailed = true;
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
    });
    sock.on('connect', async () => {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      const CHUNK = 64 * 1024;
      for (let off = 0; off < buf.length && !done && chunks.length === 0; off += CHUNK) {
        const ok = await new Promise((res) => {
          sock.write(buf.subarray(off, off + CHUNK), (err) => res(!err));
        });
        if (!ok) { writeFailed = true; break; }
        // One full event-loop turn (with its I/O poll) before the next write.
        await new Promise((res) => setImmediate(res));
        await new Promise((res) => setImmediate(res));
      }
    });
  });
}

/** Status codes of every HTTP response found in a raw byte stream. */
export function allStatuses(text) {
  return [...text.matchAll(/HTTP\/\d\.\d (\d{3}) /g)].map((m) => Number(m[1]));
}

/** Status code from a raw response's status line, or null. */
export function statusOf(text) {
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Write load: `clients` concurrent loops POSTing {client, seq} to
 * /api/test/writes until stop() is called or the server goes away.
 * acks holds "client:seq" for every 201; sent[client] is the next seq
 * each client would send (everything below it was sent at least once).
 */
export function startWriters(url, { clients = 16, clientBase = 0 } = {}) {
  const acks = new Set();
  const sent = new Map();
  const errors = [];
  const statuses = new Map();
  let stopping = false;
  const loops = [];
  for (let i = 0; i < clients; i++) {
    const client = clientBase + i;
    sent.set(client, 0);
    loops.push((async () => {
      let seq = 0;
      let consecutiveErrors = 0;
      while (!stopping) {
        sent.set(client, seq + 1);
        try {
          const res = await fetch(`${url}/api/test/writes`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ client, seq }),
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) || 0) + 1);
          if (res.status === 201) acks.add(`${client}:${seq}`);
          consecutiveErrors = 0;
        } catch (e) {
          errors.push(e);
          if (++consecutiveErrors > 3) return; // server gone
          await new Promise((r) => setTimeout(r, 20));
        }
        seq++;
      }
    })());
  }
  return {
    acks, sent, errors, statuses,
    async stop() { stopping = true; await Promise.all(loops); },
    done: () => Promise.all(loops),
    halt() { stopping = true; },
  };
}

/** GET /api/test/writes -> {count, items, set} */
export async function readWrites(url) {
  const res = await fetch(`${url}/api/test/writes`);
  if (res.status !== 200) throw new Error(`GET /api/test/writes: ${res.status} ${await res.text()}`);
  const body = await res.json();
  const set = new Set(body.items.map((it) => `${it.client}:${it.seq}`));
  return { count: body.count, items: body.items, set };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits at least minMs, then until `acks` holds `want` entries or maxMs has
 * passed in total (so a loaded CI machine still builds up a meaningful
 * load before the test acts). Resolves to the elapsed milliseconds.
 */
export async function waitForAcks(acks, want, { minMs = 0, maxMs = 6000 } = {}) {
  const t0 = Date.now();
  if (minMs) await sleep(minMs);
  while (acks.size < want && Date.now() - t0 < maxMs) await sleep(25);
  return Date.now() - t0;
}
