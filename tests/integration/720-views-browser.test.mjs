// 720-views-browser: the leader, HR and ombud pages in headless Chromium
// (Debian's chromium driven by playwright-core): each role's main flow,
// screenshots in build/screenshots/, axe-core with no serious or critical
// WCAG 2.1 AA violations, no script errors or CSP violations, and the
// printable pages fitting their page count.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, assertNoSanitizerFindings, makeTempDir } from './lib/server.mjs';
import { seed, sqlite, startSeeded } from './lib/views.mjs';

const SHOTS = path.join(ROOT, 'build', 'screenshots');
const AXE = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
// Answers the pages expect and handle: no favicon.
const EXPECTED_FAILURES = [['/favicon.ico', 404]];

async function withBrowser(t) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing: install Debian's chromium (make deps)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  return browser;
}

/** A browser context signed in as who, collecting script errors. */
async function signedInPage(browser, url, who) {
  // bypassCSP only so the test can inject axe-core; the pages' own CSP
  // violations are still caught through the console below.
  const context = await browser.newContext({ bypassCSP: true, locale: 'nb-NO', viewport: { width: 1280, height: 900 } });
  const res = await context.request.post(`${url}/api/test/session`, { data: { ...who, scope: 'full' } });
  assert.ok(res.ok(), `test session: ${res.status()}`);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // Failed requests are checked by URL below; every other console error
  // (a CSP violation, a script error) is a problem.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !EXPECTED_FAILURES.some(([p, s]) => u.pathname === p && r.status() === s))
      problems.push(`HTTP ${r.status()} ${u.pathname}`);
  });
  return { context, page, problems };
}

async function axeCheck(page, name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`), [],
    `${name}: axe-core serious/critical violations`);
  return result;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Pages in a PDF (each page object has /Type /Page). */
function pdfPages(buf) {
  return (buf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
}

async function setup(t) {
  const dir = makeTempDir();
  const world = await seed(dir);
  const srv = await startSeeded(t, dir);
  const browser = await withBrowser(t);
  return { srv, world, browser };
}

test('leader: dashboard, drill down, reminder, attendance', async (t) => {
  const { srv, world, browser } = await setup(t);
  const { page, problems } = await signedInPage(browser, srv.url, { employee: world.who.leader3.ext });
  await page.goto(`${srv.url}/leder`);
  await page.getByRole('heading', { level: 1, name: 'Solbakken skole' }).waitFor();
  await page.getByRole('table', { name: /Krav og fullføring i Solbakken skole/ }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Leder', exact: true }).getAttribute('aria-current'), 'page');
  await axeCheck(page, 'leder');
  await shot(page, 'leder-oversikt');

  // Drill down into the child unit and back through the breadcrumbs.
  await page.getByRole('link', { name: 'Solbakken SFO' }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Solbakken SFO' }).waitFor();
  await page.getByRole('table', { name: 'Status per kurs for hver ansatt' }).waitFor();
  await axeCheck(page, 'leder-underenhet');
  await shot(page, 'leder-underenhet');
  await page.getByRole('navigation', { name: 'Brødsmuler' }).getByRole('link', { name: 'Solbakken skole' }).click();
  await page.getByRole('heading', { level: 1, name: 'Solbakken skole' }).waitFor();

  // A reminder goes to the mail outbox (no SMTP in the test, and the page says so).
  const overdue = page.getByRole('region', { name: 'Forsinket' });
  await overdue.getByRole('checkbox').first().check();
  await overdue.getByRole('button', { name: 'Send påminnelse til valgte' }).click();
  const said = page.getByRole('status').getByText(/Påminnelse lagt i utboksen til 1 ansatte \(\d+ e-poster\)\..*venter i utboksen/);
  await said.waitFor();
  const emails = /\((\d+) e-poster\)/.exec(await said.innerText())[1];
  assert.equal((await sqlite(srv.dbPath, "SELECT count(*) FROM mail_outbox WHERE kind = 'reminder'")).trim(), emails, 'one email per outstanding course');

  // Register attendance at a staff meeting, by keyboard where it matters.
  const form = page.getByRole('region', { name: 'Registrer oppmøte' });
  await form.getByLabel('Kurs', { exact: true }).selectOption('phishing');
  await form.getByLabel('Type samling').selectOption('personalmote');
  await form.getByLabel('Tittel').fill('Personalmøte om phishing');
  const attendees = form.getByRole('group', { name: 'Deltakere' }).getByRole('checkbox');
  await attendees.nth(0).focus();
  await page.keyboard.press('Space');
  await attendees.nth(1).check();
  await form.getByRole('button', { name: 'Registrer oppmøte' }).click();
  await page.getByRole('status').getByText('Oppmøte registrert for 2 deltakere.').waitFor();
  await page.getByRole('table', { name: /Registrerte samlinger/ }).getByText('Personalmøte om phishing').waitFor();
  await axeCheck(page, 'leder-oppmote');
  await shot(page, 'leder-oppmote');
  assert.equal((await sqlite(srv.dbPath, "SELECT count(*) FROM statements WHERE verb = 'http://adlnet.gov/expapi/verbs/attended'")).trim(), '2');
  assert.deepEqual(problems, []);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('admin: marks a course as satisfiable by attendance on the leader page', async (t) => {
  const { srv, browser } = await setup(t);
  const { page, problems } = await signedInPage(browser, srv.url, { user: 'admin' });
  await page.goto(`${srv.url}/leder?enhet=6`);
  await page.getByRole('heading', { level: 1, name: 'Lia sykehjem' }).waitFor();
  const box = page.getByRole('group', { name: /Kurs som kan fullføres ved oppmøte/ }).getByLabel('Svindel og phishing på e-post');
  await box.check();
  await page.getByRole('status').getByText(/kan nå fullføres ved oppmøte/).waitFor();
  assert.equal((await sqlite(srv.dbPath, 'SELECT course_id FROM courses_attendance')).trim(), 'phishing');
  await axeCheck(page, 'leder-admin');
  await shot(page, 'leder-admin');
  assert.deepEqual(problems, []);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('HR: search, employee requirements, learning goals, one-page print, exports', async (t) => {
  const { srv, world, browser } = await setup(t);
  const { page, problems } = await signedInPage(browser, srv.url, { employee: world.who.hr.ext });
  await page.goto(`${srv.url}/hr`);
  await page.getByLabel('Navn eller ansattnummer').fill('S7-2');
  await page.keyboard.press('Enter');
  const emp = world.people.find((p) => p.ext === 'S7-2');
  await page.getByRole('link', { name: emp.name }).waitFor();
  await axeCheck(page, 'hr-sok');
  await shot(page, 'hr-sok');
  await page.getByRole('link', { name: emp.name }).click();
  await page.getByRole('heading', { level: 1, name: emp.name }).waitFor();
  const reqs = page.getByRole('table', { name: 'Krav for rollen og status' });
  await reqs.waitFor();
  assert.equal(await reqs.getByRole('row').count(), 4, 'header + three requirements');
  await page.getByLabel('Læringsmål', { exact: true }).fill('Lære å kjenne igjen phishing.\nTa grunnkurs i informasjonssikkerhet før sommeren.');
  await page.getByLabel('Dato for samtalen').fill('2024-03-15');
  await page.getByRole('button', { name: 'Lagre læringsmål' }).click();
  await page.getByRole('status').getByText('Læringsmålene er lagret.').waitFor();
  await axeCheck(page, 'hr-ansatt');
  await shot(page, 'hr-ansatt');
  // The printable summary fits on one A4 page.
  await page.emulateMedia({ media: 'print' });
  await shot(page, 'hr-utskrift');
  const pdf = await page.pdf({ format: 'A4', printBackground: false });
  fs.writeFileSync(path.join(SHOTS, 'hr-sammendrag.pdf'), pdf);
  assert.equal(pdfPages(pdf), 1, 'one-page summary');
  await page.emulateMedia({ media: 'screen' });
  // The export links download with the session.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Last ned CSV' }).click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.match(csv, /^\uFEFFansattnummer;navn;enhet;kurs;kurstittel;grunn;frist;status;fullfort;utloper\r\n/);
  assert.equal(csv.trim().split('\r\n').length, 4);
  assert.deepEqual(problems, []);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('ombud: statistics per agency with chart, CSV, print, audit log', async (t) => {
  const { srv, world, browser } = await setup(t);
  // Something for the audit log to show.
  const hr = await signedInPage(browser, srv.url, { employee: world.who.hr.ext });
  await hr.page.goto(`${srv.url}/hr?ansatt=${world.people.find((p) => p.ext === 'S6-1').id}`);
  await hr.page.getByRole('table', { name: 'Krav for rollen og status' }).waitFor();
  const { page, problems } = await signedInPage(browser, srv.url, { employee: world.who.ombud.ext });
  await page.goto(`${srv.url}/ombud`);
  const year = new Date().getFullYear();
  const table = page.getByRole('table', { name: new RegExp(`per virksomhet ${year}`) });
  await table.waitFor();
  const small = table.getByRole('row', { name: /Fjellstua/ });
  assert.match(await small.innerText(), /<5/);
  const chart = page.getByRole('img', { name: new RegExp(`Andel fullført per virksomhet, ${year} og ${year - 1}`) });
  await chart.waitFor();
  assert.equal(await chart.locator('rect.serie-0').count(), 3, 'the legend and a bar for each of the two agencies of 5 or more (none for Fjellstua)');
  const log = page.getByRole('table', { name: /Hvem har sett hvilke opplysninger/ });
  await log.getByText('Hanne Hr').first().waitFor();
  await page.getByRole('table', { name: 'Oppbevaringsregler' }).getByText(/Bevis på gjennomført kurs/).waitFor();
  await axeCheck(page, 'ombud');
  await shot(page, 'ombud');
  await page.emulateMedia({ media: 'print' });
  await shot(page, 'ombud-utskrift');
  const pdf = await page.pdf({ format: 'A4' });
  fs.writeFileSync(path.join(SHOTS, 'ombud-rapport.pdf'), pdf);
  assert.ok(pdfPages(pdf) >= 1);
  await page.emulateMedia({ media: 'screen' });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Last ned CSV' }).click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.match(csv, new RegExp(`virksomhet;ansatte;med_krav;fullfort_${year}`));
  assert.match(csv, /Fjellstua;<5;<5;<5/);
  assert.deepEqual(problems, []);
  assert.deepEqual(hr.problems, []);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});

test('ombud: the Sikkerhetsmåneden report from the bundled plugin', async (t) => {
  const dir = makeTempDir();
  const world = await seed(dir);
  const srv = await startSeeded(t, dir, { plugins: true });
  const browser = await withBrowser(t);
  const { page, problems } = await signedInPage(browser, srv.url, { employee: world.who.ombud.ext });
  await page.goto(`${srv.url}/ombud`);
  const table = page.getByRole('table', { name: /Sikkerhetsmåneden \d{4}: andel ansatte som fullførte alle leksjonene/ });
  await table.waitFor();
  assert.match(await table.getByRole('row', { name: /Fjellstua/ }).innerText(), /<5/);
  await page.getByRole('table', { name: /Per leksjon i hele kommunen/ }).waitFor();
  await page.getByRole('img', { name: /Andel fullført per virksomhet/ }).waitFor();
  await axeCheck(page, 'ombud-sikkerhetsmaaned');
  await shot(page, 'ombud-sikkerhetsmaaned');
  assert.deepEqual(problems, []);
  await srv.stop();
  assertNoSanitizerFindings(srv.stderr());
});
