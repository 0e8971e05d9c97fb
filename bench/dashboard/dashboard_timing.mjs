// dashboard_timing.mjs: times dashboards' first loads in headless Chromium (bench/dashboard;
// dashboard_bench.py writes the manifest and prints the table).
//
// Usage: node dashboard_timing.mjs MANIFEST.json
// The manifest names chromium, node_modules (holding playwright-core), reps, timeout_ms,
// profiles (a folder for the fresh --user-data-dirs) and targets, each with
//   name; table_url and row (CSS selector of a trial row of the table or list); next (CSS
//   selector of the next-page button, null when the dashboard has none); history_url and
//   history (CSS selector that matches once the history plot is drawn).
// For each repetition and target it starts a fresh Chromium (new user data dir, nothing cached)
// and measures, with performance.now() in the page (milliseconds since navigation start, taken
// by a MutationObserver installed before the page's scripts run):
//   rows_ms: table_url loaded until the first `row` is in the DOM; rows_bytes: bytes
//     transferred by then (the navigation's and every finished resource's transferSize:
//     headers and encoded bodies); next_ms: 1 s later, a click on `next` until the first row
//     shows other text;
//   history_ms: in another fresh Chromium, history_url loaded until `history` matches.
// A figure that takes longer than timeout_ms is null. Every request that leaves localhost is
// recorded. Progress goes to stderr; stdout's last line is the JSON {target: [per rep]}.
// Exits non-zero when the browser cannot start.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SETTLE_MS = 1000;

const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(manifest.node_modules, '..', 'package.json'));
const { chromium } = require('playwright-core');

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const NETWORKLESS = new Set(['data:', 'blob:', 'about:']);
const isLocal = (url) => { const u = new URL(url); return NETWORKLESS.has(u.protocol) || LOCAL_HOSTS.has(u.hostname); };

// Runs in the page before its scripts: window.__bench[key] = performance.now() when `selector`
// first matches, and window.__bench.bytes the bytes transferred until then.
function watch({ key, selector }) {
  const bench = (window.__bench = {});
  const transferred = () => performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .reduce((sum, e) => sum + e.transferSize, 0);
  const observer = new MutationObserver(() => {
    if (bench[key] === undefined && document.querySelector(selector)) {
      bench[key] = performance.now();
      bench.bytes = transferred();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true });
}

// Runs in the page: clicks `next`, resolves with the milliseconds until the first `row`'s
// (or its table row's) text changed, or null after timeoutMs.
function clickNext({ row, next, timeoutMs }) {
  const firstRowText = () => { const r = document.querySelector(row); return r ? (r.closest('tr') ?? r).textContent : null; };
  const before = firstRowText();
  return new Promise((resolve) => {
    const started = performance.now();
    const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, timeoutMs);
    const observer = new MutationObserver(() => {
      const now = firstRowText();
      if (now !== null && now !== before) {
        clearTimeout(timer);
        observer.disconnect();
        resolve(performance.now() - started);
      }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    document.querySelector(next).click();
  });
}

let profileCount = 0;
const outside = {};

// A fresh Chromium on a new user data dir; its requests leaving localhost go to outside[name].
async function freshBrowser(name) {
  const dir = path.join(manifest.profiles, `profile-${profileCount++}`);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: manifest.chromium, headless: true, args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  context.on('request', (r) => { if (!isLocal(r.url())) outside[name].push(r.url()); });
  return { context, page: context.pages()[0] ?? await context.newPage(), dir };
}

async function closeBrowser({ context, dir }) {
  await context.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

// Loads `url` in a fresh Chromium and waits until `selector` matches; returns the page's
// {key: ms, bytes} (key absent after timeout_ms) and the open browser.
async function firstLoad(name, url, key, selector) {
  const browser = await freshBrowser(name);
  await browser.page.addInitScript(watch, { key, selector });
  await browser.page.goto(url, { waitUntil: 'commit' });
  await browser.page.waitForFunction((k) => window.__bench?.[k] !== undefined, key,
    { timeout: manifest.timeout_ms, polling: 50 }).catch(() => {});
  return { browser, seen: await browser.page.evaluate(() => window.__bench ?? {}) };
}

async function measure(target) {
  const table = await firstLoad(target.name, target.table_url, 'rows', target.row);
  let nextMs = null;
  if (table.seen.rows !== undefined && target.next) {
    await table.browser.page.waitForTimeout(SETTLE_MS);
    nextMs = await table.browser.page.evaluate(clickNext,
      { row: target.row, next: target.next, timeoutMs: manifest.timeout_ms });
  }
  await closeBrowser(table.browser);
  const history = await firstLoad(target.name, target.history_url, 'history', target.history);
  await closeBrowser(history.browser);
  return {
    rows_ms: table.seen.rows ?? null, rows_bytes: table.seen.bytes ?? null,
    next_ms: target.next ? nextMs : 'none', history_ms: history.seen.history ?? null,
  };
}

const results = {};
for (const target of manifest.targets) {
  results[target.name] = [];
  outside[target.name] = [];
}
for (let rep = 0; rep < manifest.reps; rep++) {
  for (const target of manifest.targets) {
    const r = await measure(target);
    results[target.name].push(r);
    console.error(`rep ${rep + 1} ${target.name}: ${JSON.stringify(r)}`);
  }
}
for (const target of manifest.targets) {
  const urls = outside[target.name];
  console.error(`${target.name}: ${urls.length} request(s) left localhost` +
    (urls.length ? `: ${[...new Set(urls)].join(', ')}` : ''));
}
console.log(JSON.stringify(results));
