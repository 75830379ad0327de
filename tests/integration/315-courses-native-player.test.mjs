// 315-courses-native-player: a bundled native course (courses/<id>, built
// by native.c during `vern course import`) is played in Vern's own player
// like any cmi5 course: its AU runtime gets through the token's cmi5 rules,
// both modules meet their moveOn, and the course is satisfied under its
// catalogue activity id, which is what counts as the completion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, assertNoSanitizerFindings, runVern } from './lib/server.mjs';
import {
  allStatements, launchBrowser, lrsReader, signIn, signedInContext, startCourseServer, until,
} from './lib/courses.mjs';

const COURSE_DIR = path.join(ROOT, 'courses', 'personvern-grunnkurs');
const verb = (s) => s.verb.id.replace(/^.*\//, '');

describe('native course in the player', { timeout: 180000 }, () => {
  const cleanups = [];
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => {
    if (browser) await browser.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  test('personvern-grunnkurs: import, play both modules, satisfied', async () => {
    const ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) });
    const r = await runVern(['course', 'import', COURSE_DIR, '--db', ctx.dbPath, '--data', path.join(ctx.dir, 'data')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /as course personvern-grunnkurs version 1 \(native, 2 launchable items/);
    const course = JSON.parse(fs.readFileSync(path.join(COURSE_DIR, 'course.json'), 'utf8'));
    const lrs = await lrsReader(ctx);

    const session = await signIn(ctx.base, { employee: '5001', scope: 'learn', course: 'personvern-grunnkurs' });
    const context = await signedInContext(browser, ctx.base, session);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ctx.base}/learn/personvern-grunnkurs`);
    for (const [i, m] of course.modules.entries()) {
      if (i > 0) await page.locator(`#outline button[data-item$=":modul:${m.id}"]`).click();
      const frame = page.frameLocator('#frame');
      await frame.locator('#au-framdrift-tekst').waitFor({ state: 'visible' });
      for (let n = 0; n < 60 && await frame.locator('#au-neste').isVisible(); n++) await frame.locator('#au-neste').click();
      for (const q of (m.quiz && m.quiz.questions) || []) {
        const form = frame.locator(`form[data-question="${q.id}"]`);
        for (const o of q.options.filter((x) => x.correct)) await form.locator(`#q_${q.id}_${o.id}`).check();
        await form.locator('.au-check').click();
        assert.equal(await form.locator('.au-verdict').textContent(), 'Riktig!');
      }
      await frame.locator('#au-avslutt').click();
      await page.waitForFunction((id) => document.querySelector(`#outline button[data-item$=":modul:${id}"] .mark`)?.textContent === '✓', m.id);
    }
    await page.locator('#progress', { hasText: 'Kurset er fullført' }).waitFor({ timeout: 15000 });
    await context.close();
    assert.deepEqual(errors, []);

    const stmts = await until(async () => {
      const all = await allStatements(lrs);
      return all.some((s) => verb(s) === 'satisfied' && s.object.id === course.activity_id) ? all : null;
    }, { what: 'the course satisfied' });
    const v = stmts.map(verb);
    for (const want of ['launched', 'initialized', 'completed', 'passed', 'terminated', 'satisfied'])
      assert.ok(v.includes(want), `missing ${want}: ${v}`);
    assert.ok(stmts.every((s) => s.actor.account.name === '5001'));
    assert.equal(await ctx.srv.stop(), 0);
    assertNoSanitizerFindings(ctx.srv.stderr());
  });
});
