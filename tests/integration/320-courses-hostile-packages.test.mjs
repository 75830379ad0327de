// 320-courses-hostile-packages: packages that must never be imported are
// refused with a clear error naming the file (and the manifest line), by
// `vern course import` and by the upload endpoint alike, and nothing of
// them is left on disk. Also: who may upload.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { importZip, listTree, signIn, startCourseServer, uploadZip } from './lib/courses.mjs';
import { scorm12Entries } from './lib/packages.mjs';
import { zipBuffer } from './lib/zip.mjs';

const ims = (body, head = '') => `<?xml version="1.0"?>${head}
<manifest identifier="evil" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
<organizations default="o"><organization identifier="o"><title>T</title>
<item identifier="i" identifierref="r"><title>I</title></item></organization></organizations>
<resources>${body}</resources></manifest>`;
const okResource = '<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"/>';
const index = { name: 'index.html', data: '<p>hei</p>' };

function manyEntries(n) {
  const list = [{ name: 'imsmanifest.xml', data: ims(okResource) }, index];
  for (let i = 0; i < n; i++) list.push({ name: `f/${i}.txt`, data: '' });
  return list;
}

const hostile = [
  ['zip slip', 'slip.zip', [{ name: 'imsmanifest.xml', data: ims(okResource) }, index, { name: '../../evil.html', data: 'x' }], /slip\.zip: .*evil\.html/],
  ['absolute path', 'absolute.zip', [{ name: 'imsmanifest.xml', data: ims(okResource) }, index, { name: '/tmp/evil.html', data: 'x' }], /absolute\.zip: .*\/tmp\/evil\.html/],
  ['symbolic link', 'link.zip', [{ name: 'imsmanifest.xml', data: ims(okResource) }, index, { name: 'passwd', symlink: '/etc/passwd' }], /link\.zip: .*passwd/],
  ['zip bomb', 'bomb.zip', [{ name: 'imsmanifest.xml', data: ims(okResource) }, index, { name: 'bomb.bin', data: Buffer.alloc(40 * 1024 * 1024), deflate: true }], /bomb\.zip: .*bomb\.bin/],
  ['100,000 entries', 'many.zip', manyEntries(100000), /many\.zip: .*entries/],
  ['XXE manifest', 'xxe.zip', [{ name: 'imsmanifest.xml', data: ims(okResource, '\n<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>') }, index], /xxe\.zip: imsmanifest\.xml:2: /],
  ['billion laughs', 'laughs.zip', [{ name: 'imsmanifest.xml', data: ims(okResource, '\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>') }, index], /laughs\.zip: imsmanifest\.xml:2: /],
  ['manifest pointing outside', 'outside.zip', [{ name: 'imsmanifest.xml', data: ims('<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="../../etc/passwd"/>') }, index], /outside\.zip: imsmanifest\.xml:\d+: /],
  ['launch file missing', 'missing.zip', [{ name: 'imsmanifest.xml', data: ims('<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="nowhere.html"/>') }, index], /missing\.zip: imsmanifest\.xml:5: item 'i' launches 'nowhere\.html'/],
  ['non-UTF-8 name', 'latin1.zip', [{ name: 'imsmanifest.xml', data: ims(okResource) }, index, { name: Buffer.from([0x66, 0xe6, 0x72, 0x2e, 0x74, 0x78, 0x74]), data: 'x', utf8Flag: true }], /latin1\.zip: .*UTF-8/],
  ['not a zip', 'text.zip', null, /text\.zip: /],
];

describe('hostile packages', { timeout: 240000 }, () => {
  const cleanups = [];
  after(async () => { for (const fn of cleanups.reverse()) await fn(); });
  let ctx;
  let admin;

  test('setup', async () => {
    ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) });
    admin = await signIn(ctx.base, { user: 'admin', employee: '5002', scope: 'full' });
    // The content root is Vern's own; what matters is what appears in it.
    (await import('node:fs')).mkdirSync(path.join(ctx.dir, 'data', 'content'), { recursive: true });
  });

  for (const [what, name, entries, message] of hostile) {
    test(`${what}: refused by the CLI and the upload endpoint, nothing left`, async () => {
      const data = path.join(ctx.dir, 'data');
      const before = listTree(data).filter((p) => !p.startsWith('uploads'));
      const buf = entries ? zipBuffer(entries) : Buffer.from('this is not a zip file\n');
      // CLI
      const file = path.join(ctx.dir, name);
      (await import('node:fs')).writeFileSync(file, buf);
      const { runVern } = await import('./lib/server.mjs');
      const r = await runVern(['course', 'import', file, '--db', ctx.dbPath, '--data', data], { timeoutMs: 60000 });
      assert.equal(r.code, 1, `CLI accepted ${what}: ${r.stdout}`);
      assert.match(r.stderr, message);
      assert.deepEqual(listTree(data).filter((p) => !p.startsWith('uploads')), before, 'CLI left files behind');
      // Upload
      const u = await uploadZip(ctx, admin, name, buf);
      assert.equal(u.status, 422, u.text);
      assert.equal(u.json.error, 'package_refused');
      assert.match(u.json.detail, message);
      assert.deepEqual(listTree(data).filter((p) => !p.startsWith('uploads')), before, 'upload left files behind');
      assert.deepEqual(listTree(path.join(data, 'uploads')), [], 'the uploaded file was not removed');
    });
  }

  test('nothing was imported', async () => {
    const res = await fetch(`${ctx.base}/api/courses`, { headers: { Cookie: admin.cookie } });
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).courses, []);
    assert.deepEqual(listTree(path.join(ctx.dir, 'data', 'content')), []);
  });

  test('upload: the caller is checked before the body is read', async () => {
    // 500 MB announced, 10 bytes sent: the refusal must come at once, not
    // after the server has waited for (and buffered) the body.
    const url = new URL(ctx.base);
    const t0 = Date.now();
    const answer = await new Promise((resolve, reject) => {
      const sock = net.connect(Number(url.port), url.hostname);
      let got = '';
      sock.setTimeout(10000, () => { sock.destroy(); reject(new Error(`no answer; got ${JSON.stringify(got)}`)); });
      sock.on('data', (d) => { got += d; });
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
      sock.write(`POST /api/courses?filename=a.zip HTTP/1.1\r\nHost: ${url.host}\r\n` +
        'Content-Type: application/zip\r\nContent-Length: 500000000\r\n\r\n0123456789');
    });
    assert.match(answer, /^HTTP\/1\.1 401 /);
    assert.match(answer, /not_signed_in/);
    assert.ok(Date.now() - t0 < 10000);
  });

  test('upload: only administrators, with the CSRF token, as a zip body', async () => {
    const good = zipBuffer(scorm12Entries());
    const learner = await signIn(ctx.base, { employee: '5001', scope: 'full' });
    let res = await fetch(`${ctx.base}/api/courses?filename=a.zip`, { method: 'POST', body: good, headers: { 'Content-Type': 'application/zip' } });
    assert.equal(res.status, 401);
    assert.equal((await uploadZip(ctx, learner, 'a.zip', good)).status, 403);
    assert.equal((await uploadZip(ctx, { ...admin, csrf: 'x'.repeat(43) }, 'a.zip', good)).status, 403);
    res = await fetch(`${ctx.base}/api/courses?filename=a.zip`, {
      method: 'POST', body: good, headers: { Cookie: admin.cookie, 'X-CSRF-Token': admin.csrf, 'Content-Type': 'text/html' },
    });
    assert.equal(res.status, 415);
    const u = await uploadZip(ctx, admin, 'personvern.zip', good, '&id=personvern-praksis&minutes=15&valid_months=12');
    assert.equal(u.status, 201, u.text);
    assert.equal(u.json.course, 'personvern-praksis');
    assert.equal(u.json.version, 1);
    assert.equal(u.json.kind, 'scorm12');
    assert.equal(u.json.activity_id, 'urn:vern:kurs:personvern-praksis');
    const list = await (await fetch(`${ctx.base}/api/courses`, { headers: { Cookie: admin.cookie } })).json();
    assert.equal(list.courses.length, 1);
    assert.equal(list.courses[0].minutes, 15);
    assert.equal(list.courses[0].valid_months, 12);
    assert.equal(list.courses[0].versions[0].source, 'personvern.zip');
    assert.deepEqual(listTree(path.join(ctx.dir, 'data', 'uploads')), []);
  });

  test('clean shutdown, no sanitizer findings (leaks included)', async () => {
    assert.equal(await ctx.srv.stop(), 0);
    assertNoSanitizerFindings(ctx.srv.stderr());
  });
});
