// 110-lrs-documents.test.mjs: the document resources (State, Activity
// Profile, Agent Profile) and the Activities and Agents resources, in xAPI
// 1.0.3 and 2.0: round trips with ETag and Last-Modified, id lists with
// since, JSON merge (also under concurrent POSTs), If-Match/If-None-Match
// rules per version, byte-exact binary documents, the alternate request
// syntax, and hostile parameters answered 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { startLrs, randomUUID } from './lib/lrs.mjs';

const sha1 = (buf) => createHash('sha1').update(buf).digest('hex');

function query(params) {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : v)}`)
    .join('&');
}

const agent = (name = randomUUID()) => ({
  objectType: 'Agent', account: { homePage: 'https://vern.example/ansatte', name },
});
const stateParams = (extra = {}) => ({
  activityId: `https://vern.example/activities/${randomUUID()}`, agent: agent(), stateId: randomUUID(), ...extra,
});
const activityProfileParams = () => ({
  activityId: `https://vern.example/activities/${randomUUID()}`, profileId: randomUUID(),
});
const agentProfileParams = () => ({ agent: agent(), profileId: randomUUID() });

/** fetch under /xapi/ keeping the body as bytes. */
function bytesClient(lrs) {
  return async function req(path, { method = 'GET', v = '1.0.3', body, headers = {} } = {}) {
    const res = await fetch(`${lrs.base}/${path}`, {
      method, body, headers: { Authorization: lrs.auth, 'X-Experience-API-Version': v, ...headers },
    });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, buf, text: buf.toString('utf8') };
  };
}

test('documents: state, profiles, activities, agents', async (t) => {
  const lrs = await startLrs({ t });
  const { xapi } = lrs;
  const v2 = lrs.withVersion('2.0.0').xapi;
  const req = bytesClient(lrs);

  await t.test('state: PUT then GET returns the document, its Content-Type, SHA-1 ETag and Last-Modified', async () => {
    const p = stateParams();
    const doc = { progress: 0.5, bokmerke: 'kapittel-3', æøå: 'ÆØÅ' };
    const put = await xapi(`activities/state?${query(p)}`, { method: 'PUT', body: doc });
    assert.equal(put.status, 204, put.text);
    const g = await req(`activities/state?${query(p)}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(JSON.parse(g.text), doc);
    assert.equal(g.text, JSON.stringify(doc), 'PUT content comes back byte for byte');
    assert.match(g.headers.get('content-type'), /^application\/json/);
    assert.equal(g.headers.get('etag'), `"${sha1(g.buf)}"`);
    assert.ok(!Number.isNaN(Date.parse(g.headers.get('last-modified'))));
    assert.equal(g.headers.get('x-experience-api-version'), '1.0.3');

    const h = await req(`activities/state?${query(p)}`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.buf.length, 0);
    assert.equal(h.headers.get('etag'), g.headers.get('etag'));

    const missing = await xapi(`activities/state?${query({ ...p, stateId: randomUUID() })}`);
    assert.equal(missing.status, 404);
  });

  await t.test('state: GET without stateId lists ids, filtered by registration and since', async () => {
    const base = stateParams();
    const reg = randomUUID();
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      const r = await xapi(`activities/state?${query({ ...base, stateId: id })}`, { method: 'POST', body: { id } });
      assert.equal(r.status, 204, r.text);
    }
    const withReg = randomUUID();
    assert.equal((await xapi(`activities/state?${query({ ...base, stateId: withReg, registration: reg })}`,
      { method: 'PUT', body: { r: 1 } })).status, 204);

    const { stateId: _unused, ...ctx } = base;
    const all = await xapi(`activities/state?${query(ctx)}`);
    assert.equal(all.status, 200, all.text);
    assert.deepEqual([...all.json].sort(), [...ids, withReg].sort());
    assert.ok(!Number.isNaN(Date.parse(all.headers.get('last-modified'))));

    const onlyReg = await xapi(`activities/state?${query({ ...ctx, registration: reg.toUpperCase() })}`);
    assert.deepEqual(onlyReg.json, [withReg]);

    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await xapi(`activities/state?${query({ ...ctx, since: past })}`)).json.length, 3);
    assert.deepEqual((await xapi(`activities/state?${query({ ...ctx, since: future })}`)).json, []);

    // A state with a registration is a different document from one without.
    const noReg = await xapi(`activities/state?${query({ ...base, stateId: withReg })}`);
    assert.equal(noReg.status, 404);
  });

  await t.test('state: DELETE one, then DELETE all of a context (registration scoped)', async () => {
    const base = stateParams();
    const reg = randomUUID();
    const { stateId, ...ctx } = base;
    await xapi(`activities/state?${query(base)}`, { method: 'PUT', body: { a: 1 } });
    await xapi(`activities/state?${query({ ...base, stateId: 'b' })}`, { method: 'PUT', body: { b: 1 } });
    await xapi(`activities/state?${query({ ...base, stateId: 'c', registration: reg })}`, { method: 'PUT', body: { c: 1 } });

    assert.equal((await xapi(`activities/state?${query(base)}`, { method: 'DELETE' })).status, 204);
    assert.equal((await xapi(`activities/state?${query(base)}`)).status, 404);
    assert.equal((await xapi(`activities/state?${query(base)}`, { method: 'DELETE' })).status, 204,
      'deleting a missing document is not an error');

    assert.equal((await xapi(`activities/state?${query({ ...ctx, registration: reg })}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await xapi(`activities/state?${query(ctx)}`)).json, ['b']);
    assert.equal((await xapi(`activities/state?${query(ctx)}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await xapi(`activities/state?${query(ctx)}`)).json, []);
    assert.ok(stateId);
  });

  await t.test('POST merges JSON objects one level deep; non-JSON on either side is 400 and changes nothing', async () => {
    const p = stateParams();
    const url = `activities/state?${query(p)}`;
    assert.equal((await xapi(url, { method: 'POST', body: { car: { make: 'Ford', model: 'Escape' }, driver: 'Dale', n: 0.1 } })).status, 204);
    assert.equal((await xapi(url, { method: 'POST', body: { car: { make: 'Dodge' }, extra: [1, 2] } })).status, 204);
    const g = await xapi(url);
    assert.deepEqual(g.json, { car: { make: 'Dodge' }, driver: 'Dale', n: 0.1, extra: [1, 2] });
    assert.match(g.text, /"n":0\.1[,}]/, 'numbers are not reformatted by the merge');
    const etag = g.headers.get('etag');
    assert.equal(etag, `"${sha1(Buffer.from(g.text))}"`);

    const notJson = await xapi(url, { method: 'POST', body: 'abcdefg', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(notJson.status, 400);
    const badJson = await xapi(url, { method: 'POST', body: '{"a":1', headers: { 'Content-Type': 'application/json' } });
    assert.equal(badJson.status, 400);
    const array = await xapi(url, { method: 'POST', body: [1, 2] });
    assert.equal(array.status, 400);
    const dup = await xapi(url, { method: 'POST', body: '{"a":1,"a":2}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(dup.status, 400);
    assert.equal((await xapi(url)).headers.get('etag'), etag, 'rejected POSTs changed nothing');

    // Stored document that is not JSON: a JSON POST cannot merge into it.
    const q = `activities/state?${query(stateParams())}`;
    assert.equal((await xapi(q, { method: 'PUT', body: '/ asdf / undefined', headers: { 'Content-Type': 'application/octet-stream' } })).status, 204);
    assert.equal((await xapi(q, { method: 'POST', body: { a: 1 } })).status, 400);
    assert.equal((await xapi(q)).text, '/ asdf / undefined');
  });

  await t.test('concurrent POSTs to one document lose no keys', async () => {
    const url = `activities/state?${query(stateParams())}`;
    const n = 24;
    const results = await Promise.all(Array.from({ length: n }, (_, i) =>
      xapi(url, { method: 'POST', body: { [`k${i}`]: i } })));
    assert.deepEqual(results.map((r) => r.status), Array(n).fill(204));
    const g = await xapi(url);
    assert.equal(Object.keys(g.json).length, n);
    for (let i = 0; i < n; i++) assert.equal(g.json[`k${i}`], i);
  });

  await t.test('binary documents round-trip byte for byte with their Content-Type', async () => {
    const body = randomBytes(200_000);
    body[0] = 0; body[1] = 0xff; body[2] = 0;
    for (const [res, params] of [['activities/state', stateParams()], ['activities/profile', activityProfileParams()], ['agents/profile', agentProfileParams()]]) {
      const url = `${res}?${query(params)}`;
      const put = await req(url, { method: 'PUT', body, headers: { 'Content-Type': 'image/png', 'If-None-Match': '*' } });
      assert.equal(put.status, 204, `${res}: ${put.text}`);
      assert.equal(put.headers.get('etag'), `"${sha1(body)}"`);
      const g = await req(url);
      assert.equal(g.status, 200);
      assert.equal(g.headers.get('content-type'), 'image/png');
      assert.ok(g.buf.equals(body), `${res}: content differs`);
      assert.equal(g.headers.get('etag'), `"${sha1(body)}"`);
      const empty = await req(`${res}?${query({ ...params, [res === 'activities/state' ? 'stateId' : 'profileId']: randomUUID() })}`,
        { method: 'PUT', body: '', headers: { 'If-None-Match': '*' } });
      assert.equal(empty.status, 204);
    }
  });

  await t.test('1.0.3 concurrency: profiles need If-Match or If-None-Match on PUT; state does not', async () => {
    for (const [res, params] of [['activities/profile', activityProfileParams()], ['agents/profile', agentProfileParams()]]) {
      const url = `${res}?${query(params)}`;
      const doc = { a: randomUUID() };
      assert.equal((await xapi(url, { method: 'PUT', body: doc })).status, 400, `${res}: PUT without a precondition`);
      assert.equal((await xapi(url, { method: 'PUT', body: doc, headers: { 'If-None-Match': '*' } })).status, 204);
      assert.equal((await xapi(url, { method: 'PUT', body: { b: 1 }, headers: { 'If-None-Match': '*' } })).status, 412);
      const conflict = await xapi(url, { method: 'PUT', body: { b: 1 } });
      assert.equal(conflict.status, 409);
      assert.ok(conflict.json.detail.length > 0);
      const g = await xapi(url);
      assert.deepEqual(g.json, doc);
      const etag = g.headers.get('etag');
      assert.equal((await xapi(url, { method: 'PUT', body: { c: 1 }, headers: { 'If-Match': '"1111111111111111111111111111111111111111"' } })).status, 412);
      assert.deepEqual((await xapi(url)).json, doc);
      assert.equal((await xapi(url, { method: 'PUT', body: { c: 1 }, headers: { 'If-Match': etag } })).status, 204);
      assert.deepEqual((await xapi(url)).json, { c: 1 });
      assert.equal((await xapi(url, { method: 'PUT', body: { d: 1 }, headers: { 'If-Match': etag } })).status, 412, 'old ETag no longer matches');
      assert.equal((await xapi(url, { method: 'PUT', body: { d: 1 }, headers: { 'If-Match': '*' } })).status, 204);
      const { profileId, ...owner } = params;
      const ids = await xapi(`${res}?${query(owner)}`);
      assert.equal(ids.status, 200, ids.text);
      assert.deepEqual(ids.json, [profileId]);
    }
    const s = `activities/state?${query(stateParams())}`;
    assert.equal((await xapi(s, { method: 'PUT', body: { a: 1 } })).status, 204);
    assert.equal((await xapi(s, { method: 'PUT', body: { a: 2 } })).status, 204, '1.0.3 state may be overwritten without ETag');
    assert.deepEqual((await xapi(s)).json, { a: 2 });
  });

  await t.test('2.0 concurrency: PUT to an existing document needs a precondition; POST and DELETE honour If-Match', async () => {
    for (const [res, params] of [['activities/state', stateParams()], ['activities/profile', activityProfileParams()], ['agents/profile', agentProfileParams()]]) {
      const url = `${res}?${query(params)}`;
      const doc = { name: 'original' };
      assert.equal((await v2(url, { method: 'PUT', body: doc })).status, 204, `${res}: 2.0 PUT creates without a precondition`);
      assert.equal((await v2(url, { method: 'PUT', body: { name: 'other' } })).status, 409, `${res}: 2.0 PUT overwrite without precondition`);
      const g = await v2(url);
      assert.equal(g.headers.get('x-experience-api-version'), '2.0.0');
      const etag = g.headers.get('etag');
      assert.equal((await v2(url, { method: 'POST', body: { x: 1 }, headers: { 'If-Match': '"1234"' } })).status, 412);
      assert.equal((await v2(url, { method: 'POST', body: { x: 1 }, headers: { 'If-Match': etag } })).status, 204);
      assert.deepEqual((await v2(url)).json, { name: 'original', x: 1 });
      assert.equal((await v2(url, { method: 'DELETE', headers: { 'If-Match': etag } })).status, 412, 'stale ETag');
      assert.equal((await v2(url)).status, 200);
      const cur = (await v2(url)).headers.get('etag');
      assert.equal((await v2(url, { method: 'DELETE', headers: { 'If-Match': cur } })).status, 204);
      assert.equal((await v2(url)).status, 404);
      assert.equal((await v2(url, { method: 'DELETE', headers: { 'If-Match': cur } })).status, 412, 'If-Match on a missing document');
    }
  });

  await t.test('2.0 Last-Modified moves forward when a document changes', async () => {
    const url = `agents/profile?${query(agentProfileParams())}`;
    assert.equal((await v2(url, { method: 'POST', body: { a: 1 } })).status, 204);
    const first = Date.parse((await v2(url)).headers.get('last-modified'));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await v2(url, { method: 'POST', body: { a: 2 } })).status, 204);
    const second = Date.parse((await v2(url)).headers.get('last-modified'));
    assert.ok(second > first, `${second} > ${first}`);
  });

  await t.test('missing and malformed parameters are 400', async () => {
    const p = stateParams();
    const cases = [
      ['activities/state', { ...p, activityId: undefined }, 'GET'],
      ['activities/state', { ...p, agent: undefined }, 'PUT'],
      ['activities/state', { ...p, stateId: undefined }, 'PUT'],
      ['activities/state', { ...p, stateId: undefined }, 'POST'],
      ['activities/state', { ...p, agent: 'not JSON' }, 'GET'],
      ['activities/state', { ...p, agent: true }, 'POST'],
      ['activities/state', { ...p, agent: { objectType: 'Agent', name: 'no ifi' } }, 'GET'],
      ['activities/state', { ...p, agent: { mbox: 'mailto:a@b.no', openid: 'https://x.no' } }, 'GET'],
      ['activities/state', { ...p, registration: 'true' }, 'PUT'],
      ['activities/state', { ...p, registration: 'abc' }, 'DELETE'],
      ['activities/state', { ...p, stateId: undefined, since: 'not a timestamp' }, 'GET'],
      ['activities/state', { ...p, stateId: '' }, 'PUT'],
      ['activities/state', { ...p, foo: 'bar' }, 'GET'],
      ['activities/state', { ...p, activityId: 'not an iri' }, 'GET'],
      ['activities/profile', { profileId: 'x' }, 'GET'],
      ['activities/profile', { activityId: 'https://vern.example/a' }, 'DELETE'],
      ['activities/profile', { activityId: 'https://vern.example/a', since: 'true' }, 'GET'],
      ['agents/profile', { profileId: 'x' }, 'POST'],
      ['agents/profile', { agent: agent() }, 'POST'],
      ['agents/profile', { agent: agent() }, 'DELETE'],
      ['activities', {}, 'GET'],
      ['activities', { activityId: 'https://vern.example/a', x: 1 }, 'GET'],
      ['agents', {}, 'GET'],
      ['agents', { agent: { objectType: 'Agent', name: 'Rick James' } }, 'GET'],
    ];
    for (const [res, params, method] of cases) {
      const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
      const r = await xapi(`${res}?${query(clean)}`, { method, body: method === 'PUT' || method === 'POST' ? { a: 1 } : undefined });
      assert.equal(r.status, 400, `${method} ${res} ${JSON.stringify(clean)}: ${r.status} ${r.text}`);
      assert.ok(r.json && r.json.error && r.json.detail, `JSON error body for ${method} ${res}`);
    }
    // The agent parameter with its encoding broken (the suite's XAPI-00235).
    const broken = encodeURIComponent(JSON.stringify(agent())).replace('%3A', '%22');
    const r = await xapi(`activities/state?activityId=https%3A%2F%2Fvern.example%2Fa&stateId=s&agent=${broken}`,
      { method: 'POST', body: { a: 1 } });
    assert.equal(r.status, 400);
  });

  await t.test('hostile parameters and headers are refused without harm', async () => {
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    let r = await xapi(`agents?agent=${encodeURIComponent(deep)}`);
    assert.equal(r.status, 400);
    r = await xapi(`agents/profile?profileId=p&agent=${encodeURIComponent('{"mbox":"mailto:' + 'a'.repeat(3000) + '@b.no"}')}`);
    assert.ok(r.status === 400 || r.status === 404, `long agent: ${r.status}`);
    r = await xapi(`activities/state?${query(stateParams())}`, { method: 'PUT', body: 'x', headers: { 'Content-Type': 'a/' + 'b'.repeat(400) } });
    assert.equal(r.status, 400);
    // Header injection through the alternate syntax's Content-Type.
    const p = stateParams();
    const form = new URLSearchParams({
      ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])),
      'Content-Type': 'text/plain\r\nX-Evil: 1', content: 'hei', Authorization: lrs.auth, 'X-Experience-API-Version': '1.0.3',
    });
    const res = await fetch(`${lrs.base}/activities/state?method=PUT`, {
      method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 400);
    assert.equal((await xapi(`activities/state?${query(p)}`)).status, 404);
  });

  await t.test('1.0.3 alternate request syntax reaches the document resources', async () => {
    const p = stateParams();
    const form = new URLSearchParams({
      ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])),
      'Content-Type': 'application/json', content: JSON.stringify({ via: 'form' }),
      Authorization: lrs.auth, 'X-Experience-API-Version': '1.0.3',
    });
    const put = await fetch(`${lrs.base}/activities/state?method=PUT`, {
      method: 'POST', body: form.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(put.status, 204, await put.text());
    const g = await xapi(`activities/state?${query(p)}`);
    assert.deepEqual(g.json, { via: 'form' });
    assert.match(g.headers.get('content-type'), /^application\/json/);
  });

  await t.test('activities: canonical definition merged from statements; unknown ids still answer', async () => {
    const id = `https://vern.example/activities/${randomUUID()}`;
    const unknown = await xapi(`activities?activityId=${encodeURIComponent(id)}`);
    assert.equal(unknown.status, 200, unknown.text);
    assert.deepEqual(unknown.json, { objectType: 'Activity', id });
    const s = (lang, name) => ({
      actor: { mbox: 'mailto:kari@example.org' }, verb: { id: 'http://adlnet.gov/expapi/verbs/experienced' },
      object: { objectType: 'Activity', id, definition: { name: { [lang]: name }, type: 'http://adlnet.gov/expapi/activities/lesson' } },
    });
    const post = await xapi('statements', { method: 'POST', body: [s('nb-NO', 'Personvern'), s('en-US', 'Privacy')] });
    if (post.status !== 200) {
      t.diagnostic(`statements not stored (${post.status}); skipping the definition check`);
      return;
    }
    const g = await xapi(`activities?activityId=${encodeURIComponent(id)}`);
    assert.equal(g.status, 200);
    assert.equal(g.json.objectType, 'Activity');
    assert.equal(g.json.id, id);
    assert.deepEqual(g.json.definition.name, { 'nb-NO': 'Personvern', 'en-US': 'Privacy' });
    const h = await req(`activities?activityId=${encodeURIComponent(id)}`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.buf.length, 0);
  });

  await t.test('agents: a Person object built from the agent parameter', async () => {
    const a = { objectType: 'Agent', name: 'Kari Nordmann', mbox: 'mailto:kari@example.org' };
    const g = await xapi(`agents?${query({ agent: a })}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json, { objectType: 'Person', name: ['Kari Nordmann'], mbox: ['mailto:kari@example.org'] });
    const acc = await v2(`agents?${query({ agent: { account: { homePage: 'https://k.no', name: '42' } } })}`);
    assert.deepEqual(acc.json, { objectType: 'Person', account: [{ homePage: 'https://k.no', name: '42' }] });
    assert.equal((await xapi(`agents?${query({ agent: a })}`, { method: 'POST', body: {} })).status, 405);
  });

  await t.test('no sanitizer findings', async () => {
    assertNoSanitizerFindings(lrs.srv.stderr());
  });
});

test('documents: merges cannot grow a document past max_body_bytes', async (t) => {
  const lrs = await startLrs({ t, env: { VERN_MAX_BODY_BYTES: '4096' } });
  const url = `agents/profile?${query(agentProfileParams())}`;
  const part = (k) => ({ [k]: 'x'.repeat(3000) });
  assert.equal((await lrs.xapi(url, { method: 'POST', body: part('a') })).status, 204);
  const big = await lrs.xapi(url, { method: 'POST', body: part('b') });
  assert.equal(big.status, 413, big.text);
  assert.deepEqual(Object.keys((await lrs.xapi(url)).json), ['a']);
  assertNoSanitizerFindings(lrs.srv.stderr());
});
