// history.ts: the optimisation history chart: every COMPLETE trial's objective by trial number,
// and the best-so-far line of the feasible ones.

import { formatNumber, objectiveLabel } from '../format';
import { bestSoFar } from '../pareto';
import type { Objective, Series } from '../types';
import type { BuiltChart } from './chart_box';
import { BEST_COLOR, INFEASIBLE_COLOR, LARGE_THRESHOLD, STATE_COLORS, axis, baseOption, integerAxis, legendTop } from './theme';
import { completeRows } from './series_rows';

export function historyOption(series: Series, objectives: Objective[], k: number): BuiltChart {
  const objective = objectives[k];
  const rows = completeRows(series, [k]);
  const feasible = rows.filter((r) => r.feasible);
  const infeasible = rows.filter((r) => !r.feasible);
  const best = bestSoFar(feasible.map((r) => r.values[0]), objective.direction);
  const lastNumber = series.number.reduce((m, n) => Math.max(m, n), 0);
  const bestLine = feasible.map((r, i) => [r.number, best[i]]);
  if (bestLine.length) bestLine.push([lastNumber, best[best.length - 1]]);
  const point = (r: (typeof rows)[number]) => [r.number, r.values[0]];
  const tooltip = (p: { value: number[]; seriesName: string }) =>
    `${p.seriesName}<br/>trial ${p.value[0]}: <b>${formatNumber(p.value[1])}</b>`;
  return {
    points: rows.length,
    option: baseOption({
      legend: legendTop(),
      grid: { left: 72, right: 24, top: 40, bottom: 48 },
      tooltip: { trigger: 'item', formatter: tooltip },
      xAxis: integerAxis('trial'),
      yAxis: axis(objectiveLabel(objective), 'value', { nameGap: 56 }),
      series: [
        {
          name: 'trial',
          type: 'scatter',
          data: feasible.map(point),
          symbolSize: 6,
          itemStyle: { color: STATE_COLORS.COMPLETE, opacity: 0.7 },
          large: true,
          largeThreshold: LARGE_THRESHOLD,
        },
        infeasible.length && {
          name: 'infeasible',
          type: 'scatter',
          data: infeasible.map(point),
          symbol: 'triangle',
          symbolSize: 7,
          itemStyle: { color: INFEASIBLE_COLOR, opacity: 0.7 },
          large: true,
          largeThreshold: LARGE_THRESHOLD,
        },
        {
          name: 'best so far',
          type: 'line',
          step: 'end',
          data: bestLine,
          showSymbol: false,
          lineStyle: { color: BEST_COLOR, width: 2 },
          itemStyle: { color: BEST_COLOR },
          tooltip: { show: false },
          z: 3,
        },
      ].filter(Boolean),
    }),
  };
}
