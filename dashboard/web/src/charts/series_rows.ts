// series_rows.ts: the trials of a /series answer that charts plot as values: COMPLETE trials
// whose objectives are finite (PRUNED, FAIL and RUNNING trials are never plotted as values).

import { finite } from '../format';
import type { Series } from '../types';

export interface ValueRow {
  index: number; // position in the series' columns
  number: number;
  values: number[]; // the objectives used (all finite)
  feasible: boolean;
}

// completeRows: the COMPLETE trials with finite values on every objective in `objectives`
// (indices), ordered by trial number.
export function completeRows(series: Series, objectives: number[]): ValueRow[] {
  const rows: ValueRow[] = [];
  for (let i = 0; i < series.number.length; ++i) {
    if (series.state[i] !== 'COMPLETE') continue;
    const values: number[] = [];
    for (const k of objectives) {
      const v = finite(series.values[k]?.[i]);
      if (v === null) break;
      values.push(v);
    }
    if (values.length !== objectives.length) continue;
    rows.push({ index: i, number: series.number[i], values, feasible: series.feasible[i] !== false });
  }
  return rows.sort((a, b) => a.number - b.number);
}
