// view.ts: what the router asks of a page view.

import type { Route } from '../router';
import type { StudiesResponse } from '../types';

export interface View {
  readonly el: HTMLElement;
  // update: a new answer of the studies poll (the view refetches what moved).
  update(studies: StudiesResponse): void;
  // show: shows `route` in this view when it can (another tab of the same study); false when the
  // router must make a new view.
  show(route: Route): boolean;
  // dispose: stops the view's work and frees its charts.
  dispose(): void;
}
