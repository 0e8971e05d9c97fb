// view_checks.mjs: the dashboard's views checked against the seeded studies' expectations
// (tests/python/dashboard_seed.py writes them; the data-testid hooks are the page's contract
// with these tests). Each function drives a GuardedPage (browser_session.mjs), fails with a
// CheckError naming the view and the number that differs, checks the page stayed clean and
// saves a screenshot of every view it visits. It returns the screenshots' paths.

import {
  expectAttribute, expectCount, expectValue, fail, waitReady, waitUntil,
} from './browser_session.mjs';

export const STATES = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'];

const byTestId = (id) => `[data-testid="${id}"]`;

// The numbers of the study-list row or study header `scope` against `study`'s expectations;
// `prefix` is "study-" in the list and "" in the header.
async function checkCounts(scope, study, prefix, what) {
  for (const state of STATES) {
    await expectValue(scope.locator(byTestId(`${prefix}count-${state}`)), study.counts[state], `${what}: ${state} count`);
  }
  const progress = prefix ? 'study-progress' : 'progress-done';
  await expectValue(scope.locator(byTestId(progress)), study.progress_done, `${what}: COMPLETE + PRUNED`);
  await expectValue(scope.locator(byTestId(prefix ? 'study-best' : 'best-value')), study.best_value, `${what}: best value`);
}

// #/: one row per study with its state, counts, progress and best value; its link opens it.
export async function checkStudiesList(gp, studies) {
  const { page } = gp;
  await gp.load('#/');
  await waitReady(page, byTestId('studies-table'), 'studies list');
  await expectCount(page.locator(byTestId('study-row')), studies.length, 'studies list: rows');
  for (const study of studies) {
    const row = page.locator(`${byTestId('study-row')}[data-study="${study.name}"]`);
    await checkCounts(row, study, 'study-', `studies list, ${study.name}`);
    await waitUntil(() => row.locator(byTestId('study-state')).innerText(), (t) => t === study.state, `studies list, ${study.name}: state ${study.state}`);
  }
  const shot = await gp.screenshot('studies');
  await gp.checkClean('studies list');
  await page.locator(`${byTestId('study-row')}[data-study="${studies[0].name}"] ${byTestId('study-link')}`).click();
  await waitUntil(() => page.evaluate(() => location.hash), (h) => h.startsWith(`#/studies/${studies[0].name}`), 'study link: route');
  await waitReady(page, byTestId('view-history'), `study ${studies[0].name} opened from the list`);
  await gp.checkClean('study opened from the list');
  return [shot];
}

// The `data-points` (and `extra` attributes) of every chart of a tab.
async function checkCharts(page, tab, study, extra = {}) {
  const charts = page.locator(byTestId(`chart-${tab}`));
  await waitUntil(() => charts.count(), (n) => n > 0, `${study.name} ${tab}: charts`);
  for (let i = 0; i < await charts.count(); i++) {
    const what = `${study.name} ${tab}: chart ${i}`;
    await expectAttribute(charts.nth(i), 'data-points', (v) => Number(v) === study.n_complete, `${what}: points (expected ${study.n_complete} COMPLETE trials)`);
    for (const [attribute, expected] of Object.entries(extra)) {
      await expectAttribute(charts.nth(i), attribute, (v) => Number(v) === expected, `${what}: expected ${expected}`);
    }
  }
}

// The chart-specific checks of each tab but trials.
const TAB_CHECKS = {
  history: (page, study) => checkCharts(page, 'history', study),
  parallel: (page, study) => checkCharts(page, 'parallel', study),
  pareto: (page, study) => checkCharts(page, 'pareto', study, { 'data-front': study.n_best }),
  async slice(page, study) {
    const charts = page.locator(byTestId('chart-slice'));
    await expectCount(charts, study.params.length, `${study.name} slice: one chart per param`);
    const params = await charts.evaluateAll((els) => els.map((e) => e.dataset.param).sort());
    if (JSON.stringify(params) !== JSON.stringify(study.params)) fail(`${study.name} slice: params ${params}, expected ${study.params}`);
    await checkCharts(page, 'slice', study);
  },
  async intermediate(page, study) {
    const chart = page.locator(byTestId('chart-intermediate'));
    await expectAttribute(chart, 'data-curves', (v) => Number(v) === study.curves, `${study.name} intermediate: curves, expected ${study.curves}`);
    await expectAttribute(chart, 'data-pruned', (v) => Number(v) === study.pruned_curves, `${study.name} intermediate: PRUNED curves, expected ${study.pruned_curves}`);
  },
  // One column per COMPLETE trial, one row per layer the /precision route lists, in its order.
  async precision(page, study) {
    await checkCharts(page, 'precision', study);
    const layers = study.precision.layers.join(',');
    await expectAttribute(page.locator(byTestId('chart-precision')), 'data-layers', (v) => v === layers, `${study.name} precision: layers, expected ${layers}`);
  },
  async importance(page, study) {
    await checkCharts(page, 'importance', study);
    const order = await expectAttribute(page.locator(byTestId('chart-importance')), 'data-order', (v) => typeof v === 'string' && v.length > 0, `${study.name} importance: order`);
    const params = order.split(',');
    if (JSON.stringify([...params].sort()) !== JSON.stringify(study.params)) fail(`${study.name} importance: params ${order}, expected ${study.params}`);
    if (study.importance_first && params[0] !== study.importance_first) fail(`${study.name} importance: ${params[0]} ranked first, expected ${study.importance_first} (the objective depends on it alone)`);
  },
};

// Reads the first trial row's number once the table is ready.
async function firstRow(page) {
  return page.evaluate(() => {
    const table = document.querySelector('[data-testid="trials-table"]');
    if (!table || table.dataset.ready !== '1') return null;
    const row = table.querySelector('[data-testid="trial-row"]');
    return row ? Number(row.dataset.number) : null;
  });
}

async function expectTotal(page, expected, what) {
  await waitReady(page, byTestId('trials-table'), what);
  await expectValue(page.locator(byTestId('trials-total')), expected, `${what}: trials total`);
}

// The trials tab: total and first page; for studies with sort and filter expectations, sorting
// by value both ways and the text and state filters.
async function checkTrialsTab(gp, study) {
  const { page } = gp;
  await expectTotal(page, study.total, `${study.name} trials`);
  const limit = Number(await page.locator(byTestId('trials-table')).getAttribute('data-limit'));
  await expectCount(page.locator(byTestId('trial-row')), Math.min(limit, study.total), `${study.name} trials: rows of the first page (limit ${limit})`);
  if (!study.sort_value_first) return;
  const firsts = [];
  for (let click = 0; click < 2; click++) {
    await page.locator(byTestId('sort-value')).click();
    firsts.push(await waitUntil(() => firstRow(page), (n) => study.sort_value_first.includes(n) && !firsts.includes(n),
      `${study.name} trials sorted by value (click ${click + 1}): first row, expected one of ${study.sort_value_first} not yet seen ${firsts}`));
  }
  const filter = page.locator(byTestId('trials-filter'));
  await filter.fill(study.filter.text);
  await filter.press('Enter');
  await expectTotal(page, study.filter.total, `${study.name} trials filtered by "${study.filter.text}"`);
  await filter.fill('');
  await filter.press('Enter');
  await expectTotal(page, study.total, `${study.name} trials with the filter cleared`);
  await page.locator(byTestId('state-filter')).selectOption(study.state_filter.state);
  await expectTotal(page, study.state_filter.total, `${study.name} trials of state ${study.state_filter.state}`);
}

// #/studies/<name>: the header's numbers, the tabs it must and must not show, and each tab
// (clicked): its panel, its charts' numbers, the trials table (checkTrialsTab).
export async function checkStudyPage(gp, study) {
  const { page } = gp;
  const shots = [];
  await gp.load(`#/studies/${study.name}`);
  const header = page.locator(`${byTestId('study-header')}[data-study="${study.name}"]`);
  await checkCounts(header, study, '', `study ${study.name} header`);
  await expectValue(header.locator(byTestId('n-best')), study.n_best, `study ${study.name} header: best trials`);
  await expectAttribute(header.locator(byTestId('study-elapsed')), 'data-value', (v) => Number(v) >= 0, `study ${study.name} header: elapsed seconds`);
  await waitReady(page, byTestId('view-history'), `study ${study.name}: default tab history`);
  for (const tab of study.tabs) await expectCount(page.locator(byTestId(`tab-${tab}`)), 1, `study ${study.name}: tab ${tab}`);
  for (const tab of study.absent_tabs) await expectCount(page.locator(byTestId(`tab-${tab}`)), 0, `study ${study.name}: no tab ${tab}`);
  for (const tab of study.tabs) {
    await page.locator(byTestId(`tab-${tab}`)).click();
    await waitReady(page, byTestId(`view-${tab}`), `study ${study.name}: tab ${tab}`);
    if (tab === 'trials') await checkTrialsTab(gp, study);
    else await TAB_CHECKS[tab](page, study);
    shots.push(await gp.screenshot(`study-${study.name}-${tab}`));
    await gp.checkClean(`study ${study.name}, tab ${tab}`);
  }
  return shots;
}

// The trials tab's row `number` opens its trial page, which shows its state, first value,
// params and `attempts` attempts (null: not checked); `worker`: the id of the worker that holds
// it, which its worker table and first attempt name.
export async function checkTrialPage(gp, study, trial) {
  const { page } = gp;
  await gp.load(`#/studies/${study.name}/trials`);
  await waitReady(page, byTestId('trials-table'), `${study.name} trials`);
  await page.locator(`${byTestId('trial-row')}[data-number="${trial.number}"]`).click();
  const what = `trial ${trial.number} of ${study.name}`;
  const detail = await waitReady(page, `${byTestId('trial-detail')}[data-number="${trial.number}"]`, what);
  await waitUntil(() => detail.locator(byTestId('trial-state')).innerText(), (t) => t === trial.state, `${what}: state ${trial.state}`);
  await expectValue(detail.locator(byTestId('trial-value-0')), trial.value, `${what}: value`);
  await expectCount(detail.locator(`${byTestId('trial-params')} [data-param]`), study.params.length, `${what}: params`);
  if (trial.worker) await waitUntil(() => detail.locator(byTestId('trial-worker')).innerText(), (t) => t.includes(trial.worker), `${what}: worker ${trial.worker}`);
  if (trial.attempts !== null) {
    const rows = detail.locator(byTestId('attempt-row'));
    await expectCount(rows, trial.attempts, `${what}: attempts`);
    if (trial.worker) await waitUntil(() => rows.first().innerText(), (t) => t.includes(trial.worker), `${what}: attempt held by ${trial.worker}`);
  }
  if (trial.steps) await expectAttribute(detail.locator(byTestId('chart-trial-intermediate')), 'data-points', (v) => Number(v) === trial.steps, `${what}: intermediate values, expected ${trial.steps}`);
  const shot = await gp.screenshot(`trial-${study.name}-${trial.number}`);
  await gp.checkClean(what);
  return [shot];
}

// #/workers: the worker `worker` holds exactly the trials `running` of `study` (its running
// cell names each as "study/number", and no other of that study) and its heartbeat age is a
// number.
export async function checkWorkers(gp, worker, study, running) {
  const { page } = gp;
  await gp.load('#/workers');
  await waitReady(page, byTestId('workers-table'), 'workers page');
  const row = page.locator(`${byTestId('worker-row')}[data-worker="${worker}"]`);
  await expectCount(row, 1, `workers page: row of ${worker}`);
  const names = running.map((n) => `${study}/${n}`);
  const lists = (t) => names.every((n) => new RegExp(`${n}(?!\\d)`).test(t)) && t.split(`${study}/`).length - 1 === names.length;
  await waitUntil(() => row.locator(byTestId('worker-running')).innerText(), lists, `workers page: ${worker} runs ${names.join(', ')}`);
  await expectAttribute(row.locator(byTestId('worker-heartbeat-age')), 'data-value', (v) => v !== null && Number(v) >= 0, `workers page: heartbeat age of ${worker}`);
  const shot = await gp.screenshot('workers');
  await gp.checkClean('workers page');
  return [shot];
}
