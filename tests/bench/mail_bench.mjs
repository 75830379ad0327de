// tests/bench/mail_bench.mjs: the figures of bench section "mail" (see mail.sh).
// 1. Queueing: 50,000 employees, one campaign lesson; the time from POST .../start to all
//    50,000 rows in the outbox (each with its own name, deadline and link parameters), with
//    smtp_host unset so nothing is sent meanwhile. Target: under 10 s.
// 2. Delivery: the same outbox drained into the SMTP sink with 1, 2 and 4 connections, each for
//    a fixed time; and, for scale, the sink fed by Python's smtplib over one connection.
import path from 'node:path';
import { makeTempDir, runProgram, startServer } from '../integration/lib/server.mjs';
import { PYTHON, adminSession, api, ensureCourses, makeOrg, sinkArgs, sql, startSink, waitFor } from '../integration/lib/mail.mjs';

const N = Number(process.env.BENCH_MAIL_EMPLOYEES || 50000);
const WINDOW_S = Number(process.env.BENCH_MAIL_SECONDS || 15);
const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };

try {
  const dir = makeTempDir('vern-bench-mail-');
  const dbPath = path.join(dir, 'vern.db');
  let t0 = performance.now();
  const org = await makeOrg(dbPath, { employees: N, agencies: 25 });
  const importS = (performance.now() - t0) / 1000;
  await ensureCourses(dbPath);

  // 1. Queueing, nothing sent.
  let srv = await startServer({ t, dir, args: ['--test-endpoints', 'true', '--mail-tick-seconds', '1', '--access-log', 'false'] });
  const admin = await adminSession(srv.url, dbPath);
  const r = await api(srv.url, admin, 'POST', '/api/campaigns', { name: 'Benk', audience: {}, lessons: [{ course: 'phishing' }] });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  t0 = performance.now();
  await api(srv.url, admin, 'POST', `/api/campaigns/${r.body.id}/start`);
  // The server logs event=campaign_lesson_queued once the last row is committed (polling the
  // campaign's statistics instead would load the machine being measured).
  await waitFor(() => /event=campaign_lesson_queued/.test(srv.stderr()), { ms: 300000, step: 20, what: 'the lesson queued' });
  const queueS = (performance.now() - t0) / 1000;
  const rows = Number(await sql(dbPath, `SELECT count(*) FROM mail_outbox WHERE campaign_id = ${r.body.id}`));
  if (rows !== org.people.length) throw new Error(`${rows} rows queued for ${org.people.length} employees`);
  await srv.stop();

  // 2. Delivery rate.
  const rates = {};
  for (const connections of [1, 2, 4]) {
    const sink = await startSink(t);
    srv = await startServer({ t, dir, args: sinkArgs(sink, ['--mail-rate-per-minute', '0', '--mail-connections', String(connections)]) });
    await waitFor(() => sink.count() > 0, { ms: 30000, what: 'the first delivery' });
    const c0 = sink.count();
    const s0 = performance.now();
    await new Promise((res) => setTimeout(res, WINDOW_S * 1000));
    rates[connections] = (sink.count() - c0) / ((performance.now() - s0) / 1000);
    await srv.stop();
    await sink.stop();
  }
  const sink = await startSink(t);
  const py = `import smtplib,time
s=smtplib.SMTP('127.0.0.1', ${sink.port})
msg=b'From: a@demo.test\\r\\nTo: b@demo.test\\r\\nSubject: x\\r\\n\\r\\n' + (b'x' * 75 + b'\\r\\n') * 40
t=time.time(); n=0
while time.time() - t < ${WINDOW_S}:
    s.sendmail('a@demo.test', ['b@demo.test'], msg); n += 1
print(n / (time.time() - t))`;
  const p = await runProgram(PYTHON, ['-c', py], { timeoutMs: (WINDOW_S + 30) * 1000 });
  const sinkRate = Number(p.stdout.trim());

  const fmt = (x) => x.toFixed(0);
  console.log(`employees imported        ${N} in ${importS.toFixed(1)} s (vern people import)`);
  console.log(`queue ${N} emails          ${queueS.toFixed(2)} s  (${fmt(N / queueS)}/s)  target < 10 s${queueS < 10 ? '' : '  BELOW TARGET'}`);
  for (const [c, v] of Object.entries(rates)) console.log(`deliver, ${c} connection${c === '1' ? ' ' : 's'}    ${fmt(v)} emails/s`);
  console.log(`sink fed by smtplib       ${fmt(sinkRate)} emails/s (one connection, no Vern: the sink's own ceiling)`);
  console.log('(figures from a shared 2-core machine; delivery commits each email before its final dot: one fsync each)');
  console.log(`BENCH mail employees=${N} queue_s=${queueS.toFixed(2)} deliver_1c=${fmt(rates[1])} deliver_2c=${fmt(rates[2])}` +
    ` deliver_4c=${fmt(rates[4])} sink_smtplib=${fmt(sinkRate)}`);
} finally {
  for (const fn of cleanups.reverse()) { try { await fn(); } catch { /* already stopped */ } }
}
