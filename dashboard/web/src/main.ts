// main.ts: the page's entry point: the frame (navigation, live indicator, error banner, token
// form), the router that swaps views on hash changes, and the poll that feeds the shown view.

import { onUnauthorized } from './api';
import { bannerEl, clearViewErrors } from './banner';
import { h, setChildren } from './dom';
import { formatTime } from './format';
import { Poller } from './poller';
import { type Route, parseRoute } from './router';
import { tokenForm } from './token_form';
import type { StudiesResponse } from './types';
import { StudiesView } from './views/studies_view';
import { StudyView } from './views/study_view';
import { TrialView } from './views/trial_view';
import type { View } from './views/view';
import { WorkersView } from './views/workers_view';

const live = h('span', { class: 'live', 'data-testid': 'live-indicator', title: 'polls the server every second' }, 'connecting…');
const navStudies = h('a', { href: '#/', 'data-testid': 'nav-studies' }, 'Studies');
const navWorkers = h('a', { href: '#/workers', 'data-testid': 'nav-workers' }, 'Workers');
const main = h('main');
let view: View | null = null;

const poller = new Poller((r: StudiesResponse) => {
  live.setAttribute('data-last-poll-us', String(r.now_us));
  live.textContent = `live · ${formatTime(r.now_us).slice(11)}`;
  view?.update(r);
});
const form = tokenForm(() => void poller.pollNow());
onUnauthorized(() => { form.hidden = false; });

function makeView(route: Route): View | null {
  switch (route.kind) {
    case 'studies': return new StudiesView();
    case 'workers': return new WorkersView();
    case 'study': return new StudyView(route.name, route.tab, () => void poller.pollNow());
    case 'trial': return new TrialView(route.name, route.number);
    case 'unknown': return null;
  }
}

function route(): void {
  const r = parseRoute(location.hash);
  navStudies.classList.toggle('active', r.kind !== 'workers');
  navWorkers.classList.toggle('active', r.kind === 'workers');
  if (view?.show(r)) return;
  view?.dispose();
  clearViewErrors();
  view = makeView(r);
  setChildren(main, view ? view.el : h('p', { class: 'message' }, `No page at ${location.hash}.`));
  if (view && poller.latest) view.update(poller.latest);
}

document.body.append(
  h('div', { 'data-testid': 'app', class: 'app' },
    h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '#/' }, 'nasq'), h('nav', {}, navStudies, navWorkers), live),
    bannerEl,
    form,
    main),
);
window.addEventListener('hashchange', route);
route();
poller.start();
