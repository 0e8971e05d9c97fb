// precision.ts: the precision map of a mixed-precision study: one column per COMPLETE trial,
// sorted by the first objective (best first), one row per Linear layer, each cell coloured by the
// layer's weight bits; above it, the trials' objective values on a shared axis.

import { finite, formatNumber, objectiveLabel } from '../format';
import type { Objective, PrecisionResponse } from '../types';
import type { BuiltChart } from './chart_box';
import { STATE_COLORS, axis, baseOption } from './theme';

// Colours of the bit widths, fewest bits warmest.
const BIT_COLORS = ['#b2182b', '#ef8a62', '#fddbc7', '#d1e5f0', '#67a9cf', '#2166ac', '#053061'];
export const ROW_HEIGHT = 14;
export const TOP_HEIGHT = 130;

// The short names of an encoder layer's Linears (HF module paths after "bert.encoder.layer.<i>.").
const ENCODER_LINEAR_NAMES: Record<string, string> = {
  'attention.self.query': 'attn.q',
  'attention.self.key': 'attn.k',
  'attention.self.value': 'attn.v',
  'attention.output.dense': 'attn.out',
  'intermediate.dense': 'ffn.in',
  'output.dense': 'ffn.out',
};

// shortLayerName: a Linear layer's HF path as the map's row label: "L<i> attn.q" for
// bert.encoder.layer.<i>.attention.self.query (and so on), "pooler" for bert.pooler.dense, any
// other name as it is (the tooltip shows the full path).
export function shortLayerName(layer: string): string {
  const encoder = /^bert\.encoder\.layer\.(\d+)\.(.+)$/.exec(layer);
  if (encoder) return `L${encoder[1]} ${ENCODER_LINEAR_NAMES[encoder[2]] ?? encoder[2]}`;
  return layer === 'bert.pooler.dense' ? 'pooler' : layer;
}

export function precisionOption(r: PrecisionResponse, objective: Objective): BuiltChart {
  const sign = objective.direction === 'maximize' ? -1 : 1;
  const key = (t: PrecisionResponse['trials'][number]) => {
    const v = finite(t.values[0]);
    return v === null ? Infinity : sign * v;
  };
  const trials = [...r.trials].sort((a, b) => key(a) - key(b) || a.number - b.number);
  const xs = trials.map((t) => String(t.number));
  const cells: number[][] = [];
  const bits = new Set<number>();
  trials.forEach((t, x) =>
    t.layers.forEach((l, y) => {
      if (l.weight_bits === null) return;
      cells.push([x, y, l.weight_bits]);
      bits.add(l.weight_bits);
    }),
  );
  const sortedBits = [...bits].sort((a, b) => a - b);
  const names = r.layers.map(shortLayerName);
  // Both grids share the left edge (fixed, from the longest layer name) so columns line up.
  const left = Math.min(320, 24 + 6.2 * names.reduce((m, n) => Math.max(m, n.length), 0));
  const zoom = trials.length > 150;
  const bottom = zoom ? 72 : 48;
  return {
    points: trials.length,
    option: baseOption({
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesType: string; value: number[]; data: number[] }) =>
          p.seriesType === 'heatmap'
            ? `trial ${xs[p.value[0]]}<br/>${r.layers[p.value[1]]}<br/>${trials[p.value[0]].layers[p.value[1]].type}, <b>${p.value[2]} bits</b>`
            : `trial ${p.data[0]}<br/>${objective.name} ${formatNumber(p.data[1])}`,
      },
      grid: [
        { left, right: 96, top: 40, height: TOP_HEIGHT - 48 },
        { left, right: 96, top: TOP_HEIGHT, bottom },
      ],
      xAxis: [
        axis('', 'category', { gridIndex: 0, data: xs, axisLabel: { show: false }, axisTick: { show: false } }),
        axis('trial (sorted by ' + objective.name + ')', 'category', { gridIndex: 1, data: xs, nameGap: 32 }),
      ],
      yAxis: [
        axis(objectiveLabel(objective), 'value', { gridIndex: 0, nameLocation: 'end', nameGap: 14, nameTextStyle: { align: 'right', fontWeight: 'bold' }, splitNumber: 2 }),
        axis('', 'category', { gridIndex: 1, data: names, inverse: true, axisLabel: { fontSize: 10, interval: 0 } }),
      ],
      visualMap: {
        type: 'piecewise',
        seriesIndex: 1,
        dimension: 2,
        categories: sortedBits,
        inRange: { color: sortedBits.map((_, i) => BIT_COLORS[Math.round((i * (BIT_COLORS.length - 1)) / Math.max(1, sortedBits.length - 1))]) },
        formatter: (v: number) => `${v} bits`,
        right: 4,
        top: 'middle',
        orient: 'vertical',
      },
      dataZoom: zoom ? [{ type: 'slider', xAxisIndex: [0, 1], bottom: 8, height: 16 }, { type: 'inside', xAxisIndex: [0, 1] }] : [],
      series: [
        {
          type: 'line',
          xAxisIndex: 0,
          yAxisIndex: 0,
          data: trials.map((t) => [String(t.number), finite(t.values[0])]),
          showSymbol: trials.length <= 150,
          symbolSize: 4,
          lineStyle: { color: STATE_COLORS.COMPLETE, width: 1.5 },
          itemStyle: { color: STATE_COLORS.COMPLETE },
        },
        { type: 'heatmap', xAxisIndex: 1, yAxisIndex: 1, data: cells, progressive: 5000, itemStyle: { borderColor: '#fff', borderWidth: trials.length > 150 ? 0 : 0.5 } },
      ],
    }),
  };
}
