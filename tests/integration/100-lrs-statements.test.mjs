// 100-lrs-statements.test.mjs: storing statements: PUT and POST, ids,
// conflicts, atomic batches, voiding, authority, auth and scopes, and
// hostile input that must leave nothing stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertNoSanitizerFindings, rawRequest, statusOf } from './lib/server.mjs';
import { startLrs, addLrsClient, lrsHandle, statement, randomUUID } from './lib/lrs.mjs';

test('statements: store', async (t) => {
  const lrs = await startLrs({ t });
  const { xapi } = lrs;

  await t.test('about needs no auth and lists both versions', async () => {
    const res = await fetch(`${lrs.base}/about`);
    assert.equal(res.status, 200);
    const about = await res.json();
    assert.ok(about.version.includes('1.0.3') && about.version.includes('2.0.0'));
  });

  await t.test('auth and version are required', async () => {
    const res = await fetch(`${lrs.base}/statements`, { headers: { 'X-Experience-API-Version': '1.0.3' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') || '', /Basic/);
    const r2 = await xapi('statements', { v: '0.9' });
    assert.equal(r2.status, 400);
    const bad = await fetch(`${lrs.base}/statements`, {
      headers: { 'X-Experience-API-Version': '1.0.3', Authorization: 'Basic ' + Buffer.from(`${lrs.client.key}:wrong-secret-value`).toString('base64') },
    });
    assert.equal(bad.status, 401);
  });

  await t.test('POST one statement returns its generated id, PUT stores with the given id', async () => {
    const r = await xapi('statements', { method: 'POST', body: statement() });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.length, 1);
    assert.match(r.json[0], /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get('x-experience-api-version'), '1.0.3');
    const id = randomUUID();
    const p = await xapi(`statements?statementId=${id}`, { method: 'PUT', body: statement() });
    assert.equal(p.status, 204, p.text);
  });

  await t.test('same id and content again is accepted; different content is 409', async () => {
    const id = randomUUID();
    const s = statement({ id });
    assert.equal((await xapi('statements', { method: 'POST', body: s })).status, 200);
    assert.equal((await xapi(`statements?statementId=${id}`, { method: 'PUT', body: s })).status, 204);
    const other = { ...s, verb: { id: 'http://adlnet.gov/expapi/verbs/attempted' } };
    assert.equal((await xapi(`statements?statementId=${id}`, { method: 'PUT', body: other })).status, 409);
  });

  await t.test('a batch with one invalid statement stores none', async () => {
    const ids = [randomUUID(), randomUUID()];
    const r = await xapi('statements', {
      method: 'POST', body: [statement({ id: ids[0] }), statement({ id: ids[1], verb: { id: 'not an iri' } })],
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.detail, /\[1\]\.?verb\.id/);
    const g = await xapi(`statements?statementId=${ids[0]}`);
    assert.equal(g.status, 404);
  });

  await t.test('duplicate ids in one batch are refused', async () => {
    const id = randomUUID();
    const r = await xapi('statements', { method: 'POST', body: [statement({ id }), statement({ id })] });
    assert.equal(r.status, 400);
  });

  await t.test('the stored statement has id, stored, timestamp, authority, version', async () => {
    const id = randomUUID();
    await xapi(`statements?statementId=${id}`, { method: 'PUT', body: statement() });
    const g = await xapi(`statements?statementId=${id}`);
    assert.equal(g.status, 200, g.text);
    const s = g.json;
    assert.equal(s.id, id);
    assert.match(s.stored, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(s.timestamp, s.stored);
    assert.equal(s.authority.account.name, lrs.client.key);
    assert.equal(s.version, '1.0.0');
  });

  await t.test('voiding hides the target and voiding a voiding statement is refused', async () => {
    const target = randomUUID();
    await xapi(`statements?statementId=${target}`, { method: 'PUT', body: statement() });
    const voidId = randomUUID();
    const v = await xapi(`statements?statementId=${voidId}`, {
      method: 'PUT',
      body: statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/voided' }, object: { objectType: 'StatementRef', id: target } }),
    });
    assert.equal(v.status, 204, v.text);
    assert.equal((await xapi(`statements?statementId=${target}`)).status, 404);
    assert.equal((await xapi(`statements?voidedStatementId=${target}`)).status, 200);
    const again = await xapi('statements', {
      method: 'POST',
      body: statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/voided' }, object: { objectType: 'StatementRef', id: voidId } }),
    });
    assert.equal(again.status, 400);
  });

  await t.test('a large batch is found by its filters at once (the index is written behind it)', async () => {
    const registration = randomUUID();
    const verb = { id: `http://vern.example/verbs/bulk-${registration}` };
    const batch = Array.from({ length: 300 }, () => statement({ verb, context: { registration } }));
    const r = await xapi('statements', { method: 'POST', body: batch });
    assert.equal(r.status, 200, r.text);
    for (const q of [`registration=${registration}`, `verb=${encodeURIComponent(verb.id)}`,
      `verb=${encodeURIComponent(verb.id)}&activity=${encodeURIComponent(batch[0].object.id)}`]) {
      const g = await xapi(`statements?${q}&limit=500`);
      assert.equal(g.status, 200, g.text);
      const want = q.includes('activity') ? batch.filter((s) => s.object.id === batch[0].object.id).length : 300;
      assert.equal(g.json.statements.length, want, q);
      assert.ok(g.json.statements.every((s) => s.context.registration === registration), q);
    }
  });

  await t.test('a read-only client cannot write', async () => {
    const ro = lrsHandle(lrs.srv, await addLrsClient(lrs.srv, { name: 'reader', scope: 'statements/read' }));
    const r = await ro.xapi('statements', { method: 'POST', body: statement() });
    assert.equal(r.status, 403);
  });

  await t.test('2.0.0 is answered as 2.0.0 and sets version 2.0.0', async () => {
    const v2 = lrs.withVersion('2.0.0');
    const id = randomUUID();
    const r = await v2.xapi(`statements?statementId=${id}`, { method: 'PUT', body: statement() });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.headers.get('x-experience-api-version'), '2.0.0');
    assert.equal((await v2.xapi(`statements?statementId=${id}`)).json.version, '2.0.0');
  });

  await t.test('hostile input: 4xx and nothing stored', async () => {
    const before = (await xapi('statements?limit=0')).json?.statements?.length;
    const cases = [
      ['not JSON', '{"actor":', 400],
      ['10,000 deep', '['.repeat(10000) + ']'.repeat(10000), 400],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"actor":{"mbox":"mailto:a@b.c","name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]), 400],
    ];
    for (const [name, body, want] of cases) {
      const r = await xapi('statements', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, want, `${name}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    // 10 MB: the server answers 413 without reading the body and closes,
    // which fetch reports as a failed upload, so this one goes over a raw socket.
    const big = JSON.stringify(statement({ result: { response: 'x'.repeat(10 * 1024 * 1024) } }));
    const head = `POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${lrs.auth}\r\n` +
      `X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`;
    const resp = await rawRequest(lrs.srv.port, Buffer.concat([Buffer.from(head), Buffer.from(big)]), { timeoutMs: 10000 });
    assert.equal(statusOf(resp), 413, resp.slice(0, 200));
    const many = Array.from({ length: 10001 }, () => ({ actor: { mbox: 'mailto:a@b.c' }, verb: { id: 'http://x.y/v' }, object: { id: 'http://x.y/a' } }));
    const r = await xapi('statements', { method: 'POST', body: many });
    assert.equal(r.status, 413);
    const after = (await xapi('statements?limit=0')).json?.statements?.length;
    assert.equal(after, before);
  });

  await t.test('hostile batches, multipart and query parameters', async () => {
    const before = (await xapi('statements?limit=0')).json?.statements?.length;
    // 50,000 statements are over the body limit: refused before the body is
    // read (413, connection closed), so over a raw socket.
    const many = JSON.stringify(Array.from({ length: 50000 }, () => statement()));
    const manyHead = `POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${lrs.auth}\r\n` +
      `X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(many)}\r\nConnection: close\r\n\r\n`;
    const manyResp = await rawRequest(lrs.srv.port, Buffer.concat([Buffer.from(manyHead), Buffer.from(many)]), { timeoutMs: 10000 });
    assert.equal(statusOf(manyResp), 413, manyResp.slice(0, 200));
    const id = randomUUID();
    const dup = [statement({ id }), statement({ id })];
    assert.equal((await xapi('statements', { method: 'POST', body: dup })).status, 400);

    const att = { usageType: 'http://adlnet.gov/expapi/attachments/signature', display: { en: 'a' },
      contentType: 'text/plain', length: 5, sha2: createHash('sha256').update('hello').digest('hex') };
    const st = JSON.stringify(statement({ attachments: [att] }));
    const mp = (parts) => Buffer.from(parts.map((p) => `--B\r\n${p}\r\n`).join('') + '--B--\r\n');
    const jsonPart = `Content-Type: application/json\r\n\r\n${st}`;
    const cases = [
      ['missing part', mp([jsonPart])],
      ['mismatched part', mp([jsonPart, 'Content-Type: text/plain\r\nX-Experience-API-Hash: ' +
        att.sha2 + '\r\nContent-Transfer-Encoding: binary\r\n\r\nHELLO'])],
      ['unterminated', Buffer.from(`--B\r\n${jsonPart}\r\n--B\r\nContent-Type: text/plain`)],
    ];
    for (const [name, body] of cases) {
      const r = await xapi('statements', { method: 'POST', body, headers: { 'Content-Type': 'multipart/mixed; boundary=B' } });
      assert.ok(r.status >= 400 && r.status < 500, `${name}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(r.json?.error, name);
    }
    // A Content-Length that claims more than is sent: the server waits for
    // the rest, then gives up; it must not store a half statement.
    const body = JSON.stringify(statement());
    const head = `POST /xapi/statements HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${lrs.auth}\r\n` +
      `X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\nConnection: close\r\n\r\n`;
    await rawRequest(lrs.srv.port, Buffer.from(head + body), { timeoutMs: 1500 }).catch(() => '');

    const q = await xapi('statements?limit=100000000');
    assert.equal(q.status, 200, 'a huge limit is capped at the server maximum (xAPI: limit is a maximum)');
    assert.ok(q.json.statements.length <= 500);
    for (const bad of ['agent=not-json', 'agent=%7B%22name%22%3A%22x%22%7D', 'verb=notiri', 'since=yesterday',
      'limit=-1', 'registration=nope', 'ascending=maybe', 'format=everything']) {
      const r = await xapi(`statements?${bad}`);
      assert.equal(r.status, 400, `${bad}: ${r.status}`);
      assert.ok(r.json?.error, bad);
    }
    const after = (await xapi('statements?limit=0')).json?.statements?.length;
    assert.equal(after, before);
  });

  await t.test('server is healthy and ASan/UBSan silent', async () => {
    assert.equal((await fetch(`${lrs.srv.url}/healthz`)).status, 200);
    assert.equal(await lrs.srv.stop(), 0);
    assertNoSanitizerFindings(lrs.srv.stderr());
  });
});
