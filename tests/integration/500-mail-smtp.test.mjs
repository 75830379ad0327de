// 500-mail-smtp: Vern's SMTP delivery against a real SMTP server on
// 127.0.0.1 (aiosmtpd): `vern mail test` in plain, STARTTLS and implicit
// TLS with login; wrong password and unreachable servers reported without
// the password; the outbox keeps mail while the server is down and
// delivers once it is up; 451 retried, 550 failed; the rate limit; and the
// messages are well-formed MIME with the required headers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertNoSanitizerFindings, makeTempDir, runProgram, runVern, startServer } from './lib/server.mjs';
import { adminSession, api, sinkArgs, startSink, waitFor } from './lib/mail.mjs';

const PASSWORD = 'hemmelig-Passord-42';

async function makeCert() {
  const dir = makeTempDir('vern-cert-');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = await runProgram('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  assert.equal(r.code, 0, r.stderr);
  return { key, cert };
}

async function mailTest(sink, extra, to = 'mottaker@demo.test') {
  const dir = makeTempDir();
  return runVern(['mail', 'test', to, '--db', path.join(dir, 'vern.db'), '--smtp-host', '127.0.0.1',
    '--smtp-port', String(sink.port), '--mail-from', 'Vern <vern@demo.test>', ...extra]);
}

test('vern mail test: plain, STARTTLS + login, implicit TLS + login', async (t) => {
  const { key, cert } = await makeCert();
  const plain = await startSink(t);
  let r = await mailTest(plain, ['--smtp-tls', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /test email sent to mottaker@demo\.test via smtp:\/\/127\.0\.0\.1:\d+/);
  assert.equal(plain.count(), 1);

  const starttls = await startSink(t, ['--tls-cert', cert, '--tls-key', key, '--require-starttls', '--auth', `vern:${PASSWORD}`]);
  r = await mailTest(starttls, ['--smtp-tls', 'starttls', '--smtp-user', 'vern', '--smtp-password', PASSWORD, '--smtp-ca-file', cert]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(starttls.entries().map((e) => [e.to, e.auth]), [[['mottaker@demo.test'], true]]);
  // Without the CA the certificate is refused: no silent plaintext fallback.
  r = await mailTest(starttls, ['--smtp-tls', 'starttls', '--smtp-user', 'vern', '--smtp-password', PASSWORD]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not sent via smtp:\/\/127\.0\.0\.1/);
  // STARTTLS demanded but not offered by the server: refused.
  r = await mailTest(plain, ['--smtp-tls', 'starttls']);
  assert.equal(r.code, 1);
  assert.equal(plain.count(), 1);
  // Wrong password: refused, and the password appears nowhere.
  r = await mailTest(starttls, ['--smtp-tls', 'starttls', '--smtp-user', 'vern', '--smtp-password', 'feil-passord',
    '--smtp-ca-file', cert]);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout + r.stderr, /feil-passord|hemmelig/);
  assert.equal(starttls.count(), 1);

  const implicit = await startSink(t, ['--tls-cert', cert, '--tls-key', key, '--implicit-tls', '--auth', `vern:${PASSWORD}`]);
  r = await mailTest(implicit, ['--smtp-tls', 'tls', '--smtp-user', 'vern', '--smtp-password', PASSWORD, '--smtp-ca-file', cert]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /via smtps:\/\//);
  assert.equal(implicit.count(), 1);

  const [msg] = await implicit.check();
  assert.deepEqual(msg.problems, []);
  assert.equal(msg.subject, 'Test av e-post fra Vern');
  assert.match(msg.text, /Kommer denne fram, virker utsendingen\./);

  // Bad settings are refused before anything is sent.
  r = await mailTest(plain, ['--smtp-tls', 'maybe']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /config key smtp_tls: 'maybe' is not none, starttls or tls/);
  r = await mailTest(plain, ['--smtp-tls', 'none'], 'ikke-en-adresse');
  assert.equal(r.code, 2);
  r = await runVern(['mail', 'test', 'x@demo.test', '--db', path.join(makeTempDir(), 'vern.db')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /smtp_host is not set/);
});

test('outbox: nothing lost while the SMTP server is down; 451 retried, 550 failed; rate limit', async (t) => {
  // Reserve a port for a sink that is not running yet.
  const later = await startSink(t, ['--tempfail-rcpt', '^tregt', '--reject-rcpt', '^ukjent']);
  const port = later.port;
  await later.stop();
  const srv = await startServer({
    t,
    args: sinkArgs({ port }, ['--mail-rate-per-minute', '600', '--mail-retry-seconds', '1', '--mail-max-attempts', '3',
      '--smtp-password', PASSWORD]),
  });
  const admin = await adminSession(srv.url, srv.dbPath);
  const tos = ['en@demo.test', 'to@demo.test', 'tregt@demo.test', 'ukjent@demo.test'];
  for (const to of tos) {
    const r = await api(srv.url, admin, 'POST', '/api/mail/test', { to });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  let r = await api(srv.url, admin, 'POST', '/api/mail/test', { to: 'x@demo.test\r\nBcc: alle@demo.test' });
  assert.equal(r.status, 400);
  r = await api(srv.url, null, 'POST', '/api/mail/test', { to: 'x@demo.test' });
  assert.equal(r.status, 401);
  await waitFor(() => /event=mail_server_unavailable/.test(srv.stderr()), { what: 'a failed connection' });
  r = await api(srv.url, admin, 'GET', '/api/mail/status');
  assert.equal(r.body.queued, 4);
  assert.equal(r.body.sent, 0);

  // The server comes up on the same port: everything queued is delivered.
  const sink = await startSink(t, ['--tempfail-rcpt', '^tregt', '--reject-rcpt', '^ukjent']);
  assert.notEqual(sink.port, port); // a fresh port: restart vern pointing at it
  await srv.stop();
  const srv2 = await startServer({
    t, dir: srv.dir,
    args: sinkArgs(sink, ['--mail-rate-per-minute', '600', '--mail-retry-seconds', '1', '--mail-max-attempts', '3',
      '--smtp-password', PASSWORD]),
  });
  await waitFor(() => sink.count() === 3, { what: 'three deliveries' });
  const status = await waitFor(async () => {
    const s = (await api(srv2.url, admin, 'GET', '/api/mail/status')).body;
    return s.sent === 3 && s.failed === 1 ? s : null;
  }, { what: 'sent 3, failed 1' });
  assert.equal(status.queued, 0);
  const failed = status.recent_problems.find((p) => p.status === 'failed');
  assert.match(failed.error, /550/);
  assert.deepEqual(sink.entries().map((e) => e.to[0]).sort(), ['en@demo.test', 'to@demo.test', 'tregt@demo.test']);
  for (const s of [srv, srv2]) {
    assert.doesNotMatch(s.stderr(), new RegExp(PASSWORD));
    assertNoSanitizerFindings(s.stderr());
  }

  // Rate limit: 20 emails at 600 per minute take about two seconds.
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) await api(srv2.url, admin, 'POST', '/api/mail/test', { to: `rate${i}@demo.test` });
  await waitFor(() => sink.count() === 23, { what: '20 more deliveries' });
  const took = Date.now() - t0;
  assert.ok(took >= 1800, `20 emails at 600/min took only ${took} ms`);

  const msgs = await sink.check();
  for (const m of msgs) {
    assert.deepEqual(m.problems, [], m.file);
    assert.equal(m.from, 'Vern Demo kommune <vern@demo.test>');
    assert.equal(m.headers['Auto-Submitted'], 1);
    assert.equal(m.headers['List-Unsubscribe'], undefined);
    assert.match(m.text, /-- \r?\nSpørsmål om opplæringen\? Kontakt nærmeste leder eller personvernombudet\./);
  }
  assert.equal(new Set(msgs.map((m) => m.message_id)).size, msgs.length);
  await srv2.stop();
  assertNoSanitizerFindings(srv2.stderr());
  fs.rmSync(sink.dir, { recursive: true, force: true });
});
