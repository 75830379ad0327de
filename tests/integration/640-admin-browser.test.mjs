// 640-admin-browser: the sign-in, Min side, certificate and admin pages in
// headless Chromium (Debian's chromium driven by playwright-core), with the
// pages' own strict CSP in force: sign-in with TOTP enrolment (the code
// computed here from the secret the page shows), sign-in by keyboard only,
// Min side and the data download, the admin page's forms; a screenshot of
// each page in build/screenshots/, axe-core finding no serious or critical
// WCAG 2.1 AA violations, and no script error or CSP violation anywhere.

import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, assertNoSanitizerFindings, makeTempDir, runVern, startServer } from './lib/server.mjs';
import { addUser, seedMunicipality, totp } from './lib/login.mjs';
import { scorm12Entries } from './lib/packages.mjs';
import { zipBuffer } from './lib/zip.mjs';

const SHOTS = path.join(ROOT, 'build', 'screenshots');
const AXE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

async function setup(t) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing: install Debian's chromium (make deps)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const dir = makeTempDir();
  const dbPath = path.join(dir, 'vern.db');
  assert.equal((await runVern(['migrate', '--db', dbPath])).code, 0);
  await seedMunicipality(dbPath);
  await addUser(dbPath, 'kari', 'kari-passord-123', ['--employee', 'E1']);
  await addUser(dbPath, 'admin', 'admin-passord-123', ['--role', 'admin']);
  const srv = await startServer({ dir, t });
  t.after(() => assertNoSanitizerFindings(srv.stderr()));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  return { srv, browser };
}

/** A fresh browser context (no bypassCSP: the pages' CSP is enforced) that
 * records script errors, console errors (CSP violations among them) and
 * failed requests. */
async function newPage(browser, t, allowed = []) {
  const context = await browser.newContext({ locale: 'nb-NO', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (r.status() >= 400 && !allowed.some(([p, s]) => u.pathname === p && r.status() === s))
      problems.push(`HTTP ${r.status()} ${u.pathname}`);
  });
  t.after(() => context.close());
  return { page, problems };
}

/** axe-core in the page (evaluated over the DevTools protocol, so the
 * page's CSP stays on); fails on serious or critical violations. */
async function axeCheck(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`), [],
    `${name}: axe-core serious/critical violations`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

test('employee: sign in by keyboard, Min side, certificate, data download', async (t) => {
  const { srv, browser } = await setup(t);
  const { page, problems } = await newPage(browser, t, [['/api/me', 401], ['/api/login', 401]]);
  await page.goto(`${srv.url}/`);
  await page.waitForURL(/\/logg-inn$/);
  await page.getByRole('heading', { level: 1, name: 'Logg inn' }).waitFor();
  await axeCheck(page, 'logg-inn');
  await shot(page, 'admin-logg-inn');

  // Keyboard only: focus starts in the username field.
  await page.keyboard.type('kari');
  await page.keyboard.press('Tab');
  await page.keyboard.type('feil-passord-123');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').getByText(/Feil brukernavn eller passord/).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'passord', 'focus back in the password field');
  await axeCheck(page, 'logg-inn-feil');
  await shot(page, 'admin-logg-inn-feil');
  await page.keyboard.type('kari-passord-123');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/min-side$/);

  await page.getByRole('table', { name: 'Kurs du er tildelt' }).waitFor();
  const assigned = page.getByRole('table', { name: 'Kurs du er tildelt' });
  assert.equal(await assigned.getByRole('row').count(), 4, 'a header row and three courses');
  await assigned.getByRole('row', { name: /Svindel og phishing/ }).getByText('Forfalt').waitFor();
  await assigned.getByRole('row', { name: /Personvern – grunnkurs/ }).getByText('Fullført').waitFor();
  const done = page.getByRole('table', { name: 'Kurs du har fullført' });
  await done.getByRole('cell', { name: '90 %' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Min side' }).getAttribute('aria-current'), 'page');
  await page.getByText(/lagrer rådata om læring/).waitFor();
  await axeCheck(page, 'min-side');
  await shot(page, 'admin-min-side');

  // Download all my data.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Last ned alle mine data (JSON)' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^vern-mine-data-\d{4}-\d{2}-\d{2}\.json$/);
  const data = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(data.employee[0].name, 'Kari Nordmann');
  assert.ok(data.audit_log_about_you.some((a) => a.action === 'export_own'));
  assert.match(data.retention_policy.text, /dager/);

  // The certificate, printable.
  await done.getByRole('link', { name: 'Kursbevis for Personvern – grunnkurs' }).click();
  await page.waitForURL(/\/min-side\/kursbevis\?kurs=personvern-grunnkurs$/);
  await page.getByRole('article', { name: 'Kursbevis' }).getByText('Kari Nordmann').waitFor();
  await page.getByRole('button', { name: 'Skriv ut' }).waitFor();
  await axeCheck(page, 'kursbevis');
  await shot(page, 'admin-kursbevis');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('button', { name: 'Skriv ut' }).isVisible(), false, 'no buttons on paper');
  await page.emulateMedia({ media: 'screen' });

  // Sign out.
  await page.getByRole('button', { name: 'Logg ut' }).click();
  await page.waitForURL(/\/logg-inn\?ut=1$/);
  await page.getByText('Du er logget ut.').waitFor();
  assert.deepEqual(problems, []);
});

test('admin: TOTP enrolment from the page, then the admin page', async (t) => {
  const { srv, browser } = await setup(t);
  const { page, problems } = await newPage(browser, t, [['/api/login/totp', 401]]);
  await page.goto(`${srv.url}/logg-inn?neste=/admin`);
  await page.getByLabel('Brukernavn').fill('admin');
  await page.getByLabel('Passord').fill('admin-passord-123');
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sett opp tofaktorinnlogging' }).waitFor();
  await page.getByRole('img', { name: /QR-kode/ }).waitFor();
  const secret = (await page.locator('code.hemmelighet').innerText()).replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const uri = await page.getByRole('link', { name: /Åpne i autentiseringsapp/ }).getAttribute('href');
  assert.ok(uri.startsWith('otpauth://totp/Vern:admin?secret=' + secret));
  await axeCheck(page, 'totp-oppsett');
  await shot(page, 'admin-totp-oppsett');

  await page.getByLabel('Sekssifret kode').fill('000000');
  await page.getByRole('button', { name: 'Bekreft og logg inn' }).click();
  await page.getByRole('alert').getByText(/Feil kode/).waitFor();
  await page.getByLabel('Sekssifret kode').fill(totp(secret));
  await page.getByRole('button', { name: 'Bekreft og logg inn' }).click();
  await page.waitForURL(/\/admin$/);

  await page.getByRole('table', { name: 'Kontoer' }).waitFor();
  await page.getByRole('table', { name: 'Kurskatalog' }).getByText('Personvern – grunnkurs').waitFor();
  await page.getByRole('table', { name: 'Tillegg' }).waitFor();
  await page.getByRole('table', { name: 'Siste kjøringer' }).or(page.getByText('Jobben har ikke kjørt ennå.')).waitFor();
  await axeCheck(page, 'admin');
  await shot(page, 'admin-admin');

  // Upload a SCORM package; it joins the catalogue with its first version.
  await page.getByLabel('Kurspakke (zip)').setInputFiles({ name: 'personvern-i-praksis.zip', mimeType: 'application/zip',
    buffer: zipBuffer(scorm12Entries()) });
  await page.getByRole('button', { name: 'Last opp' }).click();
  await page.getByRole('status').getByText(/er lastet opp som versjon 1/).waitFor();
  await page.getByRole('table', { name: 'Kurskatalog' }).getByRole('row', { name: /SCORM 1\.2/ }).waitFor();

  // Reload the plugins.
  await page.getByRole('button', { name: 'Last inn tilleggene på nytt' }).click();
  await page.getByRole('status').getByText(/lastet på nytt/).waitFor();

  // A campaign draft, then started.
  await page.getByLabel('Navn', { exact: true }).first().waitFor();
  const campaign = page.locator('#kampanjer');
  await campaign.getByLabel('Navn', { exact: true }).fill('Phishing-uka');
  await campaign.getByLabel('Leksjon (kurs)').selectOption('phishing');
  await campaign.getByRole('button', { name: 'Lagre utkast' }).click();
  await page.getByRole('status').getByText('Kampanjen «Phishing-uka» er lagret som utkast.').waitFor();
  await campaign.getByRole('row', { name: /Phishing-uka/ }).getByText('Utkast').waitFor();
  await campaign.getByRole('button', { name: 'Start kampanjen Phishing-uka' }).click();
  await campaign.getByRole('row', { name: /Phishing-uka/ }).getByText('Aktiv').waitFor();

  // Create an account with a generated password and the HR role.
  const form = page.locator('#ny-bruker');
  await form.getByLabel('Brukernavn').fill('hanne');
  await form.getByLabel('Visningsnavn').fill('Hanne HR');
  await form.getByLabel('HR').check();
  await form.getByRole('button', { name: 'Opprett konto' }).click();
  await page.getByText(/Passord for hanne:/).waitFor();
  await page.getByRole('table', { name: 'Kontoer' }).getByRole('row', { name: /hanne/ }).getByRole('cell', { name: 'HR', exact: true }).waitFor();

  // An LRS client, with its secret shown once.
  await page.locator('#lrs').getByLabel('Navn', { exact: true }).fill('Fagsystem');
  await page.getByRole('button', { name: 'Opprett klient' }).click();
  await page.getByText(/Hemmelighet:/).waitFor();
  await page.getByRole('table', { name: 'Klienter' }).getByText('Fagsystem').waitFor();

  // Run the retention job from the page.
  await page.getByRole('button', { name: 'Kjør nå' }).click();
  await page.getByRole('status').getByText(/Kjøringen er ferdig/).waitFor();
  await axeCheck(page, 'admin-etter-endringer');
  await shot(page, 'admin-admin-etter-endringer');

  // A second sign-in asks only for the code.
  const second = await newPage(browser, t);
  await second.page.goto(`${srv.url}/logg-inn`);
  await second.page.getByLabel('Brukernavn').fill('admin');
  await second.page.getByLabel('Passord').fill('admin-passord-123');
  await second.page.getByRole('button', { name: 'Logg inn' }).click();
  await second.page.getByRole('heading', { level: 1, name: 'Tofaktorkode' }).waitFor();
  assert.equal(await second.page.locator('code.hemmelighet').count(), 0, 'no secret after enrolment');
  await axeCheck(second.page, 'totp-kode');
  await shot(second.page, 'admin-totp-kode');
  assert.deepEqual(problems, []);
  assert.deepEqual(second.problems, []);
});
