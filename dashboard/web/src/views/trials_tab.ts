// trials_tab.ts: the trials table, paged, sorted and filtered by the server (GET .../trials):
// click a header to sort (again to reverse), a state choice, a filter box taking the API's
// filter syntax (applied on Enter), previous/next pages; clicking a row opens the trial.

import { apiGet, studyPath } from '../api';
import { h, num, setChildren, setReady } from '../dom';
import { formatDuration, formatParam } from '../format';
import { trialHref } from '../router';
import { TRIAL_STATES, type Trial, type TrialsPage } from '../types';
import { type StudyContext, TabPanel } from './tab_panel';

export const PAGE_SIZE = 50;

interface Column {
  sort: string; // the API's sort key, also the header's data-testid suffix
  title: string;
  cell(t: Trial): Node | string;
  numeric?: boolean;
}

export class TrialsPanel extends TabPanel {
  private sort = 'number';
  private order: 'asc' | 'desc' = 'asc';
  private offset = 0;
  private filter = '';
  private state = '';
  private readonly table: HTMLTableElement;
  private readonly total = h('span', { 'data-testid': 'trials-total', class: 'num' });
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly range = h('span', { class: 'range' });
  private requests = 0; // pages asked so far: only the latest one's answer is shown

  constructor() {
    super('trials');
    const filterInput = h('input', {
      type: 'text',
      'data-testid': 'trials-filter',
      placeholder: 'filter, e.g. params.num_layers = 2 and value > 0.9',
      size: 48,
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key !== 'Enter') return;
        this.filter = filterInput.value.trim();
        this.offset = 0;
        this.reload();
      },
    });
    const stateSelect = h(
      'select',
      { 'data-testid': 'state-filter', onchange: () => { this.state = stateSelect.value; this.offset = 0; this.reload(); } },
      h('option', { value: '' }, 'all states'),
      TRIAL_STATES.map((s) => h('option', { value: s }, s)),
    );
    this.prev = h('button', { 'data-testid': 'page-prev', onclick: () => this.page(-1) }, '‹ prev');
    this.next = h('button', { 'data-testid': 'page-next', onclick: () => this.page(1) }, 'next ›');
    this.toolbar.append(
      h('label', { class: 'control' }, 'state ', stateSelect),
      h('label', { class: 'control grow' }, filterInput),
      h('span', { class: 'control' }, this.total, ' trials'),
      h('span', { class: 'control pager' }, this.prev, this.range, this.next),
    );
    this.table = h('table', { class: 'grid trials', 'data-testid': 'trials-table', 'data-ready': '0' });
  }

  protected usesObjective(): boolean {
    return false;
  }

  protected async load(ctx: StudyContext): Promise<void> {
    setReady(this.table, false);
    const q = new URLSearchParams({ offset: String(this.offset), limit: String(PAGE_SIZE), sort: this.sort, order: this.order });
    if (this.state) q.set('state', this.state);
    if (this.filter) q.set('filter', this.filter);
    const request = ++this.requests;
    try {
      const page = await apiGet<TrialsPage>(studyPath(ctx.name, `/trials?${q}`));
      if (request === this.requests) this.render(page, ctx);
    } finally {
      // On a failure the banner names it and the last page stays.
      if (request === this.requests) setReady(this.table, true);
    }
  }

  private page(direction: number): void {
    this.offset = Math.max(0, this.offset + direction * PAGE_SIZE);
    this.reload();
  }

  private columns(ctx: StudyContext): Column[] {
    return [
      { sort: 'number', title: '#', cell: (t) => String(t.number), numeric: true },
      { sort: 'state', title: 'state', cell: (t) => h('span', { class: `badge state-${t.state}` }, t.state) },
      ...ctx.summary.objectives.map((o, k): Column => ({
        sort: k === 0 ? 'value' : `values.${k}`, // the API's names: value = values.0
        title: o.name,
        cell: (t) => num(null, t.values?.[k] ?? null),
        numeric: true,
      })),
      { sort: 'duration', title: 'duration', cell: (t) => formatDuration(t.duration_ms), numeric: true },
      ...ctx.detail.study.params.map((p): Column => ({
        sort: `params.${p.name}`,
        title: p.name,
        cell: (t) => formatParam(t.params[p.name]),
      })),
      { sort: 'worker', title: 'worker', cell: (t) => t.worker?.id ?? '-' },
    ];
  }

  private render(page: TrialsPage, ctx: StudyContext): void {
    const columns = this.columns(ctx);
    const header = columns.map((c) =>
      h(
        'th',
        {
          'data-testid': `sort-${c.sort}`,
          class: `sortable${c.numeric ? ' num' : ''}${c.sort === this.sort ? ` sorted-${this.order}` : ''}`,
          title: `sort by ${c.sort}`,
          onclick: () => {
            this.order = this.sort === c.sort && this.order === 'asc' ? 'desc' : 'asc';
            this.sort = c.sort;
            this.offset = 0;
            this.reload();
          },
        },
        c.title,
      ),
    );
    const rows = page.trials.map((t) =>
      h(
        'tr',
        { 'data-testid': 'trial-row', 'data-number': t.number, class: 'clickable', onclick: () => { location.hash = trialHref(ctx.name, t.number); } },
        columns.map((c) => h('td', { class: c.numeric ? 'num' : '' }, c.cell(t))),
      ),
    );
    setChildren(this.table, h('thead', {}, h('tr', {}, header)), h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: columns.length, class: 'message' }, 'No trials match.'))));
    this.table.setAttribute('data-offset', String(page.offset));
    this.table.setAttribute('data-limit', String(page.limit));
    this.total.setAttribute('data-value', String(page.total));
    this.total.textContent = String(page.total);
    this.range.textContent = page.total ? `${page.offset + 1}–${Math.min(page.total, page.offset + page.trials.length)}` : '0';
    this.prev.disabled = page.offset === 0;
    this.next.disabled = page.offset + page.limit >= page.total;
    if (!this.body.contains(this.table)) setChildren(this.body, h('div', { class: 'table-wrap' }, this.table));
  }
}
