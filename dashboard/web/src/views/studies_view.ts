// studies_view.ts: the studies list (#/): one row per study with its state, progress, best value,
// sampler, start time and trials per state; rebuilt on every poll.

import { h, num, setChildren, setReady } from '../dom';
import { formatTime, objectiveLabel } from '../format';
import { studyHref } from '../router';
import { TRIAL_STATES, type StudiesResponse, type StudySummary, type TrialState } from '../types';
import { progressBar } from './progress_bar';
import type { View } from './view';

// The column heads of the per-state counts (full names in their tooltips).
const STATE_ABBREVIATIONS: Record<TrialState, string> = { RUNNING: 'run', COMPLETE: 'done', PRUNED: 'pruned', FAIL: 'fail', WAITING: 'wait' };

export class StudiesView implements View {
  readonly el: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;

  constructor() {
    this.tbody = h('tbody');
    this.table = h(
      'table',
      { class: 'grid studies', 'data-testid': 'studies-table', 'data-ready': '0' },
      h(
        'thead',
        {},
        h('tr', {}, ['study', 'state', 'progress', 'best', 'objectives', 'sampler', 'started'].map((c) => h('th', {}, c)),
          h('th', { class: 'counts' }, TRIAL_STATES.map((st) => h('span', { class: `count state-text-${st}`, title: `${st} trials` }, STATE_ABBREVIATIONS[st])))),
      ),
      this.tbody,
    );
    this.el = h('section', { class: 'view' }, h('h1', {}, 'Studies'), h('div', { class: 'table-wrap' }, this.table));
  }

  update(r: StudiesResponse): void {
    const rows = [...r.studies].sort((a, b) => (b.datetime_last_us ?? 0) - (a.datetime_last_us ?? 0) || a.name.localeCompare(b.name));
    setChildren(this.tbody, rows.length ? rows.map(studyRow) : h('tr', {}, h('td', { colspan: 8, class: 'message' }, 'No studies yet: create one with `nasq create`.')));
    setReady(this.table, true);
  }

  show(): boolean {
    return false;
  }

  dispose(): void {}
}

function studyRow(s: StudySummary): HTMLElement {
  const best = s.best?.values[0];
  return h(
    'tr',
    { 'data-testid': 'study-row', 'data-study': s.name },
    h('td', {}, h('a', { href: studyHref(s.name), 'data-testid': 'study-link' }, s.name)),
    h('td', {}, h('span', { class: `badge study-${s.state}`, 'data-testid': 'study-state' }, s.state)),
    h('td', {}, progressBar('study-progress', s)),
    h('td', { class: 'num' }, best === undefined ? h('span', { 'data-testid': 'study-best' }, '-') : num('study-best', best)),
    h('td', { class: 'wrap' }, s.objectives.map(objectiveLabel).join(', ')),
    h('td', { 'data-testid': 'study-sampler' }, s.sampler),
    h('td', {}, formatTime(s.datetime_start_us)),
    h('td', { class: 'counts' }, TRIAL_STATES.map((st) => h('span', { class: `count state-text-${st}`, title: st }, num(`study-count-${st}`, s.counts[st] ?? 0)))),
  );
}
