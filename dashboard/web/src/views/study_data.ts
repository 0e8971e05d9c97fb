// study_data.ts: a study's chart data read once per revision: /series, /intermediate and
// /precision are fetched when a view asks for a revision newer than the one held, and concurrent
// askers share one request.

import { apiGet, studyPath } from '../api';
import type { IntermediateResponse, PrecisionResponse, Series } from '../types';

class RevisionCache<T> {
  private revision = -1;
  private value: Promise<T> | null = null;

  constructor(private readonly fetcher: () => Promise<T>) {}

  // get: the answer for `revision` (refetched only when revision moved; a failure is not kept).
  get(revision: number): Promise<T> {
    if (this.value && this.revision === revision) return this.value;
    this.revision = revision;
    const p = this.fetcher();
    this.value = p;
    p.catch(() => {
      if (this.value === p) this.value = null;
    });
    return p;
  }
}

export class StudyData {
  readonly series: RevisionCache<Series>;
  readonly intermediate: RevisionCache<IntermediateResponse>;
  readonly precision: RevisionCache<PrecisionResponse>;

  constructor(name: string) {
    this.series = new RevisionCache(() => apiGet<Series>(studyPath(name, '/series')));
    this.intermediate = new RevisionCache(() => apiGet<IntermediateResponse>(studyPath(name, '/intermediate')));
    this.precision = new RevisionCache(() => apiGet<PrecisionResponse>(studyPath(name, '/precision')));
  }
}
