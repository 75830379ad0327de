// 410-completions: completions and course starts derived from LRS
// statements in the statement's own transaction: which verbs and agents
// count, expiry from valid_months, history, out-of-order timestamps,
// started through context activities, and voiding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { activity, sql, sqlExec, startWithPlugins, UNITS_CSV } from './lib/plugins.mjs';

const ms = (iso) => Date.parse(iso);

test('completions and starts follow the statements', async (t) => {
  const h = await startWithPlugins(t);
  sqlExec(h.srv, "UPDATE courses SET valid_months = NULL WHERE id = 'isk-opplaering'");
  await h.importCsv(UNITS_CSV);
  await h.importCsv('employee_id,name,unit_id\ne1,Kari,HJ\ne2,Ola,SK\n');
  const [e1, e2] = sql(h.srv, 'SELECT id FROM employees ORDER BY external_id').map((r) => r.id);
  const completions = () => sql(h.srv, 'SELECT employee_id, course_id, completed_ms, expires_ms, success, score, statement_id FROM completions ORDER BY 1, 2');

  // completed, passed and cmi5 satisfied count; the object must be the course.
  const ids = await h.statements([
    h.statement('e1', 'completed', 'phishing', { timestamp: '2025-03-10T08:00:00Z', result: { success: false } }),
    h.statement('e1', 'passed', 'avvik', { timestamp: '2025-01-31T12:00:00.250Z', result: { score: { scaled: 0.8 } } }),
    h.statement('e2', 'satisfied', 'taushetsplikt', { timestamp: '2025-06-01T00:00:00Z' }),
    h.statement('e2', 'completed', 'isk-opplaering', { timestamp: '2025-06-01T00:00:00Z' }),
    // do not count: another verb, another activity, another homePage, not an employee
    h.statement('e1', 'experienced', 'personvern-grunnkurs'),
    h.statement('e1', 'completed', 'urn:vern:kurs:phishing/side-2'),
    { ...h.statement('e1', 'completed', 'taushetsplikt'), actor: { account: { homePage: 'https://elsewhere.example', name: 'e1' } } },
    h.statement('nobody', 'completed', 'taushetsplikt'),
    { ...h.statement('e1', 'completed', 'taushetsplikt'), actor: { mbox: 'mailto:kari@example.org' } },
  ]);
  assert.deepEqual(completions(), [
    { employee_id: e1, course_id: 'avvik', completed_ms: ms('2025-01-31T12:00:00.250Z'), expires_ms: ms('2026-01-31T12:00:00.250Z'), success: 1, score: 0.8, statement_id: ids[1] },
    { employee_id: e1, course_id: 'phishing', completed_ms: ms('2025-03-10T08:00:00Z'), expires_ms: ms('2026-03-10T08:00:00Z'), success: 0, score: null, statement_id: ids[0] },
    { employee_id: e2, course_id: 'isk-opplaering', completed_ms: ms('2025-06-01T00:00:00Z'), expires_ms: null, success: null, score: null, statement_id: ids[3] },
    { employee_id: e2, course_id: 'taushetsplikt', completed_ms: ms('2025-06-01T00:00:00Z'), expires_ms: ms('2026-06-01T00:00:00Z'), success: 1, score: null, statement_id: ids[2] },
  ]);

  // The newest completion counts, whatever order statements arrive in;
  // every one is kept in the history.
  const [newer] = await h.statements([h.statement('e1', 'passed', 'phishing', { timestamp: '2026-02-01T09:00:00Z' })]);
  const [older] = await h.statements([h.statement('e1', 'completed', 'phishing', { timestamp: '2024-11-01T09:00:00Z' })]);
  let phishing = completions().find((c) => c.employee_id === e1 && c.course_id === 'phishing');
  assert.equal(phishing.statement_id, newer);
  assert.equal(phishing.expires_ms, ms('2027-02-01T09:00:00Z'));
  assert.deepEqual(sql(h.srv, `SELECT statement_id FROM completion_history WHERE employee_id = ${e1} AND course_id = 'phishing' ORDER BY completed_ms`).map((r) => r.statement_id), [older, ids[0], newer]);

  // A timestamp in the future does not stretch validity: stored time is used.
  const before = Date.now();
  await h.statements([h.statement('e2', 'completed', 'phishing', { timestamp: '2099-01-01T00:00:00Z' })]);
  const future = completions().find((c) => c.employee_id === e2 && c.course_id === 'phishing');
  assert.ok(future.completed_ms >= before - 1000 && future.completed_ms <= Date.now() + 1000, String(future.completed_ms));

  // Voiding the newest falls back to the next; voiding all removes it.
  const voiding = (id) => ({ ...h.statement('e1', 'voided', 'phishing'), object: { objectType: 'StatementRef', id } });
  await h.statements([voiding(newer)]);
  phishing = completions().find((c) => c.employee_id === e1 && c.course_id === 'phishing');
  assert.equal(phishing.statement_id, ids[0]);
  await h.statements([voiding(ids[0]), voiding(older)]);
  assert.equal(completions().find((c) => c.employee_id === e1 && c.course_id === 'phishing'), undefined);
  assert.equal(sql(h.srv, `SELECT count(*) AS n FROM completion_history WHERE employee_id = ${e1} AND course_id = 'phishing'`)[0].n, 0);

  // A statement stored after its voiding statement never counts.
  const late = randomUUID();
  await h.statements([voiding(late)]);
  await h.statements([{ ...h.statement('e1', 'completed', 'personvern-for-ledere'), id: late }]);
  assert.equal(completions().find((c) => c.course_id === 'personvern-for-ledere'), undefined);

  // Started: any statement about the course, also as context parent or grouping.
  sqlExec(h.srv, 'DELETE FROM course_starts');
  const first = randomUUID();
  await h.statements([
    { ...h.statement('e2', 'experienced', 'urn:vern:kurs:personvern-grunnkurs/side-1', {
      context: { contextActivities: { parent: [{ id: activity('personvern-grunnkurs') }] } },
      timestamp: '2025-10-02T10:00:00Z' }), id: first },
    h.statement('e2', 'experienced', 'urn:vern:kurs:pko-opplaering/side-1', {
      context: { contextActivities: { grouping: { id: activity('pko-opplaering') } } },
      timestamp: '2025-10-03T10:00:00Z' }),
    h.statement('e2', 'experienced', 'personvern-grunnkurs', { timestamp: '2025-10-05T10:00:00Z' }),
    h.statement('e2', 'experienced', 'urn:vern:kurs:avvik/side-1', {
      context: { contextActivities: { other: [{ id: activity('avvik') }] } } }),
  ]);
  const starts = () => sql(h.srv, `SELECT course_id, first_ms, last_ms FROM course_starts WHERE employee_id = ${e2} ORDER BY 1`);
  assert.deepEqual(starts(), [
    { course_id: 'personvern-grunnkurs', first_ms: ms('2025-10-02T10:00:00Z'), last_ms: ms('2025-10-05T10:00:00Z') },
    { course_id: 'pko-opplaering', first_ms: ms('2025-10-03T10:00:00Z'), last_ms: ms('2025-10-03T10:00:00Z') },
  ]);
  // Voiding the statement that made the start moves it to the next one.
  await h.statements([{ ...h.statement('e2', 'voided', 'phishing'), object: { objectType: 'StatementRef', id: first } }]);
  const moved = starts().find((s) => s.course_id === 'personvern-grunnkurs');
  assert.ok(moved.first_ms > ms('2025-10-02T10:00:00Z'));

  // A batch with one bad statement stores nothing, completions included.
  const bad = await h.api('/xapi/statements', {
    method: 'POST', headers: { 'X-Experience-API-Version': '1.0.3' },
    body: [h.statement('e2', 'completed', 'personvern-for-ledere'), { actor: {}, verb: {}, object: {} }],
  });
  assert.equal(bad.status, 400);
  assert.equal(completions().find((c) => c.course_id === 'personvern-for-ledere'), undefined);

  assert.equal(await h.srv.stop(), 0);
  assertNoSanitizerFindings(h.srv.stderr());
});
