// Unit tests of src/pareto.ts and the Pareto chart's data: fronts under both directions, best so far.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paretoData } from '../src/charts/pareto';
import { bestSoFar, dominates, paretoFront } from '../src/pareto';
import type { Objective, Series } from '../src/types';

const maxMin: Objective[] = [
  { name: 'accuracy', direction: 'maximize' },
  { name: 'avg_bitwidth', direction: 'minimize' },
];

test('dominates needs better in one objective and worse in none', () => {
  assert.ok(dominates([0.9, 4], [0.8, 8], maxMin));
  assert.ok(dominates([0.9, 4], [0.9, 8], maxMin));
  assert.ok(!dominates([0.9, 4], [0.9, 4], maxMin));
  assert.ok(!dominates([0.95, 8], [0.9, 4], maxMin));
});

test('paretoFront keeps the non-dominated points in input order, ties included', () => {
  const points = [
    [0.8, 8], // dominated by [0.9, 4]
    [0.95, 8],
    [0.9, 4],
    [0.7, 2],
    [0.9, 4], // a tie stays on the front
    [0.6, 3], // dominated by [0.7, 2]
  ];
  assert.deepEqual(paretoFront(points, maxMin), [1, 2, 3, 4]);
  const three: Objective[] = [...maxMin, { name: 'latency', direction: 'minimize' }];
  assert.deepEqual(paretoFront([[0.9, 4, 10], [0.9, 4, 5], [0.8, 2, 20]], three), [1, 2]);
});

test('bestSoFar follows the direction and skips missing values', () => {
  assert.deepEqual(bestSoFar([null, 3, 5, null, 1], 'minimize'), [null, 3, 3, 3, 1]);
  assert.deepEqual(bestSoFar([3, 5, 4], 'maximize'), [3, 5, 5]);
});

test('paretoData plots COMPLETE trials only and keeps infeasible ones off the front', () => {
  const series: Series = {
    revision: 1,
    number: [0, 1, 2, 3, 4],
    state: ['COMPLETE', 'COMPLETE', 'PRUNED', 'COMPLETE', 'COMPLETE'],
    values: [
      [0.9, 0.99, null, 0.8, 'NaN'],
      [4, 2, null, 8, 4],
    ],
    params: {},
    datetime_start_us: [null, null, null, null, null],
    datetime_complete_us: [null, null, null, null, null],
    feasible: [true, false, true, true, true],
  };
  const d = paretoData(series, maxMin);
  assert.deepEqual(d.rows.map((r) => r.number), [0, 1, 3]); // PRUNED and NaN not plotted
  assert.deepEqual([...d.front].map((i) => d.rows[i].number), [0]); // 1 is infeasible, 3 dominated
});
