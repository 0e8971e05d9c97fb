// browser_session.mjs: headless Chromium for the dashboard's browser tests, and the checks every
// view shares.
//
// launchBrowser(manifest) starts manifest.chromium through playwright-core, loaded from
// manifest.node_modules (dashboard/web's devDependency). GuardedPage is one 1280x800 page that
// records every request, console message, page error and failed response: checkClean(view)
// fails when any request left localhost, when the console printed an error or a warning, when
// a script threw, a request failed or answered >= 400, or when the page shows its error banner.
// The wait helpers fail with a CheckError naming what they waited for and what the page showed.
// Not thread-safe (one test drives one page at a time).

import { createRequire } from 'node:module';
import path from 'node:path';

export const WAIT_MS = 15000;

// A failed check: the message says what was expected and what the page showed.
export class CheckError extends Error {}

export function fail(message) {
  throw new CheckError(message);
}

export async function launchBrowser(manifest) {
  const require = createRequire(path.join(manifest.node_modules, '..', 'package.json'));
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: manifest.chromium, headless: true });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const NETWORKLESS = new Set(['data:', 'blob:', 'about:']);

// True when loading `url` stays on this machine.
function isLocal(url) {
  const u = new URL(url);
  return NETWORKLESS.has(u.protocol) || LOCAL_HOSTS.has(u.hostname);
}

export class GuardedPage {
  constructor(context, page, manifest) {
    this.context = context;
    this.page = page;
    this.manifest = manifest;
    this.requests = [];   // every URL requested, in order
    this.problems = [];   // what checkClean reports and clears
    context.on('request', (r) => {
      this.requests.push(r.url());
      if (!isLocal(r.url())) this.problems.push(`request leaving localhost: ${r.method()} ${r.url()}`);
    });
    context.on('requestfailed', (r) => this.problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    context.on('response', (r) => {
      if (r.status() >= 400) this.problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        const where = m.location();
        this.problems.push(`console ${m.type()}: ${m.text()} (${where.url}:${where.lineNumber})`);
      }
    });
    page.on('pageerror', (e) => this.problems.push(`uncaught exception: ${e.message}`));
  }

  static async open(browser, manifest) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    return new GuardedPage(context, await context.newPage(), manifest);
  }

  // Goes to the page's route `hash` (e.g. "#/workers"): a full load the first time, a change of
  // the fragment after (which the page's router follows, as a click on a link would).
  async load(hash) {
    await this.page.goto(this.manifest.base_url + hash, { waitUntil: 'load' });
  }

  // What went wrong on the page since the last check (see the file comment); clears the list.
  async takeProblems() {
    const banner = this.page.locator('[data-testid=error-banner]');
    if (await banner.isVisible()) this.problems.push(`error banner shown: ${await banner.innerText()}`);
    return this.problems.splice(0);
  }

  // Fails when anything went wrong on the page since the last check.
  async checkClean(view) {
    const problems = await this.takeProblems();
    if (problems.length) fail(`${view}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }

  // Saves the viewport as <screenshots>/<name>.png and returns its path.
  async screenshot(name) {
    const file = path.join(this.manifest.screenshots, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close() {
    await this.context.close();
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `read` (async, returns the value shown) until `ok(value)` holds; fails after WAIT_MS
// with `what` and the last value read.
export async function waitUntil(read, ok, what) {
  const deadline = Date.now() + WAIT_MS;
  let last;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (e) {
      last = `(not readable: ${e.message.split('\n')[0]})`;
    }
    if (Date.now() > deadline) fail(`${what}: page shows ${JSON.stringify(last)} after ${WAIT_MS} ms`);
    await sleep(50);
  }
}

// The data-value of the one element `locator` finds, as a number (null when absent).
async function dataValue(locator) {
  const text = await locator.getAttribute('data-value', { timeout: 1000 });
  return text === null ? null : Number(text);
}

// Waits until `locator`'s data-value is `expected` (a number, or null for no data-value).
export async function expectValue(locator, expected, what) {
  await waitUntil(() => dataValue(locator), (v) => v === expected, `${what}: expected data-value ${expected}`);
}

// Waits until `locator` finds `expected` elements.
export async function expectCount(locator, expected, what) {
  await waitUntil(() => locator.count(), (n) => n === expected, `${what}: expected ${expected} element(s)`);
}

// Waits until `attribute` of the one element `locator` finds satisfies `ok`; returns it.
export async function expectAttribute(locator, attribute, ok, what) {
  return waitUntil(() => locator.getAttribute(attribute, { timeout: 1000 }), ok, `${what} (${attribute})`);
}

// Waits until `selector` is on the page with data-ready="1"; returns its locator.
export async function waitReady(page, selector, what) {
  const ready = page.locator(`${selector}[data-ready="1"]`);
  try {
    await ready.waitFor({ state: 'attached', timeout: WAIT_MS });
  } catch {
    const found = await page.locator(selector).count();
    fail(`${what}: ${selector} not ready (data-ready="1") within ${WAIT_MS} ms (${found} such element(s); URL ${page.url()})`);
  }
  return ready;
}
