// 130-lrs-xapi-client.test.mjs: Vern's LRS driven by a published xAPI client
// library (@xapi/xapi from npm, pinned in package-lock.json), as a third-party
// tool would use it: send, query with paging, void, state and profile
// round-trips with ETags, attachments, about, activities and agents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import XAPI from '@xapi/xapi';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { startLrs } from './lib/lrs.mjs';

const COMPLETED = XAPI.Verbs.COMPLETED;

// The library rejects with an axios error carrying the HTTP answer.
const status = (code) => (e) => {
  assert.equal(e.response?.status, code, `expected HTTP ${code}, got ${e.response?.status ?? e}`);
  return true;
};

function learner(n) {
  return { objectType: 'Agent', name: `Ansatt ${n}`, account: { homePage: 'https://vern.example', name: `e-${n}` } };
}

for (const version of ['1.0.3', '2.0.0']) {
  test(`@xapi/xapi client against Vern (xAPI ${version})`, async (t) => {
    const lrs = await startLrs({ t });
    const xapi = new XAPI({ endpoint: lrs.base, auth: XAPI.toBasicAuth(lrs.client.key, lrs.client.secret), version });
    const course = `https://vern.example/courses/${randomUUID()}`;

    await t.test('about lists the version', async () => {
      const r = await xapi.getAbout();
      assert.ok(r.data.version.includes(version));
    });

    let firstId;
    await t.test('send one statement and a batch, get one back by id', async () => {
      const one = await xapi.sendStatement({ statement: { actor: learner(1), verb: COMPLETED, object: { objectType: 'Activity', id: course } } });
      assert.equal(one.data.length, 1);
      firstId = one.data[0];
      const batch = await xapi.sendStatements({ statements: Array.from({ length: 24 }, (_, i) => ({
        actor: learner(i + 2), verb: XAPI.Verbs.ANSWERED,
        object: { objectType: 'Activity', id: `${course}/q${i % 3}`, definition: { name: { 'nb-NO': `Spørsmål ${i % 3}` } } },
        context: { contextActivities: { parent: [{ id: course }] } },
      })) });
      assert.equal(batch.data.length, 24);
      const got = await xapi.getStatement({ statementId: firstId });
      assert.equal(got.data.id, firstId);
      assert.equal(got.data.verb.id, COMPLETED.id);
      assert.ok(got.data.stored && got.data.authority);
    });

    await t.test('query with filters and follow more until done', async () => {
      const byVerb = await xapi.getStatements({ verb: COMPLETED.id, activity: course });
      assert.deepEqual(byVerb.data.statements.map((s) => s.id), [firstId]);
      const byAgent = await xapi.getStatements({ agent: learner(5) });
      assert.equal(byAgent.data.statements.length, 1);
      const seen = new Set();
      let page = await xapi.getStatements({ activity: course, related_activities: true, limit: 10 });
      let pages = 0;
      for (;;) {
        pages += 1;
        for (const s of page.data.statements) {
          assert.ok(!seen.has(s.id), `statement ${s.id} came twice`);
          seen.add(s.id);
        }
        // A statement arriving while paging must not disturb the pages.
        if (pages === 1) {
          await xapi.sendStatement({ statement: { actor: learner(99), verb: COMPLETED, object: { objectType: 'Activity', id: course } } });
        }
        if (!page.data.more) break;
        page = await xapi.getMoreStatements({ more: page.data.more });
      }
      assert.equal(seen.size, 25);
      assert.equal(pages, 3);
    });

    await t.test('void a statement: gone from queries, found as voided', async () => {
      await xapi.voidStatement({ actor: learner(1), statementId: firstId });
      const q = await xapi.getStatements({ verb: COMPLETED.id, activity: course });
      assert.ok(!q.data.statements.some((s) => s.id === firstId));
      const v = await xapi.getVoidedStatement({ voidedStatementId: firstId });
      assert.equal(v.data.id, firstId);
      await assert.rejects(xapi.getStatement({ statementId: firstId }), status(404));
    });

    await t.test('state with registration: set, merge, list, get, delete', async () => {
      const agent = learner(7);
      const registration = randomUUID();
      const base = { agent, activityId: course, registration };
      await xapi.setState({ ...base, stateId: 'bookmark', state: { side: 3 } });
      await xapi.createState({ ...base, stateId: 'bookmark', state: { quiz: 'a' } });
      const got = await xapi.getState({ ...base, stateId: 'bookmark' });
      assert.deepEqual(got.data, { side: 3, quiz: 'a' });
      await xapi.setState({ ...base, stateId: 'suspend', state: 'rå tekst', contentType: 'text/plain' });
      const ids = await xapi.getStates({ agent, activityId: course, registration });
      assert.deepEqual([...ids.data].sort(), ['bookmark', 'suspend']);
      const other = await xapi.getStates({ agent, activityId: course, registration: randomUUID() });
      assert.deepEqual(other.data, []);
      await xapi.deleteState({ ...base, stateId: 'bookmark' });
      await assert.rejects(xapi.getState({ ...base, stateId: 'bookmark' }), status(404));
      await xapi.deleteStates({ agent, activityId: course, registration });
      assert.deepEqual((await xapi.getStates({ agent, activityId: course, registration })).data, []);
    });

    await t.test('activity and agent profiles with ETag concurrency', async () => {
      await xapi.setActivityProfile({ activityId: course, profileId: 'policy', profile: { passmark: 0.8 }, etag: '*', matchHeader: 'If-None-Match' });
      const got = await xapi.getActivityProfile({ activityId: course, profileId: 'policy' });
      assert.deepEqual(got.data, { passmark: 0.8 });
      const etag = got.headers.etag;
      assert.ok(etag);
      await xapi.setActivityProfile({ activityId: course, profileId: 'policy', profile: { passmark: 0.9 }, etag, matchHeader: 'If-Match' });
      await assert.rejects(xapi.setActivityProfile({ activityId: course, profileId: 'policy', profile: { passmark: 1 }, etag, matchHeader: 'If-Match' }),
        status(412), 'a stale ETag must be refused');
      await assert.rejects(xapi.setActivityProfile({ activityId: course, profileId: 'policy', profile: { passmark: 1 }, etag: '*', matchHeader: 'If-None-Match' }),
        status(412), 'If-None-Match: * on an existing document must be refused');
      assert.deepEqual((await xapi.getActivityProfile({ activityId: course, profileId: 'policy' })).data, { passmark: 0.9 });
      assert.deepEqual((await xapi.getActivityProfiles({ activityId: course })).data, ['policy']);

      const agent = learner(8);
      await xapi.createAgentProfile({ agent, profileId: 'preferences', profile: { language: 'nb' } });
      await xapi.createAgentProfile({ agent, profileId: 'preferences', profile: { textSize: 'large' } });
      const ap = await xapi.getAgentProfile({ agent, profileId: 'preferences' });
      assert.deepEqual(ap.data, { language: 'nb', textSize: 'large' });
      await xapi.deleteAgentProfile({ agent, profileId: 'preferences', etag: ap.headers.etag });
      await assert.rejects(xapi.getAgentProfile({ agent, profileId: 'preferences' }), status(404));
    });

    await t.test('activities and agents resources', async () => {
      const act = await xapi.getActivity({ activityId: `${course}/q1` });
      assert.equal(act.data.id, `${course}/q1`);
      assert.equal(act.data.definition.name['nb-NO'], 'Spørsmål 1');
      const person = await xapi.getAgent({ agent: learner(9) });
      assert.equal(person.data.objectType, 'Person');
      assert.deepEqual(person.data.account, [learner(9).account]);
    });

    await t.test('a statement with an attachment, read back with attachments=true', async () => {
      const content = Buffer.from('Kursbevis: Personvern grunnkurs\n');
      const sha2 = createHash('sha256').update(content).digest('hex');
      const statement = {
        actor: learner(10), verb: COMPLETED, object: { objectType: 'Activity', id: course },
        attachments: [{ usageType: XAPI.AttachmentUsages.CERTIFICATE_OF_COMPLETION, display: { 'nb-NO': 'Kursbevis' },
          contentType: 'text/plain', length: content.length, sha2 }],
      };
      const ab = content.buffer.slice(content.byteOffset, content.byteOffset + content.length);
      // The library's default axios adapter labels a Blob body
      // application/octet-stream in Node, overriding its own multipart
      // header; its fetch adapter sends the header as built.
      const viaFetch = new XAPI({ endpoint: lrs.base, auth: XAPI.toBasicAuth(lrs.client.key, lrs.client.secret), version, adapter: 'fetch' });
      const sent = await viaFetch.sendStatement({ statement, attachments: [ab] });
      const got = await viaFetch.getStatement({ statementId: sent.data[0], attachments: true });
      assert.ok(Array.isArray(got.data), 'multipart answer parsed into parts');
      assert.equal(got.data[0].id, sent.data[0]);
      assert.equal(got.data[0].attachments[0].sha2, sha2);
      assert.equal(got.data[1].trim(), content.toString().trim());
    });

    await t.test('server healthy and ASan/UBSan silent', async () => {
      assert.equal(await lrs.srv.stop(), 0);
      assertNoSanitizerFindings(lrs.srv.stderr());
    });
  });
}
