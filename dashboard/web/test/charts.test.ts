// Unit tests of the chart option builders (src/charts): which trials each chart plots, the
// counts behind the data-points / data-curves / data-pruned hooks, axes named by objective.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyOption } from '../src/charts/history';
import { intermediateOption } from '../src/charts/intermediate';
import { paramAxis } from '../src/charts/param_axis';
import { precisionOption, shortLayerName } from '../src/charts/precision';
import { sliceOption } from '../src/charts/slice';
import type { Objective, Series } from '../src/types';

const loss: Objective[] = [{ name: 'loss', direction: 'minimize' }];

function series(): Series {
  return {
    revision: 3,
    number: [0, 1, 2, 3, 4, 5],
    state: ['COMPLETE', 'PRUNED', 'COMPLETE', 'FAIL', 'COMPLETE', 'RUNNING'],
    values: [[5, 4, 3, null, 'Infinity', null]],
    params: { lr: [0.1, 0.01, 0.001, 0.1, 0.01, null], act: ['relu', 'gelu', 'relu', 'gelu', 'tanh', 'relu'] },
    datetime_start_us: [0, 0, 0, 0, 0, 0],
    datetime_complete_us: [0, 0, 0, 0, 0, null],
    feasible: [true, true, true, true, true, true],
  };
}

// The option's series named `name`.
function seriesNamed(option: Record<string, unknown>, name: string): { data: unknown[] } {
  const found = (option.series as { name?: string; data: unknown[] }[]).find((s) => s.name === name);
  assert.ok(found, `no series ${name}`);
  return found;
}

test('history plots finite COMPLETE values only, and the best so far of them', () => {
  const built = historyOption(series(), loss, 0);
  assert.equal(built.points, 2); // trials 0 and 2; PRUNED 1 has a value but is not plotted, 4 is infinite
  const option = built.option as Record<string, unknown>;
  assert.deepEqual(seriesNamed(option, 'trial').data, [[0, 5], [2, 3]]);
  assert.deepEqual(seriesNamed(option, 'best so far').data, [[0, 5], [2, 3], [5, 3]]);
  assert.equal((option.yAxis as { name: string }).name, 'loss ↓');
  assert.equal((option.xAxis as { name: string; minInterval: number }).minInterval, 1);
});

test('slice plots a categorical param on its choices, a log param on a log axis', () => {
  const act = { name: 'act', distribution: { name: 'CategoricalDistribution' as const, attributes: { choices: ['relu', 'gelu', 'tanh'] } } };
  const lr = { name: 'lr', distribution: { name: 'FloatDistribution' as const, attributes: { low: 1e-4, high: 1, log: true, step: null } } };
  const a = sliceOption(series(), act, loss, 0);
  assert.equal(a.points, 2);
  assert.deepEqual((a.option.xAxis as { data: string[] }).data, ['relu', 'gelu', 'tanh']);
  assert.equal((sliceOption(series(), lr, loss, 0).option.xAxis as { type: string }).type, 'log');
  const depth = paramAxis({ name: 'depth', distribution: { name: 'IntDistribution', attributes: { low: 1, high: 4, log: false, step: 1 } } });
  assert.deepEqual([depth.kind, depth.extra.min, depth.extra.max, depth.extra.minInterval], ['value', 1, 4, 1]);
  assert.equal(depth.position('x'), null);
});

test('learning curves count curves and PRUNED curves, one series per state', () => {
  const built = intermediateOption(
    [
      { number: 0, state: 'COMPLETE', steps: [0, 1, 2], values: [0.5, 0.6, 0.7] },
      { number: 1, state: 'PRUNED', steps: [0], values: [0.2] },
      { number: 2, state: 'COMPLETE', steps: [0, 1], values: [0.4, 'NaN'] },
    ],
    'accuracy',
  );
  assert.deepEqual([built.curves, built.pruned], [3, 1]);
  const complete = seriesNamed(built.option as Record<string, unknown>, 'COMPLETE').data;
  // Trial 2's line starts after a gap, not joined to trial 0's last point; NaN is no point.
  assert.deepEqual(complete, [[0, 0.5, 0], [1, 0.6, 0], [2, 0.7, 0], [null, null, null], [0, 0.4, 2], [1, null, 2]]);
});

test('the precision map sorts trials best first and names layers shortly', () => {
  const paths = ['bert.encoder.layer.0.attention.self.query', 'bert.encoder.layer.11.attention.output.dense', 'bert.encoder.layer.1.output.dense', 'bert.pooler.dense', 'classifier', 'bert.encoder.layer.2.other'];
  assert.deepEqual(paths.map(shortLayerName), ['L0 attn.q', 'L11 attn.out', 'L1 ffn.out', 'pooler', 'classifier', 'L2 other']);
  const built = precisionOption(
    {
      layers: ['a.q', 'a.k'],
      trials: [
        { number: 3, values: [0.8], layers: [{ type: 'integer', weight_bits: 4 }, { type: 'integer', weight_bits: 8 }] },
        { number: 5, values: [0.9], layers: [{ type: 'integer', weight_bits: 2 }, { type: 'float', weight_bits: null }] },
      ],
    },
    { name: 'accuracy', direction: 'maximize' },
  );
  assert.equal(built.points, 2);
  const xAxis = built.option.xAxis as { data: string[] }[];
  assert.deepEqual(xAxis[1].data, ['5', '3']); // accuracy 0.9 first
  const heatmap = (built.option.series as { type: string; data: number[][] }[]).find((s) => s.type === 'heatmap');
  assert.deepEqual(heatmap?.data, [[0, 0, 2], [1, 0, 4], [1, 1, 8]]);
});
