// live_checks.mjs: the dashboard follows a running study without being reloaded. Each check
// completes one leased trial with `nasq tell` (its argv from the manifest) while a view is
// open, and waits for that view to show the new counts and best value; a marker set in the
// page before the tell must still be there afterwards (a reload would clear it).

import { execFileSync } from 'node:child_process';
import { expectAttribute, expectValue, fail, waitReady } from './browser_session.mjs';
import { STATES } from './view_checks.mjs';

const byTestId = (id) => `[data-testid="${id}"]`;

// `study` after `trial` (a leased entry of the manifest) was told COMPLETE with its value.
function afterTell(study, trial) {
  const counts = { ...study.counts, RUNNING: study.counts.RUNNING - 1, COMPLETE: study.counts.COMPLETE + 1 };
  const better = study.best_value === null || trial.value < study.best_value;
  return {
    ...study, counts, progress_done: study.progress_done + 1, n_complete: study.n_complete + 1,
    best_value: better ? trial.value : study.best_value,
  };
}

// Runs trial's `nasq tell` with `scope` (the list row or the study header) open and waits for
// its numbers to move; returns the study as now expected and the milliseconds from the tell's
// return to the page showing every new number.
async function tellAndWait(gp, scope, study, trial, prefix, what) {
  const { page } = gp;
  const mark = `live-${Date.now()}`;
  await page.evaluate((m) => { window.__nasqLiveMark = m; }, mark);
  execFileSync(trial.tell_argv[0], trial.tell_argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  const told = Date.now();
  const next = afterTell(study, trial);
  for (const state of STATES) {
    await expectValue(scope.locator(byTestId(`${prefix}count-${state}`)), next.counts[state], `${what}: ${state} count after trial ${trial.number} completed`);
  }
  await expectValue(scope.locator(byTestId(prefix ? 'study-progress' : 'progress-done')), next.progress_done, `${what}: COMPLETE + PRUNED after the tell`);
  await expectValue(scope.locator(byTestId(prefix ? 'study-best' : 'best-value')), next.best_value, `${what}: best value after the tell`);
  const ms = Date.now() - told;
  if (await page.evaluate(() => window.__nasqLiveMark) !== mark) fail(`${what}: the page was reloaded to show the new trial`);
  await gp.checkClean(`${what} (live update)`);
  return { next, ms };
}

// Completes study.leased[0] with the studies list open and study.leased[1] with the study page
// open (whose history chart must then plot the new trial too). Returns the study as expected
// afterwards and the update latencies (ms) for the log.
export async function checkLiveUpdates(gp, study) {
  const { page } = gp;
  if (study.leased.length < 2) fail(`live checks: study ${study.name} needs 2 leased trials, has ${study.leased.length}`);
  await gp.load('#/');
  await waitReady(page, byTestId('studies-table'), 'studies list');
  const row = page.locator(`${byTestId('study-row')}[data-study="${study.name}"]`);
  await expectValue(row.locator(byTestId('study-count-RUNNING')), study.counts.RUNNING, `studies list, ${study.name}: RUNNING before the tell`);
  const list = await tellAndWait(gp, row, study, study.leased[0], 'study-', `studies list, ${study.name}`);

  await gp.load(`#/studies/${study.name}`);
  await waitReady(page, byTestId('view-history'), `study ${study.name}: history`);
  const header = page.locator(`${byTestId('study-header')}[data-study="${study.name}"]`);
  await expectValue(header.locator(byTestId('count-COMPLETE')), list.next.counts.COMPLETE, `study ${study.name} header: COMPLETE before the tell`);
  const onPage = await tellAndWait(gp, header, list.next, study.leased[1], '', `study ${study.name} header`);
  const points = onPage.next.n_complete;
  await expectAttribute(page.locator(byTestId('chart-history')).first(), 'data-points', (v) => Number(v) === points,
    `study ${study.name}: history chart after the tell, expected ${points} points`);
  return { study: onPage.next, listMs: list.ms, pageMs: onPage.ms };
}
