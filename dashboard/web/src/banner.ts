// banner.ts: the error banner: shown while any source (the poll, a view's fetch, an action)
// has a failure, with the latest message; each source clears only its own failure.

import { h } from './dom';

const failures = new Map<string, string>();
export const bannerEl = h('div', { class: 'error-banner', 'data-testid': 'error-banner', role: 'alert', hidden: true });

// reportError: source's failure (its message), or null when its last call succeeded.
export function reportError(source: string, error: unknown): void {
  if (error === null) failures.delete(source);
  else failures.set(source, error instanceof Error ? error.message : String(error));
  const messages = [...failures.values()];
  bannerEl.hidden = messages.length === 0;
  bannerEl.textContent = messages.join(' · ');
}

// clearViewErrors: forgets every failure but the poll's (the router calls it when the shown view
// changes: the old view's failures are no longer on the page).
export function clearViewErrors(): void {
  for (const source of [...failures.keys()]) if (source !== 'poll') reportError(source, null);
}
