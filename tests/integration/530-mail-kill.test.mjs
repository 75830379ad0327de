// 530-mail-kill: the server is killed (SIGKILL) while a campaign is being
// queued and again while it is being sent, and restarted on the same
// database: every employee still gets exactly one email, none twice. A
// paused campaign sends nothing until it is started again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, runVern, sleep, startServer } from './lib/server.mjs';
import { adminSession, api, ensureCourses, makeOrg, sinkArgs, sql, startSink, waitFor } from './lib/mail.mjs';

const N = 800;

test('killed mid-campaign and restarted: each email sent exactly once', { timeout: 600000 }, async (t) => {
  const sink = await startSink(t);
  const args = sinkArgs(sink, ['--mail-rate-per-minute', '2400', '--mail-connections', '2', '--mail-tick-seconds', '1']);
  let srv = await startServer({ t, args });
  const { dir, dbPath } = srv;
  const org = await makeOrg(dbPath, { employees: N });
  await ensureCourses(dbPath);
  let admin = await adminSession(srv.url, dbPath);
  let r = await api(srv.url, admin, 'POST', '/api/campaigns', { name: 'Avbrutt', audience: {}, lessons: [{ course: 'avvik' }] });
  assert.equal(r.status, 201);
  const id = r.body.id;
  const servers = [srv];
  const restart = async () => {
    srv = await startServer({ t, dir, args });
    servers.push(srv);
    admin = await adminSession(srv.url, dbPath);
  };

  // Kill 1: right after the start, while the lesson's emails are queued.
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/start`);
  assert.equal(r.status, 200);
  await sleep(20);
  await srv.kill9();
  await restart();

  // Kill 2 and 3: in the middle of sending.
  for (const at of [200, 450]) {
    await waitFor(() => sink.count() >= at, { ms: 120000, what: `${at} deliveries` });
    await srv.kill9();
    t.diagnostic(`killed with ${sink.count()} delivered`);
    await restart();
  }

  // Paused: nothing more goes out; started again: the rest does.
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/pause`);
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'paused');
  await sleep(1500);
  const whilePaused = sink.count();
  await sleep(2000);
  assert.equal(sink.count(), whilePaused, 'email went out while the campaign was paused');
  assert.ok(whilePaused < N, 'everything was sent before the pause; the test proves nothing');
  r = await api(srv.url, admin, 'GET', `/api/campaigns/${id}`);
  assert.equal(r.body.stats.emails.cancelled + r.body.stats.emails.sent, N);
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/start`);
  assert.equal(r.body.status, 'active');

  await waitFor(async () => (await api(srv.url, admin, 'GET', '/api/mail/status')).body.queued === 0,
    { ms: 180000, what: 'an empty outbox' });
  await sleep(1500);
  const entries = sink.entries();
  const to = entries.map((e) => e.to[0]);
  const dup = to.filter((x, i) => to.indexOf(x) !== i);
  assert.deepEqual(dup, [], 'sent twice');
  assert.equal(entries.length, N);
  assert.deepEqual(new Set(to), new Set(org.people.map((p) => p.email)));
  const msgs = await sink.check();
  assert.equal(new Set(msgs.map((m) => m.message_id)).size, N);
  for (const m of msgs) assert.deepEqual(m.problems, []);
  assert.equal(await sql(dbPath, `SELECT count(*) FROM mail_outbox WHERE campaign_id = ${id} AND status = 'sent'`), String(N));
  assert.equal(await sql(dbPath, `SELECT count(*) FROM campaign_recipients WHERE campaign_id = ${id}`), String(N));
  await srv.stop();
  const v = await runVern(['mail', 'status', '--db', dbPath]);
  assert.match(v.stdout, new RegExp(`^queued 0 \\(due now 0\\)\\nsent ${N}\\nfailed 0\\n`));
  for (const s of servers) assertNoSanitizerFindings(s.stderr());
});
