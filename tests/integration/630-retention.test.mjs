// 630-retention: storage limitation (GDPR art. 5(1)(e)). With the clock
// moved past the period, raw statements are pseudonymised (or deleted) and
// per-person xAPI documents deleted, while completions (who, what, when,
// result) remain; leavers' raw data goes after their own period; the daily
// job runs inside the server; the policy is readable by the ombud and in
// every export.

import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertNoSanitizerFindings, makeTempDir, runVern, sleep, startServer } from './lib/server.mjs';
import { addLrsClient, lrsHandle, randomUUID } from './lib/lrs.mjs';
import { Client, addUser, seedMunicipality, sql } from './lib/login.mjs';

const HOME = 'http://vern.testvik.invalid';
const DAY = 86400000;
const agent = (ext, name) => ({ objectType: 'Agent', name, account: { homePage: HOME, name: ext } });
const day = (offset) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

async function setup(t, extra = []) {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  assert.equal((await runVern(['migrate', '--db', dbPath])).code, 0);
  const world = await seedMunicipality(dbPath);
  const args = ['--public-url', HOME, '--retention-statement-days', '30', '--retention-inactive-days', '60',
    '--retention-job', 'false', ...extra];
  const srv = await startServer({ dir, t, args });
  t.after(() => assertNoSanitizerFindings(srv.stderr()));
  const lrs = lrsHandle(srv, await addLrsClient(srv));
  const ids = { kari: randomUUID(), per: randomUUID(), group: randomUUID() };
  const r = await lrs.xapi('statements', { method: 'POST', body: [
    { id: ids.kari, actor: agent('E1', 'Kari Nordmann'), verb: { id: 'http://adlnet.gov/expapi/verbs/answered' },
      object: { id: 'urn:vern:kurs:phishing/sporsmal-1' },
      result: { success: true, response: 'Jeg ville ringt Per Hansen', extensions: { 'https://x.example/notat': 'privat' } },
      context: { instructor: agent('L1', 'Lise Leder'), extensions: { 'https://x.example/ip': '10.0.0.1' } } },
    { id: ids.per, actor: agent('E2', 'Per Hansen'), verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: { id: 'urn:vern:kurs:personvern-grunnkurs' }, result: { score: { scaled: 0.75 } } },
  ] });
  assert.equal(r.status, 200, r.text);
  const state = (ext, name) => new URLSearchParams({ activityId: 'urn:vern:kurs:phishing',
    agent: JSON.stringify(agent(ext, name)), stateId: 'fremdrift' });
  for (const [ext, name] of [['E1', 'Kari Nordmann'], ['E2', 'Per Hansen']])
    assert.equal((await lrs.xapi(`activities/state?${state(ext, name)}`, { method: 'PUT', body: { side: 3 } })).status, 204);
  const run = (now) => runVern(['retention', 'run', ...(now ? ['--now', now] : []), '--db', dbPath,
    '--public-url', HOME, '--retention-statement-days', '30', '--retention-inactive-days', '60', ...extra]);
  return { srv, dbPath, world, lrs, ids, run, state };
}

const completions = (dbPath) => sql(dbPath, 'SELECT employee_id, course_id, completed_ms, success, score FROM completions ORDER BY 1, 2');

test('Retention test: with the clock moved past the period, raw statements are gone or pseudonymised and completions remain', async (t) => {
  const { dbPath, lrs, ids, run, state } = await setup(t);
  const before = await completions(dbPath);
  let r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /statements pseudonymised: 0/, 'nothing is old yet');
  assert.equal((await lrs.xapi(`statements?statementId=${ids.kari}`)).json.actor.name, 'Kari Nordmann');

  r = await run(day(31));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /statements pseudonymised: 2/);
  assert.match(r.stdout, /documents deleted: 2/);
  assert.match(r.stdout, /course attempts deleted: 1/);
  assert.equal((await sql(dbPath, 'SELECT count(*) FROM attempt_items')).trim(), '0', 'SCORM run-time data deleted');

  const s = (await lrs.xapi(`statements?statementId=${ids.kari}`)).json;
  assert.equal(s.actor.name, undefined, 'no name');
  assert.equal(s.actor.account.homePage, 'https://pseudonym.vern.invalid');
  assert.match(s.actor.account.name, /^[0-9a-f]{32}$/);
  assert.equal(s.verb.id, 'http://adlnet.gov/expapi/verbs/answered', 'what happened is kept');
  assert.equal(s.object.id, 'urn:vern:kurs:phishing/sporsmal-1');
  assert.deepEqual(s.result, { success: true }, 'free text and extensions are gone');
  assert.equal(s.context?.instructor, undefined);
  assert.equal(s.context?.extensions, undefined);
  const text = JSON.stringify(s);
  assert.ok(!/Kari|Per Hansen|Lise|E1|10\.0\.0\.1/.test(text), text);
  // Queries by the person find nothing any more; by the activity they still count.
  const byAgent = await lrs.xapi(`statements?agent=${encodeURIComponent(JSON.stringify(agent('E1', 'Kari Nordmann')))}`);
  assert.deepEqual(byAgent.json.statements, []);
  const byActivity = await lrs.xapi(`statements?activity=${encodeURIComponent('urn:vern:kurs:personvern-grunnkurs')}`);
  assert.equal(byActivity.json.statements.length, 1);
  assert.equal(byActivity.json.statements[0].result.score.scaled, 0.75);
  assert.equal((await lrs.xapi(`activities/state?${state('E1', 'Kari Nordmann')}`)).status, 404, 'attempt data deleted');

  assert.equal(await completions(dbPath), before, 'completions remain exactly as they were');
  // Nor do their identifiers stay behind in the query index's terms.
  const terms = async () => (await sql(dbPath, "SELECT value FROM lrs_terms WHERE kind = 3 ORDER BY value")).trim().split('\n');
  const left = await terms();
  assert.ok(!left.some((v) => / (E1|E2|L1)$/.test(v)), left.join(', '));
  assert.ok(left.some((v) => v.startsWith('account:https://pseudonym.vern.invalid ')), left.join(', '));
  r = await run(day(32));
  assert.match(r.stdout, /statements pseudonymised: 0/, 'a second run has nothing left to do');
  const runs = (await sql(dbPath, 'SELECT as_of, statements_pseudonymised, finished FROM retention_runs ORDER BY id')).trim().split('\n');
  assert.deepEqual(runs, [`${day(0)}|0|1`, `${day(31)}|2|1`, `${day(32)}|0|1`]);
});

test('with retention_delete_statements the old statements are deleted, completions kept', async (t) => {
  const { dbPath, lrs, ids, run } = await setup(t, ['--retention-delete-statements', 'true']);
  const before = await completions(dbPath);
  const r = await run(day(31));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /statements deleted: 2/);
  assert.equal((await lrs.xapi(`statements?statementId=${ids.kari}`)).status, 404);
  assert.equal((await sql(dbPath, 'SELECT count(*) FROM statements')).trim(), '0');
  assert.equal((await sql(dbPath, 'SELECT count(*) FROM statement_index')).trim(), '0');
  assert.equal(await completions(dbPath), before);
});

test("a leaver's raw data goes after their own period; their completions and others' data stay", async (t) => {
  const { srv, dbPath, lrs, ids, run, state } = await setup(t);
  await sql(dbPath, `UPDATE employees SET active = 0, updated_ms = ${Date.now() - 61 * DAY} WHERE external_id = 'E2'`);
  await addUser(dbPath, 'per', 'per-passord-1234', ['--employee', 'E2']);
  await sql(dbPath, `INSERT INTO learning_goals(employee_id, goals, agreed_on, updated_ms, updated_by)
    VALUES (2, 'Lære mer om taushetsplikt', '2026-01-10', ${Date.now()}, 'Hanne HR')`);
  const provisioned = JSON.stringify({ userName: 'per.hansen@testvik.no', externalId: 'E2',
    name: { givenName: 'Per', familyName: 'Hansen' }, emails: [{ value: 'per.hansen@testvik.no', primary: true }],
    phoneNumbers: [{ value: '+47 900 00 000' }], title: 'Saksbehandler' });
  await sql(dbPath, `INSERT INTO scim_users(employee_id, scim_id, user_name, external_id, resource, created_ms, updated_ms)
    VALUES (2, 'scim-e2', 'per.hansen@testvik.no', 'E2', '${provisioned}', 1, 1)`);
  const before = await completions(dbPath);
  const r = await run();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /leavers processed: 1/);
  assert.match(r.stdout, /statements pseudonymised: 1/);
  assert.match((await lrs.xapi(`statements?statementId=${ids.per}`)).json.actor.account.homePage, /pseudonym/);
  assert.equal((await lrs.xapi(`statements?statementId=${ids.kari}`)).json.actor.name, 'Kari Nordmann', 'others untouched');
  const terms = (await sql(dbPath, "SELECT value FROM lrs_terms WHERE kind = 3")).trim().split('\n');
  assert.ok(!terms.includes(`account:${HOME} E2`), 'the leaver is gone from the index terms');
  assert.ok(terms.includes(`account:${HOME} E1`), 'others stay');
  // A statement for a swept person later gets a new term, and is found.
  const again = await lrs.xapi('statements', { method: 'POST', body: { actor: agent('E2', 'Per Hansen'),
    verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' }, object: { id: 'urn:vern:kurs:etter' } } });
  assert.equal(again.status, 200, again.text);
  const found = await lrs.xapi(`statements?agent=${encodeURIComponent(JSON.stringify(agent('E2', 'Per Hansen')))}`);
  assert.equal(found.json.statements.length, 1);
  assert.equal((await lrs.xapi(`activities/state?${state('E2', 'Per Hansen')}`)).status, 404);
  assert.equal((await lrs.xapi(`activities/state?${state('E1', 'Kari Nordmann')}`)).status, 200);
  assert.equal((await sql(dbPath, "SELECT email IS NULL, name FROM employees WHERE external_id = 'E2'")).trim(), '1|Per Hansen');
  assert.deepEqual(JSON.parse(await sql(dbPath, 'SELECT resource FROM scim_users WHERE employee_id = 2')),
    { userName: 'per.hansen@testvik.no', externalId: 'E2' }, 'the provisioned copy keeps only the link to the IdP');
  const tok = /^token: (\S+)$/m.exec((await runVern(['scim-token', 'add', '--name', 'idp', '--db', dbPath])).stdout)[1];
  const user = await fetch(`${srv.url}/scim/v2/Users/scim-e2`, { headers: { authorization: `Bearer ${tok}` } });
  assert.equal(user.status, 200);
  const body = await user.json();
  assert.equal(body.userName, 'per.hansen@testvik.no');
  assert.equal(body.active, false, 'the IdP still sees a deactivated user');
  assert.equal(body.emails, undefined);
  assert.equal(body.name, undefined);
  assert.equal((await sql(dbPath, 'SELECT count(*) FROM assignments WHERE employee_id = 2')).trim(), '0');
  assert.equal((await sql(dbPath, "SELECT password_hash IS NULL, totp_secret IS NULL, active FROM users WHERE username = 'per'")).trim(),
    '1|1|0', "the leaver's sign-in account keeps no password hash or TOTP secret");
  assert.equal((await sql(dbPath, 'SELECT count(*) FROM learning_goals')).trim(), '0', 'appraisal notes deleted');
  assert.equal(await completions(dbPath), before, 'proof of completion kept');
  assert.match((await run()).stdout, /leavers processed: 0/, 'done once');
});

test('the daily job runs inside the server; the policy is shown to the ombud and admins', async (t) => {
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  assert.equal((await runVern(['migrate', '--db', dbPath])).code, 0);
  await seedMunicipality(dbPath);
  await addUser(dbPath, 'ola', 'ola-passord-1234', ['--employee', 'O1']);
  await addUser(dbPath, 'kari', 'kari-passord-123', ['--employee', 'E1']);
  const srv = await startServer({ dir, t, args: ['--retention-hour', '0', '--retention-start-delay-seconds', '0', '--retention-statement-days', '90'] });
  let rows = '';
  for (let i = 0; i < 100 && !rows.trim(); i++) {
    rows = await sql(dbPath, 'SELECT as_of, finished FROM retention_runs WHERE finished = 1');
    if (!rows.trim()) await sleep(100);
  }
  assert.equal((await sql(dbPath, 'SELECT count(*) FROM retention_runs')).trim(), '1');
  const localDay = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  assert.equal(rows.trim(), `${localDay}|1`, 'the job ran once at start, for today');

  const ombud = await new Client(srv.url).signIn('ola', 'ola-passord-1234');
  let r = await ombud.get('/api/oppbevaring');
  assert.equal(r.status, 200);
  assert.equal(r.data.statement_days, 90);
  assert.equal(r.data.action, 'pseudonymise');
  assert.match(r.data.text, /90 dager/);
  assert.equal(r.data.regler.length, 5);
  assert.equal(r.data.last_run.as_of, localDay);
  r = await ombud.get('/api/admin/oppbevaring');
  assert.equal(r.status, 200, 'the ombud sees the runs');
  assert.equal(r.data.runs.length, 1);
  assert.equal((await ombud.post('/api/admin/oppbevaring/kjor')).status, 403, 'only admins run it');
  const kari = await new Client(srv.url).signIn('kari', 'kari-passord-123');
  assert.equal((await kari.get('/api/oppbevaring')).status, 200);
  r = await runVern(['retention', 'policy', '--db', dbPath, '--retention-statement-days', '90']);
  assert.match(r.stdout, /i 90 dager/);
  assertNoSanitizerFindings(srv.stderr());
});
