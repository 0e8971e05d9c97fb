// pareto.ts: the Pareto-front chart of a multi-objective study: COMPLETE trials in the plane of
// two objectives, the front (over every objective, feasible trials only) highlighted, dominated
// trials grey, infeasible ones a distinct symbol.

import { formatNumber, objectiveLabel } from '../format';
import { paretoFront } from '../pareto';
import type { Objective, Series } from '../types';
import type { BuiltChart } from './chart_box';
import { DOMINATED_COLOR, FRONT_COLOR, INFEASIBLE_COLOR, LARGE_THRESHOLD, axis, baseOption, legendTop } from './theme';
import { ValueRow, completeRows } from './series_rows';

export interface ParetoData {
  rows: ValueRow[]; // values of every objective
  front: Set<number>; // indices into rows
}

// paretoData: the plotted trials and the front among the feasible ones.
export function paretoData(series: Series, objectives: Objective[]): ParetoData {
  const rows = completeRows(series, objectives.map((_, k) => k));
  const feasible = rows.filter((r) => r.feasible);
  const front = paretoFront(feasible.map((r) => r.values), objectives);
  const frontRows = new Set(front.map((i) => feasible[i]));
  return { rows, front: new Set(rows.flatMap((r, i) => (frontRows.has(r) ? [i] : []))) };
}

// paretoOption: the chart of objectives x and y; `connect` joins the front's points (only
// meaningful when the front is computed in exactly these two objectives).
export function paretoOption(data: ParetoData, objectives: Objective[], x: number, y: number, connect: boolean): BuiltChart {
  const point = (r: ValueRow) => [r.values[x], r.values[y], r.number];
  const front = data.rows.filter((_, i) => data.front.has(i));
  const dominated = data.rows.filter((r, i) => r.feasible && !data.front.has(i));
  const infeasible = data.rows.filter((r) => !r.feasible);
  const frontLine = front.map(point).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const tooltip = (p: { value: number[]; seriesName: string }) =>
    `${p.seriesName}: trial ${p.value[2]}<br/>${objectives[x].name} ${formatNumber(p.value[0])}` +
    `<br/>${objectives[y].name} ${formatNumber(p.value[1])}`;
  const scatter = (name: string, rows: ValueRow[], style: Record<string, unknown>) => ({
    name,
    type: 'scatter',
    data: rows.map(point),
    large: true,
    largeThreshold: LARGE_THRESHOLD,
    ...style,
  });
  return {
    points: data.rows.length,
    option: baseOption({
      legend: legendTop(),
      grid: { left: 72, right: 24, top: 40, bottom: 52, containLabel: false },
      tooltip: { trigger: 'item', formatter: tooltip },
      xAxis: axis(objectiveLabel(objectives[x]), 'value', { nameGap: 30 }),
      yAxis: axis(objectiveLabel(objectives[y]), 'value', { nameGap: 56 }),
      series: [
        scatter('dominated', dominated, { symbolSize: 6, itemStyle: { color: DOMINATED_COLOR, opacity: 0.6 } }),
        infeasible.length > 0 && scatter('infeasible', infeasible, { symbol: 'triangle', symbolSize: 8, itemStyle: { color: INFEASIBLE_COLOR, opacity: 0.7 } }),
        connect && {
          name: 'Pareto front',
          type: 'line',
          data: frontLine,
          showSymbol: false,
          lineStyle: { color: FRONT_COLOR, width: 1.5 },
          itemStyle: { color: FRONT_COLOR },
          tooltip: { show: false },
          z: 3,
        },
        scatter('Pareto front', front, { symbolSize: 9, itemStyle: { color: FRONT_COLOR, borderColor: '#fff', borderWidth: 1 }, z: 4 }),
      ].filter(Boolean),
    }),
  };
}
