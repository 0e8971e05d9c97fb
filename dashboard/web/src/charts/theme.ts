// theme.ts: what every chart shares, so that they read alike in a paper: state colours, fonts,
// axes with titles, the "save as PNG" button, tooltip style.

import type { TrialState } from '../types';
import type { ChartOption } from './chart_box';

export const STATE_COLORS: Record<TrialState, string> = {
  COMPLETE: '#1f77b4',
  PRUNED: '#e69f00',
  FAIL: '#d62728',
  RUNNING: '#8c8c8c',
  WAITING: '#c7c7c7',
};
export const FRONT_COLOR = '#1f77b4';
export const DOMINATED_COLOR = '#b0b0b0';
export const INFEASIBLE_COLOR = '#9467bd';
export const BEST_COLOR = '#d62728';
// Perceptually uniform (viridis), for values coloured on a scale.
export const SCALE_COLORS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const LARGE_THRESHOLD = 2000;

// baseOption: the options every chart starts from, merged with `rest`.
export function baseOption(rest: ChartOption): ChartOption {
  return {
    animation: false,
    backgroundColor: '#fff', // saved PNGs are opaque, ready for a paper
    textStyle: { fontFamily: FONT, fontSize: 12, color: '#333' },
    toolbox: { right: 4, top: 0, feature: { saveAsImage: { title: 'Save PNG', pixelRatio: 3 } } },
    tooltip: { confine: true, textStyle: { fontSize: 12 } },
    ...rest,
  };
}

// AxisKind: how an axis spaces its values.
export type AxisKind = 'value' | 'log' | 'category';

// axis: an axis titled `name` (centred along it), nice ticks; integer ticks with `integer`.
export function axis(name: string, kind: AxisKind, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: kind,
    name,
    nameLocation: 'middle',
    nameTextStyle: { fontSize: 13, fontWeight: 'bold', color: '#333' },
    scale: kind === 'value',
    axisLine: { show: true, lineStyle: { color: '#666' } },
    axisTick: { show: true },
    splitLine: { show: kind !== 'category', lineStyle: { color: '#eee' } },
    axisLabel: { color: '#444', hideOverlap: true },
    ...extra,
  };
}

// integerAxis: a value axis of whole numbers (trial numbers, steps).
export function integerAxis(name: string): Record<string, unknown> {
  return axis(name, 'value', { minInterval: 1, nameGap: 28 });
}

// legendTop: a legend above the plot area (never over the data).
export function legendTop(): Record<string, unknown> {
  return { top: 0, left: 'center', itemGap: 16, textStyle: { fontSize: 12 } };
}
