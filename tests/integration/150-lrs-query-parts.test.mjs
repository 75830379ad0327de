// 150-lrs-query-parts.test.mjs: the query index is grouped by part of the
// statement sequence (262,144 statements per part, lrs/keys.h), and a
// filtered query walks the parts one by one. Statements are stored in
// parts 0, 3 and 5 (empty parts between: the sequence is moved on by a
// placeholder row written beside the running server), and every filter
// shape is paged through in both orders, a few statements per page, with
// the answer compared to the statements a client expects. Clients limited
// to their own statements (statements/read/mine) get the same shapes over
// just their own: one whose statements are close together walks them and
// checks the filters on each; one whose statements are spread over the
// parts walks the filters' matches and keeps its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings, runProgram } from './lib/server.mjs';
import { startLrs, addLrsClient, lrsHandle, randomUUID } from './lib/lrs.mjs';

const PART = 262144;
const VERBS = ['http://adlnet.gov/expapi/verbs/completed', 'http://adlnet.gov/expapi/verbs/attempted'];
const ACTS = ['https://vern.example/activities/part-a', 'https://vern.example/activities/part-b'];
const COURSE = 'https://vern.example/courses/part-course';
const REG = randomUUID();

function make(i) {
  const s = {
    id: randomUUID(),
    actor: { objectType: 'Agent', mbox: `mailto:part${i % 3}@example.org` },
    verb: { id: VERBS[i % 2] },
    object: { objectType: 'Activity', id: ACTS[Math.floor(i / 2) % 2] },
  };
  if (i % 4 === 1) s.context = { registration: REG, contextActivities: { parent: [{ id: COURSE }] } };
  return s;
}

async function sql(srv, text) {
  const r = await runProgram('sqlite3', ['-cmd', '.timeout 10000', srv.dbPath, text]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('statements: queries across parts of the index', async (t) => {
  const lrs = await startLrs({ t });
  const { xapi, srv } = lrs;
  const mine = lrsHandle(srv, await addLrsClient(srv, { name: 'own', scope: 'statements/write statements/read/mine' }));
  const near = lrsHandle(srv, await addLrsClient(srv, { name: 'near', scope: 'statements/write statements/read/mine' }));
  const stored = [];
  const own = new Set();
  const nearOwn = new Set();
  let i = 0;
  async function store(n, by = lrs) {
    const batch = [];
    for (let k = 0; k < n; k++) batch.push(make(i++));
    const r = await by.xapi('statements', { method: 'POST', body: batch });
    assert.equal(r.status, 200, r.text);
    stored.push(...batch);
    if (by === mine) batch.forEach((s) => own.add(s.id));
    if (by === near) batch.forEach((s) => nearOwn.add(s.id));
  }
  // part 0, then parts 3 and 5: each placeholder moves the sequence on and
  // goes once the statements after it are stored
  await store(5);
  await store(5, mine);
  for (const part of [3, 5]) {
    const seq = part * PART + 10;
    await sql(srv, `INSERT INTO statements(seq, id, stored_ms, verb, full) VALUES(${seq}, 'placeholder-${part}', 0, 'x', '{}')`);
    await store(6);
    await store(5, mine);
    await store(5);
    await sql(srv, `DELETE FROM statements WHERE seq = ${seq}`);
  }
  await store(4, near);
  await store(3);
  await store(4, near);
  const parts = await sql(srv, 'SELECT group_concat(DISTINCT seq >> 18) FROM (SELECT seq FROM statements ORDER BY seq)');
  assert.equal(parts, '0,3,5');

  async function all(params, ascending, by = lrs) {
    const got = [];
    let url = `statements?${new URLSearchParams({ ...params, limit: '3', ascending: String(ascending) })}`;
    for (let pages = 0; url && pages < 100; pages++) {
      const r = await by.xapi(url);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.statements.length <= 3);
      got.push(...r.json.statements.map((s) => s.id));
      url = r.json.more ? r.json.more.replace(/^\/xapi\//, '') : '';
    }
    return got;
  }
  const agent = (k) => JSON.stringify({ mbox: `mailto:part${k}@example.org` });
  const shapes = [
    ['verb', { verb: VERBS[0] }, (s) => s.verb.id === VERBS[0]],
    ['activity', { activity: ACTS[1] }, (s) => s.object.id === ACTS[1]],
    ['verb and activity', { verb: VERBS[1], activity: ACTS[0] }, (s) => s.verb.id === VERBS[1] && s.object.id === ACTS[0]],
    ['agent', { agent: agent(2) }, (s) => s.actor.mbox === 'mailto:part2@example.org'],
    ['agent and verb', { agent: agent(1), verb: VERBS[1] }, (s) => s.actor.mbox === 'mailto:part1@example.org' && s.verb.id === VERBS[1]],
    ['registration', { registration: REG }, (s) => s.context?.registration === REG],
    ['related activity and registration', { activity: COURSE, related_activities: 'true', registration: REG },
      (s) => s.context?.registration === REG],
    ['agent, verb and activity', { agent: agent(0), verb: VERBS[0], activity: ACTS[0] },
      (s) => s.actor.mbox === 'mailto:part0@example.org' && s.verb.id === VERBS[0] && s.object.id === ACTS[0]],
  ];
  for (const [name, params, match] of shapes) {
    await t.test(`${name}: every match once, in order, both ways`, async () => {
      const want = stored.filter(match).map((s) => s.id);
      assert.ok(want.length > 0);
      assert.deepEqual(await all(params, true), want);
      assert.deepEqual(await all(params, false), [...want].reverse());
    });
  }
  for (const [name, client, ids] of [['spread over the parts', mine, own], ['close together', near, nearOwn]]) {
    await t.test(`a client limited to its own statements, ${name}, gets its own matches of every shape`, async () => {
      let some = 0;
      for (const [, params, match] of shapes) {
        const want = stored.filter((s) => ids.has(s.id) && match(s)).map((s) => s.id);
        some += want.length;
        assert.deepEqual(await all(params, true, client), want, JSON.stringify(params));
        assert.deepEqual(await all(params, false, client), [...want].reverse(), JSON.stringify(params));
      }
      assert.ok(some > 5);
    });
  }

  await t.test('a page that ends at the last statement of a part goes on in the next one', async () => {
    const want = stored.filter((s) => s.verb.id === VERBS[0]).map((s) => s.id);
    const first = await xapi(`statements?verb=${encodeURIComponent(VERBS[0])}&limit=5&ascending=true`);
    assert.deepEqual(first.json.statements.map((s) => s.id), want.slice(0, 5));
    assert.ok(first.json.more);
    const rest = await xapi(first.json.more.replace(/^\/xapi\//, ''));
    assert.deepEqual(rest.json.statements.map((s) => s.id), want.slice(5, 10));
  });

  await t.test('since and until with a filter', async () => {
    const all0 = await xapi(`statements?verb=${encodeURIComponent(VERBS[0])}&limit=0&ascending=true`);
    const ids = all0.json.statements.map((s) => s.id);
    const storedAt = all0.json.statements.map((s) => s.stored);
    const mid = storedAt[Math.floor(ids.length / 2)];
    const later = await xapi(`statements?verb=${encodeURIComponent(VERBS[0])}&since=${encodeURIComponent(mid)}&ascending=true`);
    assert.deepEqual(later.json.statements.map((s) => s.id), ids.filter((_, k) => storedAt[k] > mid));
  });

  await assertNoSanitizerFindings(srv);
});
