// intermediate.ts: learning curves: each trial's intermediate values by step, one line per trial,
// coloured by the trial's state (PRUNED amber and dashed), the legend above the plot.

import { finite, formatNumber } from '../format';
import { TRIAL_STATES, type IntermediateResponse, type TrialState } from '../types';
import type { BuiltChart } from './chart_box';
import { STATE_COLORS, axis, baseOption, integerAxis, legendTop } from './theme';

export type Curve = IntermediateResponse['trials'][number];

// Above this many points, curves are drawn without symbols (and without per-point tooltips).
const SYMBOL_LIMIT = 300;

export interface BuiltCurves extends BuiltChart {
  curves: number;
  pruned: number;
}

// intermediateOption: curves on the value axis named yName. Each state is one series whose trials
// are separated by gaps, so that 10,000 curves cost four series, not 10,000.
export function intermediateOption(curves: Curve[], yName: string): BuiltCurves {
  const byState = new Map<TrialState, (number | null)[][]>();
  let nPoints = 0;
  for (const c of curves) {
    const data = byState.get(c.state) ?? [];
    if (data.length) data.push([null, null, null]); // a gap ends the previous trial's line
    c.steps.forEach((s, i) => data.push([s, finite(c.values[i]), c.number]));
    nPoints += c.steps.length;
    byState.set(c.state, data);
  }
  const showSymbol = nPoints <= SYMBOL_LIMIT;
  const count = (s: TrialState) => curves.filter((c) => c.state === s).length;
  const tooltip = (p: { value: number[]; seriesName: string }) =>
    `trial ${p.value[2]} (${p.seriesName})<br/>step ${p.value[0]}: <b>${formatNumber(p.value[1])}</b>`;
  const series = TRIAL_STATES.filter((s) => byState.has(s)).map((s) => ({
    name: s,
    type: 'line',
    data: byState.get(s),
    connectNulls: false,
    showSymbol,
    symbolSize: 4,
    lineStyle: { color: STATE_COLORS[s], width: 1.2, opacity: curves.length > 200 ? 0.4 : 0.8, type: s === 'PRUNED' ? 'dashed' : 'solid' },
    itemStyle: { color: STATE_COLORS[s] },
    emphasis: { focus: 'series' },
    z: s === 'PRUNED' ? 3 : 2, // the short pruned curves stay visible over the complete ones
  }));
  return {
    points: curves.length,
    curves: curves.length,
    pruned: count('PRUNED'),
    option: baseOption({
      legend: { ...legendTop(), formatter: (name: string) => `${name} (${count(name as TrialState)})` },
      grid: { left: 72, right: 24, top: 40, bottom: 48 },
      tooltip: { trigger: 'item', formatter: tooltip },
      xAxis: integerAxis('step'),
      yAxis: axis(yName, 'value', { nameGap: 56 }),
      series,
    }),
  };
}
