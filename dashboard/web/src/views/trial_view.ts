// trial_view.ts: one trial (#/studies/<name>/trials/<number>): state, values, params, attributes,
// worker, the attempts (one per lease) and the learning curve; reread when the study's revision
// moves.

import { apiGet, studyPath } from '../api';
import { reportError } from '../banner';
import { ChartBox } from '../charts/chart_box';
import { intermediateOption } from '../charts/intermediate';
import { h, num, setChildren, setReady } from '../dom';
import { attemptOutcome, formatDuration, formatParam, formatTime } from '../format';
import { studyHref } from '../router';
import type { Attempt, Attrs, StudiesResponse, StudySummary, Trial, TrialResponse } from '../types';
import type { View } from './view';

export class TrialView implements View {
  readonly el: HTMLElement;
  private readonly body = h('div');
  private readonly chart = new ChartBox('chart-trial-intermediate');
  private shownRevision = -1;
  private loading = false;
  private disposed = false;

  constructor(private readonly name: string, private readonly number: number) {
    this.el = h(
      'section',
      { class: 'view trial', 'data-testid': 'trial-detail', 'data-number': number, 'data-ready': '0' },
      h('p', { class: 'crumbs' }, h('a', { href: studyHref(name) }, name), ` › trial ${number}`),
      this.body,
    );
  }

  update(r: StudiesResponse): void {
    const s = r.studies.find((x) => x.name === this.name);
    if (s && s.revision !== this.shownRevision) void this.load(s);
  }

  show(): boolean {
    return false;
  }

  dispose(): void {
    this.disposed = true;
    this.chart.dispose();
  }

  private async load(s: StudySummary): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    setReady(this.el, false);
    try {
      const r = await apiGet<TrialResponse>(studyPath(this.name, `/trials/${this.number}`));
      reportError('trial', null);
      this.shownRevision = s.revision;
      this.render(r, s);
    } catch (e) {
      if (!this.disposed) reportError('trial', e);
    } finally {
      this.loading = false;
      setReady(this.el, true);
    }
  }

  private render(r: TrialResponse, s: StudySummary): void {
    const t = r.trial;
    const curve = t.intermediate_values ?? [];
    const section = (title: string, ...content: (Node | string | false)[]) => h('div', { class: 'card' }, h('h2', {}, title), ...content);
    const wide = (el: HTMLElement) => { el.classList.add('wide'); return el; };
    setChildren(
      this.body,
      h('div', { class: 'title-row' },
        h('h1', {}, `Trial ${t.number}`),
        h('span', { class: `badge state-${t.state}`, 'data-testid': 'trial-state' }, t.state),
        h('span', { class: 'meta' }, `attempt ${t.attempt} · ${formatDuration(t.duration_ms)} · started ${formatTime(t.datetime_start_us)}`),
      ),
      h('div', { class: 'cards' },
        section('values', h('table', { class: 'kv', 'data-testid': 'trial-values' },
          s.objectives.map((o, k) => h('tr', {}, h('th', {}, o.name), h('td', { class: 'num' }, num(`trial-value-${k}`, t.values?.[k] ?? null)))),
          h('tr', {}, h('th', {}, 'feasible'), h('td', {}, t.feasible ? 'yes' : 'no (breaks a constraint)')))),
        wide(section('params', h('table', { class: 'kv', 'data-testid': 'trial-params' },
          Object.entries(t.params).map(([k, v]) => h('tr', { 'data-param': k }, h('th', {}, k), h('td', {}, formatParam(v))))))),
        section('worker', workerTable(t)),
        section('user attributes', attrsTable(t.user_attrs)),
      ),
      section('attempts', r.attempts ? attemptsTable(r.attempts, r.now_us) : h('p', { class: 'message', 'data-testid': 'trial-attempts' }, 'This server does not report attempts.')),
      curve.length > 0 && section('intermediate values', this.chart.el),
      section('system attributes', attrsTable(t.system_attrs)),
    );
    if (curve.length) {
      const built = intermediateOption([{ number: t.number, state: t.state, steps: curve.map((p) => p[0]), values: curve.map((p) => p[1]) }], s.objectives[0].name);
      this.chart.render(built.option, { points: curve.length, curves: 1, pruned: t.state === 'PRUNED' ? 1 : 0 });
    }
  }
}

function workerTable(t: Trial): HTMLElement {
  const entries = Object.entries(t.worker ?? {});
  return h('table', { class: 'kv', 'data-testid': 'trial-worker' },
    entries.length ? entries.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, formatParam(v)))) : h('tr', {}, h('td', {}, 'no worker')));
}

function attrsTable(attrs: Attrs): HTMLElement {
  const entries = Object.entries(attrs);
  if (!entries.length) return h('p', { class: 'message' }, 'none');
  return h('table', { class: 'kv' }, entries.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, formatParam(v)))));
}

// attemptsTable: one row per lease of the trial, with a bar placing it on the trial's time line.
function attemptsTable(attempts: Attempt[], nowUs: number): HTMLElement {
  const start = Math.min(...attempts.map((a) => a.start_us ?? nowUs));
  const end = Math.max(...attempts.map((a) => a.end_us ?? nowUs));
  const span = Math.max(1, end - start);
  return h('table', { class: 'grid', 'data-testid': 'trial-attempts' },
    h('thead', {}, h('tr', {}, ['#', 'worker', 'start', 'duration', 'outcome', 'timeline'].map((c) => h('th', {}, c)))),
    h('tbody', {}, attempts.map((a) => {
      const from = a.start_us ?? nowUs;
      const to = a.end_us ?? nowUs;
      const bar = h('span', { class: `timeline-bar outcome-${a.outcome}`, style: `left:${(100 * (from - start)) / span}%;width:${Math.max(0.5, (100 * (to - from)) / span)}%` });
      return h('tr', { 'data-testid': 'attempt-row' },
        h('td', { class: 'num' }, String(a.attempt)),
        h('td', {}, a.worker_id ?? '-'),
        h('td', {}, formatTime(a.start_us)),
        h('td', { class: 'num' }, formatDuration((to - from) / 1000)),
        h('td', {}, h('span', { class: `badge state-${a.outcome}`, title: attemptOutcome(a) }, a.outcome),
          a.reason ? ` ${a.reason}` : ''),
        h('td', { class: 'timeline' }, bar));
    })));
}
