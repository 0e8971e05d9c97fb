// study_header.ts: the study page's live header: state, trials per state, progress, best value,
// front size, hypervolume (multi-objective), elapsed time, and the stop/resume/delete actions.

import { apiAction, studyPath } from '../api';
import { reportError } from '../banner';
import { h, num, setChildren } from '../dom';
import { formatDuration, objectiveLabel } from '../format';
import { TRIAL_STATES, type StudyDetailResponse, type StudySummary } from '../types';
import { progressBar } from './progress_bar';

// elapsedSeconds: the study's own elapsed time: its first trial's start to its latest event.
export function elapsedSeconds(s: StudySummary): number | null {
  if (s.datetime_start_us === null || s.datetime_last_us === null) return null;
  return Math.max(0, (s.datetime_last_us - s.datetime_start_us) / 1e6);
}

export class StudyHeader {
  readonly el: HTMLElement;

  // onChanged: called after an action succeeded (to poll at once); onDeleted after a delete.
  constructor(private readonly name: string, private readonly onChanged: () => void, private readonly onDeleted: () => void) {
    this.el = h('header', { class: 'study-header', 'data-testid': 'study-header', 'data-study': name });
  }

  render(s: StudySummary, detail: StudyDetailResponse | null): void {
    const elapsed = elapsedSeconds(s);
    const best = s.best?.values[0];
    const multi = s.objectives.length > 1;
    const stat = (label: string, value: Node | string) => h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value));
    setChildren(
      this.el,
      h('div', { class: 'title-row' },
        h('h1', {}, s.name),
        h('span', { class: `badge study-${s.state}`, 'data-testid': 'study-state' }, s.state),
        h('span', { class: 'meta' }, `${s.sampler} sampler${s.task_kind ? ` · ${s.task_kind}` : ''} · ${s.objectives.map(objectiveLabel).join(', ')}`),
        h('span', { class: 'actions' },
          h('button', { 'data-testid': 'action-stop', disabled: s.state !== 'RUNNING', onclick: () => this.act('POST', ':stop') }, 'Stop'),
          h('button', { 'data-testid': 'action-resume', disabled: s.state === 'RUNNING', onclick: () => this.act('POST', ':resume') }, 'Resume'),
          h('button', { 'data-testid': 'action-delete', class: 'danger', onclick: () => this.remove() }, 'Delete'),
        ),
      ),
      h('div', { class: 'stats' },
        stat('progress', progressBar('progress-done', s)),
        TRIAL_STATES.map((st) => stat(st, h('span', { class: `state-text-${st}` }, num(`count-${st}`, s.counts[st] ?? 0)))),
        stat(multi ? `best ${s.objectives[0].name} on front` : `best ${s.objectives[0].name}`,
          best === undefined ? h('span', { 'data-testid': 'best-value' }, '-') : num('best-value', best)),
        stat(multi ? 'front size' : 'best trials', num('n-best', s.n_best)),
        multi && stat('hypervolume', detail?.hypervolume == null ? h('span', { 'data-testid': 'hypervolume' }, '-') : num('hypervolume', detail.hypervolume)),
        stat('elapsed', elapsed === null ? h('span', { 'data-testid': 'study-elapsed' }, '-') : num('study-elapsed', elapsed, formatDuration(elapsed * 1000))),
      ),
    );
  }

  private async act(method: 'POST' | 'DELETE', suffix: string): Promise<boolean> {
    try {
      await apiAction(method, studyPath(this.name) + suffix);
      reportError('action', null);
      return true;
    } catch (e) {
      reportError('action', e);
      return false;
    } finally {
      this.onChanged();
    }
  }

  private async remove(): Promise<void> {
    if (!window.confirm(`Delete study '${this.name}' and all its trials? This cannot be undone.`)) return;
    if (await this.act('DELETE', '')) this.onDeleted();
  }
}
