// run_dashboard_checks.mjs MANIFEST.json: the dashboard's browser acceptance checks, run by
// tests/python/test_dashboard_browser.py against the server and studies it seeded (the
// manifest: base_url, chromium, node_modules, screenshots, studies, big, live_study and the
// two timing budgets).
//
// In order: the studies list; every tab of every study page; a trial page with intermediate
// values and the page of the trial a Python worker holds; the workers page (that worker); live
// updates (trials leased by `nasq ask` completed with the list and the study page open); the
// 10,000-trial study's timings. Exits 0 when every check passed, 1 with "FAILED: <what>" (and a
// screenshot failure.png) on the first that did not (a check, or an element Playwright waited
// for in vain), 2 when the harness itself broke. Prints the timings and the screenshots saved.

import { readFileSync } from 'node:fs';
import { CheckError, GuardedPage, launchBrowser } from './browser_session.mjs';
import { timeBigStudy } from './big_study_timing.mjs';
import { checkLiveUpdates } from './live_checks.mjs';
import { checkStudiesList, checkStudyPage, checkTrialPage, checkWorkers } from './view_checks.mjs';

const manifest = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const live = manifest.studies.find((s) => s.name === manifest.live_study);
const single = manifest.studies.find((s) => s.trial);
const started = Date.now();
const shots = [];
let gp = null;
const browser = await launchBrowser(manifest);
try {
  gp = await GuardedPage.open(browser, manifest);
  shots.push(...await checkStudiesList(gp, [...manifest.studies, manifest.big]));
  for (const study of manifest.studies) shots.push(...await checkStudyPage(gp, study));
  shots.push(...await checkTrialPage(gp, single, single.trial));
  const { worker } = live;
  shots.push(...await checkTrialPage(gp, live, { number: worker.number, state: 'RUNNING', value: null, attempts: 1, worker: worker.id }));
  shots.push(...await checkWorkers(gp, worker.id, live.name, [worker.number]));
  const updates = await checkLiveUpdates(gp, live);
  console.log(`live updates: studies list showed the told trial after ${updates.listMs} ms, the study page after ${updates.pageMs} ms (no reload)`);
  const big = await timeBigStudy(browser, manifest);
  shots.push(...big.shots);
  console.log(`requests: ${gp.requests.length} by the main page, every one to ${new URL(manifest.base_url).host}`);
  console.log(`screenshots (${shots.length}, 1280x800): ${shots.map((s) => s.split('/').pop()).join(' ')}`);
  console.log(`all dashboard checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  if (gp) {
    await gp.screenshot('failure').catch(() => {});
    const problems = await gp.takeProblems().catch(() => []);
    if (problems.length) console.error(`the page's problems before it failed:\n  ${problems.join('\n  ')}`);
  }
  if (!(e instanceof CheckError) && e.name !== 'TimeoutError') {
    console.error(`HARNESS ERROR: ${e.stack}`);
    process.exitCode = 2;
  } else {
    console.error(`FAILED: ${e.message}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
