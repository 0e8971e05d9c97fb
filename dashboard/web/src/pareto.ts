// pareto.ts: multi-objective arithmetic of the page: which points a study's front holds and the
// best value so far of one objective. Pure functions.

import type { Objective } from './types';

// dominates: whether a is at least as good as b in every objective and better in one.
export function dominates(a: number[], b: number[], objectives: Objective[]): boolean {
  let better = false;
  for (let k = 0; k < objectives.length; ++k) {
    const sign = objectives[k].direction === 'maximize' ? 1 : -1;
    const d = sign * (a[k] - b[k]);
    if (d < 0) return false;
    if (d > 0) better = true;
  }
  return better;
}

// paretoFront: the indices of the points no other point dominates (duplicates all kept), in
// input order. O(n log n) for two objectives (sort and sweep), O(n * front) otherwise.
export function paretoFront(points: number[][], objectives: Objective[]): number[] {
  const signs = objectives.map((o) => (o.direction === 'maximize' ? -1 : 1));
  // Minimisation form: smaller is better in every coordinate.
  const key = (i: number, k: number) => signs[k] * points[i][k];
  const order = points.map((_, i) => i);
  order.sort((i, j) => {
    for (let k = 0; k < objectives.length; ++k) {
      const d = key(i, k) - key(j, k);
      if (d !== 0) return d;
    }
    return 0;
  });
  const front: number[] = [];
  for (const i of order) {
    // A point sorted later can never dominate an earlier one, so only the front so far matters.
    const dominated = front.some((j) => dominates(points[j], points[i], objectives));
    if (!dominated) front.push(i);
  }
  return front.sort((a, b) => a - b);
}

// bestSoFar: for each entry, the best of values[0..i] (null entries skipped; null until the
// first value).
export function bestSoFar(values: (number | null)[], direction: Objective['direction']): (number | null)[] {
  let best: number | null = null;
  return values.map((v) => {
    if (v !== null && (best === null || (direction === 'maximize' ? v > best : v < best))) best = v;
    return best;
  });
}
