// param_axis.ts: how a param's values lie on an axis: categorical params on a category axis of
// their choices (in spec order), log-scaled params on a log axis, others on a value axis; numeric
// axes span the space's bounds, int params get whole-number ticks.

import { formatParam } from '../format';
import type { ParamInfo } from '../types';
import type { AxisKind } from './theme';

export interface ParamAxis {
  kind: AxisKind;
  categories?: string[]; // the choices' labels, category axes only
  extra: Record<string, unknown>; // ECharts axis settings: the space's bounds, integer ticks
  // position: the value on the axis (a choice's label; the number itself otherwise), null when
  // the trial has no value for the param (a conditional param not sampled).
  position(v: unknown): string | number | null;
}

export function paramAxis(p: ParamInfo): ParamAxis {
  const d = p.distribution;
  if (d.name === 'CategoricalDistribution') {
    return {
      kind: 'category',
      categories: (d.attributes.choices ?? []).map(formatParam),
      extra: {},
      position: (v) => (v === null || v === undefined ? null : formatParam(v)),
    };
  }
  return {
    kind: d.attributes.log ? 'log' : 'value',
    extra: {
      min: d.attributes.low,
      max: d.attributes.high,
      minInterval: d.name === 'IntDistribution' ? 1 : undefined,
    },
    position: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null),
  };
}
