// importance.ts: parameter importance as horizontal bars, the most important param on top.

import { formatNumber } from '../format';
import type { ImportanceResponse } from '../types';
import type { ChartOption } from './chart_box';
import { STATE_COLORS, axis, baseOption } from './theme';

export function importanceOption(r: ImportanceResponse): ChartOption {
  const params = r.importances.map((i) => i.param);
  return baseOption({
    grid: { left: 16, right: 56, top: 24, bottom: 48, containLabel: true },
    tooltip: { trigger: 'item', formatter: (p: { name: string; value: number }) => `${p.name}: ${formatNumber(p.value)}` },
    xAxis: axis('importance', 'value', { min: 0, nameGap: 28, scale: false }),
    yAxis: axis('', 'category', { data: params, inverse: true, axisLabel: { color: '#333', fontSize: 12 } }),
    series: [
      {
        type: 'bar',
        data: r.importances.map((i) => i.importance),
        barMaxWidth: 22,
        itemStyle: { color: STATE_COLORS.COMPLETE },
        label: { show: true, position: 'right', formatter: (p: { value: number }) => formatNumber(p.value) },
      },
    ],
  });
}
