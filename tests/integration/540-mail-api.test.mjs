// 540-mail-api: the campaign and template admin API refuses what it must:
// no session (401), a learner or an ordinary employee (403), a missing
// CSRF token (403), malformed or hostile definitions (400 naming the field
// in Norwegian), and changes a campaign's state does not allow (409).
// Templates: checked on save, preview without saving, own templates used by
// campaigns, built-ins reset, not deleted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, rawRequest, startServer, statusOf } from './lib/server.mjs';
import { adminSession, api, ensureCourses, makeOrg, sinkArgs, sql, startSink, testSession, waitFor } from './lib/mail.mjs';

test('campaign and template API: access, validation, states', async (t) => {
  const sink = await startSink(t);
  const srv = await startServer({ t, args: sinkArgs(sink, ['--mail-tick-seconds', '1', '--mail-rate-per-minute', '0']) });
  const org = await makeOrg(srv.dbPath, { employees: 60 });
  await ensureCourses(srv.dbPath);
  const admin = await adminSession(srv.url, srv.dbPath);
  const good = { name: 'Høstkampanje', audience: { units: ['V1'] }, lessons: [{ course: 'avvik' }] };

  // Access.
  const staff = org.people.find((p) => p.roles === 'ansatt');
  const employee = await testSession(srv.url, { employee: staff.external_id, scope: 'full' });
  const learner = await testSession(srv.url, { employee: staff.external_id, scope: 'learn', course: 'avvik' });
  for (const [who, s, want] of [['nobody', null, 401], ['employee', employee, 403], ['learner', learner, 403]]) {
    for (const [m, p] of [['GET', '/api/campaigns'], ['POST', '/api/campaigns'], ['GET', '/api/mail/templates'],
      ['GET', '/api/mail/status'], ['POST', '/api/mail/test']]) {
      const r = await api(srv.url, s, m, p, m === 'POST' ? good : undefined);
      assert.equal(r.status, want, `${who} ${m} ${p}`);
    }
  }
  let r = await api(srv.url, { cookie: admin.cookie, csrf: 'x'.repeat(43) }, 'POST', '/api/campaigns', good);
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'csrf');

  // Validation: each bad definition is a 400 with a Norwegian detail.
  const bad = [
    [{ ...good, name: '' }, /name/],
    [{ ...good, name: 'x'.repeat(201) }, /name/],
    [{ ...good, name: 'To\nlinjer' }, /name/],
    [{ ...good, name: 42 }, /name/],
    [{ ...good, lessons: [] }, /lessons/],
    [{ ...good, lessons: Array(53).fill({ course: 'avvik' }) }, /lessons/],
    [{ ...good, lessons: [{ course: 'finnes-ikke' }] }, /fant ikke kurset/],
    [{ ...good, lessons: [{}] }, /mangler «course»/],
    [{ ...good, lessons: [{ course: 'avvik', send_at: '2026-02-30' }] }, /send_at/],
    [{ ...good, lessons: [{ course: 'avvik', send_at: 'i morgen' }] }, /send_at/],
    [{ ...good, lessons: [{ course: 'avvik', send_at: 17 }] }, /send_at/],
    [{ ...good, audience: { units: ['FINNES-IKKE'] } }, /ekstern id/],
    [{ ...good, audience: { units: [99999] } }, /id 99999/],
    [{ ...good, audience: { units: [{}] } }, /audience\.units|enhet/],
    [{ ...good, audience: { roles: ['sjef'] } }, /rolle/],
    [{ ...good, audience: { grupper: [] } }, /audience\.grupper/],
    [{ ...good, audience: 'alle' }, /audience/],
    [{ ...good, due_days: 0 }, /due_days/],
    [{ ...good, reminder_days: 1.5 }, /reminder_days/],
    [{ ...good, max_reminders: 11 }, /max_reminders/],
    [{ ...good, digest: { weekday: 8 } }, /digest/],
    [{ ...good, digest: { weekday: 1, hour: 24 } }, /digest/],
    [{ ...good, template: 'ledersammendrag' }, /template/],
    [{ ...good, template: 'finnes-ikke' }, /template/],
    [{ ...good, skip_completed: 'ja' }, /skip_completed/],
    [{ ...good, schedule: { start: '2026-10-05', every_days: 0 } }, /schedule/],
    [{ ...good, passord: 'x' }, /Ukjent felt «passord»/],
    [[good], /JSON-objekt/],
  ];
  for (const [body, re] of bad) {
    r = await api(srv.url, admin, 'POST', '/api/campaigns', body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 120));
    assert.match(r.body.detail, re, JSON.stringify(body).slice(0, 120));
  }
  for (const raw of ['{', '{"name": "x"', '"streng"', '{"name": "\\ud800"}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]']) {
    const res = await fetch(`${srv.url}/api/campaigns`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, body: raw });
    assert.equal(res.status, 400, raw.slice(0, 40));
  }
  const huge = await rawRequest(srv.port, `POST /api/campaigns HTTP/1.1\r\nHost: x\r\nCookie: ${admin.cookie}\r\nX-CSRF-Token: ${admin.csrf}\r\nContent-Length: 300000\r\n\r\n` + 'x'.repeat(300000));
  assert.equal(statusOf(huge), 413);
  for (const p of ['/api/campaigns/0', '/api/campaigns/-1', '/api/campaigns/abc', '/api/campaigns/99999', '/api/campaigns/1e3']) {
    r = await api(srv.url, admin, 'GET', p);
    assert.equal(r.status, 404, p);
  }
  r = await api(srv.url, admin, 'POST', '/api/campaigns/1/eksploder');
  assert.equal(r.status, 404);

  // Preview of an unsaved definition; create; update; states.
  r = await api(srv.url, admin, 'POST', '/api/campaigns/preview', good);
  assert.equal(r.status, 200);
  const inV1 = org.people.filter((p) => p.unit.startsWith('V1')).length;
  assert.equal(r.body.audience, inV1);
  r = await api(srv.url, admin, 'POST', '/api/campaigns/preview', { ...good, audience: { units: ['V1'], roles: ['leder'] } });
  assert.equal(r.body.audience, 4);
  r = await api(srv.url, admin, 'POST', '/api/campaigns', { ...good, lessons: [{ course: 'avvik' }, { course: 'phishing', send_at: '2099-01-05' }] });
  assert.equal(r.status, 201);
  const id = r.body.id;
  assert.equal(r.body.status, 'draft');
  assert.deepEqual(r.body.audience.units.length, 1);
  r = await api(srv.url, admin, 'PUT', `/api/campaigns/${id}`, { due_days: 21, digest: { weekday: 5, hour: 7 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.due_days, 21);
  assert.deepEqual(r.body.digest, { weekday: 5, hour: 7 });
  assert.equal(r.body.lessons.length, 2);
  r = await api(srv.url, admin, 'PUT', `/api/campaigns/${id}`, { due_days: 'mange' });
  assert.equal(r.status, 400);
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/pause`);
  assert.equal(r.status, 409);
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/start`);
  assert.equal(r.status, 200);
  await waitFor(() => sink.count() === inV1, { what: 'the first lesson' });
  r = await api(srv.url, admin, 'PUT', `/api/campaigns/${id}`, { name: 'Nytt navn' });
  assert.equal(r.status, 409, 'an active campaign changed');
  r = await api(srv.url, admin, 'DELETE', `/api/campaigns/${id}`);
  assert.equal(r.status, 409);
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/pause`);
  assert.equal(r.body.status, 'paused');
  r = await api(srv.url, admin, 'PUT', `/api/campaigns/${id}`, { lessons: [{ course: 'phishing' }] });
  assert.equal(r.status, 409, 'a sent lesson was replaced');
  assert.match(r.body.detail, /allerede sendt/);
  r = await api(srv.url, admin, 'PUT', `/api/campaigns/${id}`, { lessons: [{ course: 'avvik' }, { course: 'taushetsplikt', send_at: '2099-02-02' }] });
  assert.equal(r.status, 200);
  assert.equal(r.body.lessons[1].course, 'taushetsplikt');
  assert.ok(r.body.lessons[0].queued_ms > 0);
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/finish`);
  assert.equal(r.body.status, 'finished');
  r = await api(srv.url, admin, 'POST', `/api/campaigns/${id}/start`);
  assert.equal(r.status, 409);
  r = await api(srv.url, admin, 'GET', '/api/campaigns');
  assert.equal(r.body.campaigns[0].id, id);
  assert.equal(r.body.campaigns[0].emails_sent, inV1);

  // Templates.
  r = await api(srv.url, admin, 'GET', '/api/mail/templates');
  assert.deepEqual(r.body.templates.filter((x) => x.builtin).map((x) => x.name).sort(),
    ['ledersammendrag', 'leksjon', 'lenker', 'ny-lenke', 'paminnelse', 'test']);
  r = await api(srv.url, admin, 'GET', '/api/mail/templates/leksjon');
  assert.ok(r.body.variables.includes('lenke'));
  assert.equal(r.body.default.subject, r.body.subject);
  for (const [body, re] of [
    [{ text: 'Ingen lenke her' }, /Teksten må inneholde \{\{lenke\}\}/],
    [{ html: '<p>{{lenke}} {{passord}}</p>' }, /ukjente variabelen \{\{passord\}\}/],
    [{ subject: 'To\nlinjer' }, /én linje/],
    [{ subject: '{{kurs' }, /Emnet har en feil/],
    [{ text: 42 }, /som tekst/],
  ]) {
    r = await api(srv.url, admin, 'PUT', '/api/mail/templates/leksjon', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.body.detail, re);
  }
  r = await api(srv.url, admin, 'POST', '/api/mail/templates/leksjon/preview', { subject: 'Hei {{fornavn}}: {{kurs}}' });
  assert.equal(r.status, 200);
  assert.equal(r.body.subject, 'Hei Kari: Svindel og phishing på e-post');
  assert.match(r.body.html, /^<!DOCTYPE html>/);
  r = await api(srv.url, admin, 'POST', '/api/mail/templates/ledersammendrag/preview');
  assert.match(r.body.text, /- Ola Nordmann: Svindel og phishing på e-post \(frist 19\. oktober 2026\)/);
  r = await api(srv.url, admin, 'PUT', '/api/mail/templates/kort', { kind: 'lesson', subject: 'Kort: {{kurs}}', text: '{{lenke}}', html: '<a href="{{lenke}}">Start</a>' });
  assert.equal(r.status, 201);
  r = await api(srv.url, admin, 'PUT', '/api/mail/templates/Store-Bokstaver', { kind: 'lesson', subject: 's', text: '{{lenke}}', html: '{{lenke}}' });
  assert.equal(r.status, 400);
  r = await api(srv.url, admin, 'PUT', '/api/mail/templates/ny', { subject: 's', text: '{{lenke}}', html: '{{lenke}}' });
  assert.equal(r.status, 400, 'a new template without kind');
  r = await api(srv.url, admin, 'POST', '/api/campaigns', { ...good, name: 'Med egen mal', template: 'kort' });
  assert.equal(r.status, 201);
  const own = r.body.id;
  const before = sink.count();
  await api(srv.url, admin, 'POST', `/api/campaigns/${own}/start`);
  await waitFor(() => sink.count() === before + inV1, { what: 'emails from the own template' });
  const [last] = await sink.check([sink.entries().at(-1).file]);
  assert.equal(last.subject, 'Kort: Å oppdage og melde avvik');
  r = await api(srv.url, admin, 'DELETE', '/api/mail/templates/kort');
  assert.equal(r.status, 409, 'a template in use was deleted');
  r = await api(srv.url, admin, 'PUT', '/api/mail/templates/leksjon', { subject: 'Endret {{kurs}}' });
  assert.equal(r.status, 200);
  r = await api(srv.url, admin, 'DELETE', '/api/mail/templates/leksjon');
  assert.equal(r.status, 200);
  assert.equal(r.body.subject, '{{kurs}} – en kort leksjon fra {{kommune}}');
  r = await api(srv.url, admin, 'GET', '/api/mail/templates/finnes-ikke');
  assert.equal(r.status, 404);

  r = await api(srv.url, admin, 'GET', '/api/mail/status');
  assert.equal(r.status, 200);
  assert.equal(r.body.sending, true);
  assert.equal(r.body.failed, 0);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('email queued for someone who has left since is cancelled, not sent', async (t) => {
  // No smtp_host: the campaign's email is queued and waits.
  let srv = await startServer({ t, args: ['--test-endpoints', 'true', '--mail-tick-seconds', '1'] });
  const org = await makeOrg(srv.dbPath, { employees: 30, agencies: 2 });
  await ensureCourses(srv.dbPath);
  let admin = await adminSession(srv.url, srv.dbPath);
  let r = await api(srv.url, admin, 'POST', '/api/campaigns', { name: 'Venter', audience: {}, lessons: [{ course: 'avvik' }] });
  const id = r.body.id;
  await api(srv.url, admin, 'POST', `/api/campaigns/${id}/start`);
  await waitFor(async () => (await api(srv.url, admin, 'GET', `/api/campaigns/${id}`)).body.stats.emails.queued === 30,
    { what: '30 queued' });
  r = await api(srv.url, admin, 'GET', '/api/mail/status');
  assert.equal(r.body.sending, false);
  const leaver = org.people[20];
  await srv.stop();
  const sink = await startSink(t);
  const { dir } = srv;
  await sql(srv.dbPath, `UPDATE employees SET active = 0 WHERE id = ${leaver.id}`);
  srv = await startServer({ t, dir, args: sinkArgs(sink, ['--mail-rate-per-minute', '0']) });
  admin = await adminSession(srv.url, srv.dbPath);
  await waitFor(async () => (await api(srv.url, admin, 'GET', '/api/mail/status')).body.queued === 0, { what: 'an empty outbox' });
  await waitFor(() => sink.count() === 29, { what: '29 deliveries' });
  assert.ok(!sink.entries().some((e) => e.to[0] === leaver.email), 'email went to a leaver');
  r = await api(srv.url, admin, 'GET', `/api/campaigns/${id}`);
  assert.equal(r.body.stats.emails.cancelled, 1);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
