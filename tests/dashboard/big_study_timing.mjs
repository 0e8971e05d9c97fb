// big_study_timing.mjs: how fast the study page of a large study (the manifest's `big`, 10,000
// trials) becomes usable, measured in the browser with performance.now() (milliseconds since
// the navigation started).
//
// interactive: a first visit (fresh browser context, nothing cached) of #/studies/<big>/trials,
//   from navigation start until the header shows the COMPLETE count, the trials table shows its
//   first page and a click on page-next was answered (the second page's rows shown).
// paging: each further page-next click until the next page's first row is in the DOM.
// A MutationObserver installed before the page's scripts run (addInitScript) takes the times,
// so no round trip to the test process is counted.

import { GuardedPage, fail } from './browser_session.mjs';

const PAGE_CLICKS = 8;

// Runs in the page before its scripts: records `rendered` (header and first page shown) and
// `answered` (page-next clicked then, the second page shown) in window.__nasqTiming.
function watchFirstVisit({ complete }) {
  const timing = (window.__nasqTiming = {});
  const table = () => document.querySelector('[data-testid="trials-table"][data-ready="1"]');
  const firstRow = () => Number(table()?.querySelector('[data-testid="trial-row"]')?.dataset.number ?? -1);
  const check = () => {
    const header = document.querySelector('[data-testid="study-header"] [data-testid="count-COMPLETE"]');
    if (timing.rendered === undefined) {
      if (header?.dataset.value === String(complete) && table() && firstRow() === 0) {
        timing.rendered = performance.now();
        timing.limit = Number(table().dataset.limit);
        document.querySelector('[data-testid="page-next"]').click();
      }
    } else if (timing.answered === undefined && table() && firstRow() === timing.limit) {
      timing.answered = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
}

// Clicks page-next `clicks` times in the page, each once the previous page is shown; returns
// each click's milliseconds until the next page's first row is in the DOM.
function pageThrough({ clicks, limit }) {
  const table = () => document.querySelector('[data-testid="trials-table"][data-ready="1"]');
  const firstRow = () => Number(table()?.querySelector('[data-testid="trial-row"]')?.dataset.number ?? -1);
  const shown = (number) => new Promise((resolve) => {
    if (firstRow() === number) return resolve();
    const observer = new MutationObserver(() => {
      if (firstRow() === number) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true });
  });
  return (async () => {
    const times = [];
    let offset = Number(table().dataset.offset);
    for (let k = 0; k < clicks; k++) {
      const started = performance.now();
      document.querySelector('[data-testid="page-next"]').click();
      offset += limit;
      await shown(offset);
      times.push(performance.now() - started);
    }
    return times;
  })();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Measures and asserts both budgets (manifest.interactive_budget_ms, manifest.page_budget_ms
// for the median click; every click is printed); returns the timings and the screenshot.
export async function timeBigStudy(browser, manifest) {
  const big = manifest.big;
  const gp = await GuardedPage.open(browser, manifest);
  try {
    await gp.context.addInitScript(watchFirstVisit, { complete: big.counts.COMPLETE });
    await gp.load(`#/studies/${big.name}/trials`);
    await gp.page.waitForFunction(() => window.__nasqTiming.answered !== undefined, null, { timeout: 30000 })
      .catch(async () => fail(`big study: never interactive; timing so far ${JSON.stringify(await gp.page.evaluate(() => window.__nasqTiming))}`));
    const first = await gp.page.evaluate(() => window.__nasqTiming);
    const pages = await gp.page.evaluate(pageThrough, { clicks: PAGE_CLICKS, limit: first.limit });
    const shot = await gp.screenshot(`study-${big.name}-trials`);
    await gp.checkClean(`big study ${big.name}`);
    const result = {
      trials: big.total, rendered_ms: first.rendered, interactive_ms: first.answered,
      page_ms: pages, page_median_ms: median(pages), page_max_ms: Math.max(...pages),
    };
    console.log(`big study (${big.total} trials): header + first page rendered ${first.rendered.toFixed(1)} ms, ` +
      `interactive (page-next answered) ${first.answered.toFixed(1)} ms after navigation start (budget ${manifest.interactive_budget_ms} ms)`);
    console.log(`big study: page-next to next rows, ${PAGE_CLICKS} clicks: ${pages.map((t) => t.toFixed(1)).join(', ')} ms; ` +
      `median ${result.page_median_ms.toFixed(1)} ms, max ${result.page_max_ms.toFixed(1)} ms (budget ${manifest.page_budget_ms} ms for the median)`);
    if (first.answered > manifest.interactive_budget_ms) fail(`big study: interactive after ${first.answered.toFixed(1)} ms, budget ${manifest.interactive_budget_ms} ms`);
    if (result.page_median_ms > manifest.page_budget_ms) fail(`big study: page-next takes ${result.page_median_ms.toFixed(1)} ms (median), budget ${manifest.page_budget_ms} ms`);
    return { result, shots: [shot] };
  } finally {
    await gp.close();
  }
}
