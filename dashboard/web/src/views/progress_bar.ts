// progress_bar.ts: a study's progress (COMPLETE + PRUNED trials, as max_trials counts them) as a
// bar with its numbers, or just the count for a study without max_trials.

import { h } from '../dom';
import type { StudySummary } from '../types';

// progressDone: the trials that count towards max_trials (the server's rule: COMPLETE + PRUNED).
export function progressDone(s: StudySummary): number {
  return (s.counts.COMPLETE ?? 0) + (s.counts.PRUNED ?? 0);
}

export function progressBar(testid: string, s: StudySummary): HTMLElement {
  const done = progressDone(s);
  const limit = s.max_trials > 0 ? s.max_trials : null;
  const fraction = limit ? Math.min(1, done / limit) : null;
  return h(
    'span',
    { class: 'progress', 'data-testid': testid, 'data-value': done, title: limit ? `${done} of ${limit} trials finished` : `${done} trials finished (no max_trials)` },
    fraction !== null && h('span', { class: 'progress-track' }, h('span', { class: 'progress-fill', style: `width:${(fraction * 100).toFixed(1)}%` })),
    h('span', { class: 'progress-text' }, limit ? `${done} / ${limit}` : `${done}`),
  );
}
