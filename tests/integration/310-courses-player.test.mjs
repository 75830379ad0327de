// 310-courses-player: a learner plays imported packages in headless
// Chromium through the player, with course content on its own origin:
// SCORM 1.2 (resume after a reload, then pass), SCORM 2004 with three SCOs
// (navigation by adl.nav.request) and cmi5 (fetch, LaunchData, moveOn,
// satisfied, abandoned); the LRS ends up with the statements of the ADL
// SCORM profile and of cmi5, by the employee's agent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSanitizerFindings } from './lib/server.mjs';
import {
  allStatements, importZip, launchBrowser, lrsReader, signIn, signedInContext, startCourseServer, until,
} from './lib/courses.mjs';
import { cmi5Entries, scorm12Entries, scorm2004Entries } from './lib/packages.mjs';

const verb = (s) => s.verb.id.replace(/^.*\//, '');

describe('course player', { timeout: 180000 }, () => {
  let ctx;
  let browser;
  let lrs;
  const agentName = '5001';

  const cleanups = [];
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    if (browser) await browser.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  test('setup: server with a separate content origin and three packages', async () => {
    ctx = await startCourseServer({ after: (fn) => cleanups.push(fn) });
    for (const [name, entries, id] of [
      ['scorm12.zip', scorm12Entries(), 'scorm12-kurs'],
      ['scorm2004.zip', scorm2004Entries(), 'scorm2004-kurs'],
      ['cmi5.zip', cmi5Entries(), 'cmi5-kurs'],
    ]) {
      const r = await importZip(ctx, name, entries, ['--id', id, '--valid-months', '12']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`as course ${id} version 1`));
    }
    lrs = await lrsReader(ctx);
  });

  test('SCORM 1.2: resume after reload at the saved location, then pass', async () => {
    const session = await signIn(ctx.base, { employee: agentName, scope: 'full' });
    const context = await signedInContext(browser, ctx.base, session);
    const page = await context.newPage();
    await page.goto(`${ctx.base}/learn/scorm12-kurs`);
    const sco = page.frameLocator('#frame').frameLocator('iframe');
    await sco.locator('body[data-ready="1"]').waitFor();
    const first = JSON.parse(await sco.locator('#state').textContent());
    assert.equal(first.entry, 'ab-initio');
    assert.equal(first.name, 'Kari Nordmann');
    assert.equal(first.mastery, '80');
    assert.equal(first.launch_data, 'fra-lms');
    await sco.locator('#page2').click();
    await until(async () => JSON.parse(await sco.locator('#state').textContent()).location === 'side-2');

    // Reload mid-course. The SCO never terminated: the page-hide beacon
    // records the session as suspended.
    await page.reload();
    const sco2 = page.frameLocator('#frame').frameLocator('iframe');
    await sco2.locator('body[data-ready="1"]').waitFor();
    const resumed = JSON.parse(await sco2.locator('#state').textContent());
    assert.equal(resumed.entry, 'resume');
    assert.equal(resumed.location, 'side-2');
    assert.equal(resumed.suspend, 'sett=1,2');

    await sco2.locator('#finish').click();
    await sco2.locator('#done').filter({ hasText: 'ferdig' }).waitFor();
    await page.locator('#progress', { hasText: 'Kurset er fullført' }).waitFor({ timeout: 10000 });
    await context.close();

    const stmts = await until(async () => {
      const all = await allStatements(lrs);
      const mine = all.filter((s) => s.actor.account && s.actor.account.name === agentName &&
        JSON.stringify(s).includes('scorm12-kurs'));
      return mine.some((s) => verb(s) === 'passed' && s.object.id === 'urn:vern:kurs:scorm12-kurs') ? mine : null;
    }, { what: 'SCORM 1.2 statements' });
    const verbs = stmts.map(verb);
    for (const v of ['initialized', 'suspended', 'resumed', 'answered', 'scored', 'completed', 'passed', 'terminated'])
      assert.ok(verbs.includes(v), `missing ${v} in ${verbs.join(',')}`);
    const answered = stmts.find((s) => verb(s) === 'answered');
    assert.equal(answered.result.response, 'b');
    assert.equal(answered.result.success, true);
    assert.equal(answered.object.definition.interactionType, 'choice');
    const scored = stmts.find((s) => verb(s) === 'scored');
    assert.equal(scored.result.score.raw, 90);
    assert.ok(Math.abs(scored.result.score.scaled - 0.9) < 1e-9);
    const scoPassed = stmts.find((s) => verb(s) === 'passed' && s.object.id.includes(':sco:'));
    assert.equal(scoPassed.context.contextActivities.category[0].id, 'https://w3id.org/xapi/scorm');
    assert.equal(scoPassed.context.contextActivities.parent[0].id, 'urn:vern:kurs:scorm12-kurs');
    const course = stmts.filter((s) => s.object.id === 'urn:vern:kurs:scorm12-kurs').map(verb);
    assert.deepEqual(course.sort(), ['completed', 'passed']);
    assert.equal(stmts[0].actor.name, 'Kari Nordmann');
    assert.equal(stmts[0].actor.account.homePage, ctx.base);
  });

  test('SCORM 2004: three SCOs, continue requests move the player on', async () => {
    const session = await signIn(ctx.base, { employee: agentName, scope: 'learn', course: 'scorm2004-kurs' });
    let context = await signedInContext(browser, ctx.base, session);
    let page = await context.newPage();
    await page.goto(`${ctx.base}/learn/scorm2004-kurs`);
    for (const n of [1, 2, 3]) {
      const sco = page.frameLocator('#frame').frameLocator('iframe');
      await sco.locator(`body[data-ready="1"]`).waitFor();
      const st = JSON.parse(await sco.locator('#state').textContent());
      assert.equal(st.n, String(n), `SCO ${n} expected`);
      assert.equal(st.entry, 'ab-initio');
      assert.equal(st.passing, '0.8');
      if (n === 2) {
        // Mid-SCO the learner closes the browser and comes back later.
        await sco.locator('#mark').click();
        await sco.locator('#state', { hasText: 'sco2-midt' }).waitFor();
        await context.close();
        context = await signedInContext(browser, ctx.base, session);
        page = await context.newPage();
        await page.goto(`${ctx.base}/learn/scorm2004-kurs`);
        const again = page.frameLocator('#frame').frameLocator('iframe');
        await again.locator('body[data-ready="1"]').waitFor();
        const resumed = JSON.parse(await again.locator('#state').textContent());
        assert.equal(resumed.n, '2', 'a new browser resumes at SCO 2');
        assert.equal(resumed.entry, 'resume');
        assert.equal(resumed.location, 'sco2-midt');
        await again.locator('#finish').click();
      } else {
        await sco.locator('#finish').click();
      }
      if (n < 3) await page.waitForFunction((m) => document.querySelector('button[aria-current="true"]')?.dataset.item === `sco${m}`, n + 1);
    }
    await page.locator('#progress', { hasText: 'Kurset er fullført' }).waitFor({ timeout: 10000 });
    // A learn-scope session may not open another course.
    const other = await page.evaluate(async () => (await fetch('/api/learn/scorm12-kurs')).status);
    assert.equal(other, 403);
    await context.close();

    const stmts = await until(async () => {
      const mine = (await allStatements(lrs)).filter((s) => JSON.stringify(s).includes('scorm2004-kurs'));
      return mine.some((s) => verb(s) === 'completed' && s.object.id === 'urn:vern:kurs:scorm2004-kurs') ? mine : null;
    }, { what: 'SCORM 2004 statements' });
    for (const n of [1, 2, 3]) {
      const id = `urn:vern:kurs:scorm2004-kurs:sco:sco${n}`;
      const v = stmts.filter((s) => s.object.id === id).map(verb);
      for (const want of ['completed', 'passed', 'scored', 'terminated']) assert.ok(v.includes(want), `SCO ${n}: ${v}`);
    }
    const reg = new Set(stmts.map((s) => s.context.registration));
    assert.equal(reg.size, 1, 'one registration for the attempt');
  });

  test('cmi5: fetch once, LaunchData, moveOn, satisfied; an unfinished AU is abandoned', async () => {
    const session = await signIn(ctx.base, { employee: agentName, scope: 'full' });
    const context = await signedInContext(browser, ctx.base, session);
    const page = await context.newPage();
    await page.goto(`${ctx.base}/learn/cmi5-kurs`);
    let au = page.frameLocator('#frame');
    await au.locator('body[data-ready="1"]').waitFor();
    assert.match(await au.locator('#mode').textContent(), /^Normal Completed$/);
    await au.locator('#again').click();
    await au.locator('#log', { hasText: 'fetch2' }).waitFor();
    assert.match(await au.locator('#log').textContent(), /fetch2 \{"error-code":"1"/);

    // Leave the first AU without finishing: it is abandoned on the next launch.
    await page.locator('button[data-item$="/au/test"]').click();
    au = page.frameLocator('#frame');
    await au.locator('#mode', { hasText: 'CompletedAndPassed' }).waitFor();
    await au.locator('body[data-ready="1"]').waitFor();
    await au.locator('#finish').click();
    await page.waitForFunction(() => document.querySelector('#outline button[data-item$="/au/test"] .mark')?.textContent === '✓');

    await page.locator('button[data-item$="/au/les"]').click();
    au = page.frameLocator('#frame');
    await au.locator('#mode', { hasText: 'Normal Completed' }).waitFor();
    await au.locator('body[data-ready="1"]').waitFor();
    await au.locator('#finish').click();
    await page.locator('#progress', { hasText: 'Kurset er fullført' }).waitFor({ timeout: 10000 });
    await context.close();

    const stmts = await until(async () => {
      const mine = (await allStatements(lrs)).filter((s) => JSON.stringify(s).includes('cmi5-kurs'));
      return mine.some((s) => verb(s) === 'satisfied' && s.object.id === 'urn:vern:kurs:cmi5-kurs') ? mine : null;
    }, { what: 'cmi5 statements' });
    const v = stmts.map(verb);
    for (const want of ['launched', 'initialized', 'abandoned', 'completed', 'passed', 'terminated', 'satisfied'])
      assert.ok(v.includes(want), `missing ${want}: ${v}`);
    const satisfied = stmts.filter((s) => verb(s) === 'satisfied');
    const types = satisfied.map((s) => s.object.definition.type).sort();
    assert.deepEqual(types, ['https://w3id.org/xapi/cmi5/activitytype/block', 'https://w3id.org/xapi/cmi5/activitytype/course']);
    const launched = stmts.find((s) => verb(s) === 'launched');
    assert.ok(launched.context.extensions['https://w3id.org/xapi/cmi5/context/extensions/sessionid']);
    assert.equal(launched.context.extensions['https://w3id.org/xapi/cmi5/context/extensions/launchmode'], 'Normal');
    assert.notEqual(launched.object.id, 'https://vern.example/kurs/phishing-cmi5/au/les', 'LMS-generated activity id');
    const abandoned = stmts.filter((s) => verb(s) === 'abandoned');
    assert.equal(abandoned.length, 1);
    assert.ok(abandoned[0].result.duration);
  });

  test('clean shutdown, no sanitizer findings (leaks included)', async () => {
    assert.equal(await ctx.srv.stop(), 0);
    assertNoSanitizerFindings(ctx.srv.stderr());
  });
});
