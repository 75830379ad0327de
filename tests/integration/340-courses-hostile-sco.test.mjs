// 340-courses-hostile-sco: an uploaded SCO that tries to use the signed-in
// learner (an administrator) against Vern: read the player's cookies and
// page, call /api/me and the admin endpoints with the session, navigate
// the top window. With content on its own origin all of it fails; with
// one origin the CSP still keeps it from Vern's endpoints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import { importZip, launchBrowser, signIn, signedInContext, startCourseServer } from './lib/courses.mjs';
import { hostileEntries } from './lib/packages.mjs';

describe('hostile SCO', { timeout: 120000 }, () => {
  const cleanups = [];
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => {
    if (browser) await browser.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  async function play(ctx) {
    const r = await importZip(ctx, 'evil.zip', hostileEntries({ player: ctx.base }), ['--id', 'fiendtlig']);
    assert.equal(r.code, 0, r.stderr);
    const admin = await signIn(ctx.base, { user: 'admin', scope: 'full' });
    const context = await signedInContext(browser, ctx.base, admin);
    const page = await context.newPage();
    await page.goto(`${ctx.base}/learn/fiendtlig`);
    const sco = page.frameLocator('#frame').frameLocator('iframe');
    await sco.locator('body[data-done="1"]').waitFor();
    const result = JSON.parse(await sco.locator('#result').textContent());
    assert.equal(new URL(page.url()).pathname, '/learn/fiendtlig', 'the player stayed in place');
    const courses = await (await fetch(`${ctx.base}/api/courses`, { headers: { Cookie: admin.cookie } })).json();
    await context.close();
    return { result, courses };
  }

  test('content on its own origin reaches nothing of the learner\'s', async () => {
    const ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) });
    const { result, courses } = await play(ctx);
    assert.doesNotMatch(result.cookie, /vern_session/);
    assert.equal(result.parentCookie, 'blocked');
    assert.equal(result.topHref, 'blocked');
    assert.equal(result.me, 'blocked');
    assert.equal(result.courses, 'blocked');
    assert.equal(result.upload, 'blocked');
    assert.match(result.sameOriginMe, /^401 /, 'no session on the content origin');
    assert.match(result.sameOriginLearn, /^401 /);
    assert.equal(courses.courses.length, 1, 'nothing was uploaded');
    assert.equal(await ctx.srv.stop(), 0);
    assertNoSanitizerFindings(ctx.srv.stderr());
  });

  test('content on the player\'s origin is kept from Vern\'s endpoints by its CSP', async () => {
    const ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) }, { sameOrigin: true });
    const { result, courses } = await play(ctx);
    assert.doesNotMatch(result.cookie, /vern_session/, 'the session cookie is HttpOnly');
    assert.doesNotMatch(String(result.parentCookie), /vern_session/);
    assert.equal(result.me, 'blocked');
    assert.equal(result.courses, 'blocked');
    assert.equal(result.upload, 'blocked');
    assert.equal(result.sameOriginMe, 'blocked');
    assert.equal(result.sameOriginLearn, 'blocked');
    assert.equal(courses.courses.length, 1);
    assert.equal(await ctx.srv.stop(), 0);
    assertNoSanitizerFindings(ctx.srv.stderr());
  });
});
