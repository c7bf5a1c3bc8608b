// End-to-end test of the search page in Debian's chromium, driven by
// playwright-core: search, filter by a facet, open a document, download
// it, switch language, fit a phone screen.  Prints "ok N - ..." /
// "not ok N - ..." lines and a final "N passed, N failed" line.
//
//   BASE=http://127.0.0.1:PORT ARCHIVE=DIR [SHOTS=DIR] node e2e.mjs
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.BASE;
const archive = process.env.ARCHIVE;
const shots = process.env.SHOTS || '';
const timeout = Number(process.env.E2E_TIMEOUT_MS || 15000);
let n = 0, passed = 0, failed = 0;

async function step(name, fn) {
  n++;
  try {
    await fn();
    passed++;
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    for (const line of String(e && e.stack || e).split('\n').slice(0, 6)) console.log(`# ${line}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const profile = mkdtempSync(join(tmpdir(), 'vanthu-chromium-'));
const downloads = mkdtempSync(join(tmpdir(), 'vanthu-dl-'));
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
    acceptDownloads: true,
    // The page's CSP forbids eval, which Playwright's polling predicates
    // sometimes use; the page itself never needs it.
    bypassCSP: true,
    downloadsPath: downloads,
    viewport: { width: 1280, height: 900 },
    locale: 'vi-VN',
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(timeout);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e && e.stack || e)));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`# console: ${m.text()}`); });

  await step('the page loads in Vietnamese', async () => {
    await page.goto(base + '/');
    await page.waitForSelector('#results .result');
    assert((await page.textContent('#go')) === 'Tìm kiếm', 'search button not in Vietnamese');
    assert((await page.getAttribute('html', 'lang')) === 'vi', 'html lang is not vi');
  });

  await step('search without diacritics finds the accented decision first', async () => {
    await page.fill('#q', 'quyet dinh chuyen doi so');
    await page.click('#go');
    await page.waitForFunction(() => location.hash.includes('q=quyet'));
    await page.waitForFunction(() => document.querySelector('#results .result .title')?.textContent.includes('512/QĐ-UBND'));
    const marks = await page.$$eval('#results .result:first-child .snippet b', (b) => b.map((x) => x.textContent));
    assert(marks.length > 0, 'no highlighted words in the snippet');
    const info = await page.textContent('#results .result:first-child .info');
    assert(info.includes('512/QĐ-UBND') && info.includes('2021'), `number/date missing: ${info}`);
    if (shots) await page.screenshot({ path: join(shots, 'search-desktop.png'), fullPage: false });
  });

  await step('a shared /?q= link opens that search', async () => {
    await page.goto(base + '/?q=' + encodeURIComponent('chữ ký số'));
    await page.waitForFunction(() => [...document.querySelectorAll('#results .result .title')]
      .some((t) => t.textContent.includes('1502/STTTT')));
    assert((await page.inputValue('#q')) === 'chữ ký số', 'the query box does not show the query');
    assert(await page.evaluate(() => location.hash.includes('q=') && location.search === ''),
      'the query did not move into the hash');
  });

  await step('a query of symbols only says it has no searchable words', async () => {
    await page.fill('#q', '/////');
    await page.click('#go');
    await page.waitForFunction(() => document.querySelector('#summary')?.textContent.includes('không có từ nào'));
    assert((await page.$$('#results .result')).length === 0, 'results shown for a query of symbols');
  });

  await step('filter by a facet (type: Công văn)', async () => {
    await page.fill('#q', '');
    await page.click('#go');
    await page.waitForSelector('#facets a.facet[data-facet="type"]');
    const before = await page.$$eval('#results .result', (r) => r.length);
    await page.click('#facets a.facet[data-facet="type"][data-value="Công văn"]');
    await page.waitForFunction(() => location.hash.includes('type='));
    await page.waitForFunction(() => document.querySelectorAll('#results .result').length === 1);
    const tag = await page.textContent('#results .result .tag');
    assert(tag === 'Công văn', `wrong type ${tag}`);
    assert(before > 1, 'the unfiltered list had one result only');
    assert((await page.textContent('#chips')).includes('Công văn'), 'no filter chip');
    assert(await page.isVisible('#facets a.facet.on'), 'active facet not marked');
  });

  let docName = '';
  await step('open a document: metadata and full text', async () => {
    await page.click('#results .result .title');
    await page.waitForSelector('#doc-view:not([hidden])');
    await page.waitForFunction(() => document.querySelector('#doc-text').textContent.length > 100);
    const meta = await page.textContent('#doc-meta');
    assert(meta.includes('1502/STTTT-BCVT'), `number not shown: ${meta.slice(0, 200)}`);
    assert((await page.textContent('#doc-title')).includes('Công văn'), 'title missing');
    docName = (await page.getAttribute('#download', 'download')) || '';
  });

  await step('download the original: file name and bytes', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const path = await dl.path();
    const name = dl.suggestedFilename();
    assert(name === 'cv-1502-stttt-2021.txt', `suggested name ${name}`);
    assert(docName === name, `download attribute ${docName}`);
    const want = readFileSync(join(archive, 'van-ban-den', name));
    const got = readFileSync(path);
    assert(Buffer.compare(want, got) === 0, 'downloaded bytes differ from the original');
  });

  await step('back to the filtered results', async () => {
    await page.click('#back');
    await page.waitForSelector('#list-view:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#results .result').length === 1);
  });

  await step('English switch', async () => {
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#go').textContent === 'Search');
    assert((await page.getAttribute('html', 'lang')) === 'en', 'html lang is not en');
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#go').textContent === 'Tìm kiếm');
  });

  await step('a bad query shows the server\'s error', async () => {
    await page.fill('#q', '(chữ');
    await page.click('#go');
    await page.waitForSelector('#error:not([hidden])');
    assert((await page.textContent('#error')).includes('parenthesis'), 'error text missing');
  });

  await step('a misspelt query offers a correction that searches', async () => {
    await page.goto(base + '/#q=chuyen+doi+soo+quyet+dihn');
    await page.waitForSelector('#suggestion');
    assert((await page.textContent('#suggestion')) === 'chuyen doi so quyet dinh', 'suggestion text');
    await page.click('#suggestion');
    await page.waitForSelector('#results .result');
  });

  await step('usable at phone width (no horizontal scrolling)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/#q=chu+ky+so');
    await page.waitForSelector('#results .result');
    const top = await page.$eval('#results .result', (r) => r.getBoundingClientRect().top);
    assert(top < 844, `the first result starts below the screen (${top}px)`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `page is ${overflow}px wider than the screen`);
    if (shots) await page.screenshot({ path: join(shots, 'search-phone.png'), fullPage: false });
  });

  await step('no script errors', async () => {
    assert(errors.length === 0, errors.join('; '));
  });
} catch (e) {
  failed++;
  console.log(`not ok ${++n} - the browser runs`);
  console.log(`# ${String(e && e.stack || e).split('\n').slice(0, 4).join('\n# ')}`);
} finally {
  if (ctx) await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(downloads, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
