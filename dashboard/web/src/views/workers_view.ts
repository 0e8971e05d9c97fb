// workers_view.ts: the workers page (#/workers): every worker the server has seen, its labels,
// heartbeat age and the trials it holds; reread on every poll. A server without the route shows
// "not available".

import { ApiError, apiGet } from '../api';
import { reportError } from '../banner';
import { h, num, setChildren, setReady } from '../dom';
import { formatDuration, formatTime } from '../format';
import { trialHref } from '../router';
import type { WorkersResponse } from '../types';
import type { View } from './view';

export class WorkersView implements View {
  readonly el: HTMLElement;
  private readonly table = h('table', { class: 'grid', 'data-testid': 'workers-table', 'data-ready': '0' });
  private loading = false;
  private unavailable = false; // the server has no /api/v1/workers: not asked again
  private disposed = false;

  constructor() {
    this.el = h('section', { class: 'view' }, h('h1', {}, 'Workers'), h('div', { class: 'table-wrap' }, this.table));
  }

  update(): void {
    void this.load();
  }

  show(): boolean {
    return false;
  }

  dispose(): void {
    this.disposed = true;
  }

  private async load(): Promise<void> {
    if (this.loading || this.unavailable) return;
    this.loading = true;
    try {
      const r = await apiGet<WorkersResponse>('/api/v1/workers');
      reportError('workers', null);
      this.render(r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.unavailable = true;
        setChildren(this.table, h('tbody', {}, h('tr', {}, h('td', { class: 'message' }, 'Not available: this server does not report workers.'))));
      } else if (!this.disposed) {
        reportError('workers', e);
      }
    } finally {
      this.loading = false;
      setReady(this.table, true);
    }
  }

  private render(r: WorkersResponse): void {
    const rows = r.workers.map((w) =>
      h('tr', { 'data-testid': 'worker-row', 'data-worker': w.id },
        h('td', {}, w.id),
        h('td', {}, Object.entries(w.labels).map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`))),
        h('td', { class: 'num' }, num('worker-heartbeat-age', w.heartbeat_age_ms, formatDuration(w.heartbeat_age_ms))),
        h('td', { 'data-testid': 'worker-running' }, w.running.length
          ? w.running.map((t) => h('a', { href: trialHref(t.study, t.number), class: 'label' }, `${t.study}/${t.number}`))
          : 'idle'),
        h('td', {}, formatTime(w.first_seen_us)),
      ),
    );
    setChildren(this.table,
      h('thead', {}, h('tr', {}, ['worker', 'labels', 'heartbeat age', 'running', 'first seen'].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5, class: 'message' }, 'No worker seen yet.'))));
  }
}
