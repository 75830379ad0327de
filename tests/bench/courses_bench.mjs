// tests/bench/courses_bench.mjs: the figures of bench section "courses" (see courses.sh).
// Builds a SCORM 1.2 package of about 50 MB (incompressible media, as real packages carry
// video), times `vern course import` and POST /api/courses, then plays a two-SCO SCORM 2004
// package in headless Chromium: bytes the player needs before the SCO's own files, and the
// time from a click in the outline to the SCO's page loaded (median of 20).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { importZip, launchBrowser, signIn, signedInContext, startCourseServer, uploadZip } from '../integration/lib/courses.mjs';
import { scorm12Entries, scorm2004Entries } from '../integration/lib/packages.mjs';
import { zipBuffer } from '../integration/lib/zip.mjs';
import { runVern } from '../integration/lib/server.mjs';

const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

try {
  const ctx = await startCourseServer(t);
  // ~50 MB: 50 media files of 1 MiB random bytes.
  const media = [];
  for (let i = 0; i < 50; i++) media.push({ name: `media/video-${i}.mp4`, data: crypto.randomBytes(1 << 20) });
  const big = zipBuffer(scorm12Entries({ identifier: 'no.vern.bench.big', extra: media }));
  const zipPath = path.join(ctx.dir, 'big.zip');
  fs.writeFileSync(zipPath, big);
  let t0 = performance.now();
  const r = await runVern(['course', 'import', zipPath, '--id', 'stor', '--db', ctx.dbPath, '--data', path.join(ctx.dir, 'data')]);
  const cliMs = performance.now() - t0;
  if (r.code !== 0) throw new Error(r.stderr);
  const admin = await signIn(ctx.base, { user: 'admin', scope: 'full' });
  t0 = performance.now();
  const u = await uploadZip(ctx, admin, 'big.zip', big);
  const uploadMs = performance.now() - t0;
  if (u.status !== 201) throw new Error(u.text);

  const r2 = await importZip(ctx, 'nav.zip', scorm2004Entries(), ['--id', 'nav']);
  if (r2.code !== 0) throw new Error(r2.stderr);
  const browser = await launchBrowser();
  cleanups.push(() => browser.close());
  const kari = await signIn(ctx.base, { employee: '5001', scope: 'full' });
  const context = await signedInContext(browser, ctx.base, kari);
  const page = await context.newPage();
  const bytes = new Map();
  page.on('response', async (res) => {
    const url = res.url();
    if (url.includes('/content/')) return; // the SCO's own files
    // Bytes on the wire: Content-Length (compressed when gzip was used).
    const n = Number((await res.allHeaders())['content-length'] || 0);
    bytes.set(url.replace(/content-run\/[^/?]+/, 'content-run/T'), n);
  });
  await page.goto(`${ctx.base}/learn/nav`);
  await page.waitForFunction(() => document.documentElement.dataset.scoLoaded === 'sco1');
  await page.waitForTimeout(200);
  const weight = [...bytes.values()].reduce((a, b) => a + b, 0);
  const parts = [...bytes.entries()].map(([u2, n]) => `${new URL(u2).pathname.replace(/^\/(api\/learn|content-assets|player)\//, '')}=${(n / 1024).toFixed(1)}`).join(' ');

  const times = [];
  for (let i = 0; i < 20; i++) {
    const target = i % 2 === 0 ? 'sco2' : 'sco1';
    const t1 = await page.evaluate(() => performance.now());
    await page.click(`#outline button[data-item="${target}"]`);
    await page.waitForFunction((id) => document.documentElement.dataset.scoLoaded === id, target);
    const t2 = await page.evaluate(() => performance.now());
    times.push(t2 - t1);
  }
  await context.close();
  console.log(`import of a ${(big.length / 1e6).toFixed(1)} MB package: CLI ${(cliMs / 1000).toFixed(2)} s, upload endpoint ${(uploadMs / 1000).toFixed(2)} s`);
  console.log(`player page weight before the SCO's files (on the wire): ${(weight / 1024).toFixed(1)} KB (${parts})`);
  console.log(`click to SCO loaded (localhost, median of 20): ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
  console.log(`BENCH courses import_mb=${(big.length / 1e6).toFixed(1)} import_cli_s=${(cliMs / 1000).toFixed(2)} import_upload_s=${(uploadMs / 1000).toFixed(2)} player_kb=${(weight / 1024).toFixed(1)} click_to_sco_ms=${median(times).toFixed(0)}`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
