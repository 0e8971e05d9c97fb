// slice.ts: slice plots: for one param, the objective of every COMPLETE trial against the param's
// value, points coloured from light (early trials) to dark (late trials).

import { formatNumber, formatParam, objectiveLabel } from '../format';
import type { Objective, ParamInfo, Series } from '../types';
import type { BuiltChart } from './chart_box';
import { paramAxis } from './param_axis';
import { LARGE_THRESHOLD, axis, baseOption } from './theme';
import { completeRows } from './series_rows';

export function sliceOption(series: Series, param: ParamInfo, objectives: Objective[], k: number): BuiltChart {
  const pa = paramAxis(param);
  const column = series.params[param.name] ?? [];
  const data: (string | number)[][] = [];
  for (const r of completeRows(series, [k])) {
    const x = pa.position(column[r.index]);
    if (x !== null) data.push([x, r.values[0], r.number]);
  }
  const lastNumber = series.number.reduce((m, n) => Math.max(m, n), 0);
  const tooltip = (p: { value: (string | number)[] }) =>
    `trial ${p.value[2]}<br/>${param.name} = ${formatParam(p.value[0])}<br/>${objectives[k].name} ${formatNumber(p.value[1])}`;
  return {
    points: data.length,
    option: baseOption({
      toolbox: { right: 0, top: 0, itemSize: 12, feature: { saveAsImage: { title: 'Save PNG', pixelRatio: 3 } } },
      grid: { left: 64, right: 16, top: 28, bottom: 48 },
      tooltip: { trigger: 'item', formatter: tooltip },
      xAxis: axis(param.name, pa.kind, { data: pa.categories, nameGap: 28, ...pa.extra }),
      yAxis: axis(objectiveLabel(objectives[k]), 'value', { nameGap: 48 }),
      visualMap: { show: false, type: 'continuous', dimension: 2, min: 0, max: Math.max(1, lastNumber), inRange: { color: ['#9ecae1', '#08306b'] } },
      series: [{ type: 'scatter', data, symbolSize: 6, itemStyle: { opacity: 0.75 }, large: true, largeThreshold: LARGE_THRESHOLD }],
    }),
  };
}
