// parallel.ts: parallel coordinates: the objective's axis first (in view however many params
// follow), then one axis per param; one line per COMPLETE trial, coloured by its objective value.

import { objectiveLabel } from '../format';
import type { Objective, ParamInfo, Series } from '../types';
import type { BuiltChart } from './chart_box';
import { paramAxis } from './param_axis';
import { SCALE_COLORS, baseOption } from './theme';
import { completeRows } from './series_rows';

export function parallelOption(series: Series, params: ParamInfo[], objectives: Objective[], k: number): BuiltChart {
  const rows = completeRows(series, [k]);
  const axes = params.map(paramAxis);
  const values = rows.map((r) => r.values[0]);
  const min = values.reduce((m, v) => Math.min(m, v), Infinity);
  const max = values.reduce((m, v) => Math.max(m, v), -Infinity);
  const data = rows.map((r) => [r.values[0], ...params.map((p, j) => axes[j].position(series.params[p.name]?.[r.index]) ?? '-')]);
  // Long axis names (layer params: "layer0.attention.self.query.type") are written slanted.
  const longest = params.reduce((m, p) => Math.max(m, p.name.length), 0);
  const slanted = longest > 12;
  const nameStyle = { fontSize: 12, fontWeight: 'bold', color: '#333', align: slanted ? 'left' : 'center' };
  const top = slanted ? 40 + Math.min(220, Math.round(7 * longest * Math.sin(Math.PI / 6))) : 56;
  return {
    points: rows.length,
    option: baseOption({
      tooltip: { show: false },
      parallel: { left: 64, right: 170, top, bottom: 32, parallelAxisDefault: { nameGap: 12, nameRotate: slanted ? 30 : 0, nameTruncate: { maxWidth: 400 }, nameTextStyle: nameStyle, axisLabel: { color: '#333', backgroundColor: 'rgba(255,255,255,0.8)', padding: [1, 3] } } },
      parallelAxis: [
        { dim: 0, name: objectiveLabel(objectives[k]), type: 'value', scale: true },
        ...params.map((p, j) => ({
          dim: j + 1,
          name: p.name,
          type: axes[j].kind,
          data: axes[j].categories,
          ...axes[j].extra,
        })),
      ],
      visualMap: {
        type: 'continuous',
        dimension: 0,
        min: Number.isFinite(min) ? min : 0,
        max: Number.isFinite(max) ? max : 1,
        inRange: { color: objectives[k].direction === 'maximize' ? SCALE_COLORS : [...SCALE_COLORS].reverse() },
        calculable: true,
        right: 16,
        top: 'middle',
        itemHeight: 180,
        text: [objectives[k].name, ''],
        precision: 3,
      },
      series: [
        {
          type: 'parallel',
          data,
          lineStyle: { width: 1, opacity: rows.length > 1000 ? 0.2 : 0.5 },
          emphasis: { lineStyle: { width: 2, opacity: 1 } },
          progressive: 1000,
          smooth: false,
        },
      ],
    }),
  };
}
