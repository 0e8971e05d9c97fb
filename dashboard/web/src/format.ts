// format.ts: how numbers, times and durations are written on the page. Pure functions; they
// never throw (an absent value is written "-").

import type { Attempt, JsonNumber, Objective } from './types';

export const ABSENT = '-';

// toNumber: the API's number (possibly "NaN"/"Infinity"/"-Infinity") as a JS number, or null
// when absent or not a number at all.
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return null;
}

// finite: toNumber(v) when finite, else null (what charts can plot).
export function finite(v: unknown): number | null {
  const x = toNumber(v);
  return x !== null && Number.isFinite(x) ? x : null;
}

// rawValue: the text of a data-value attribute: the number at full precision as JSON number text,
// the API's strings for non-finite numbers.
export function rawValue(v: JsonNumber | number): string {
  const x = toNumber(v);
  if (x === null) return String(v);
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return JSON.stringify(x);
}

// formatNumber: a value for reading: integers as they are, others to 5 significant digits,
// exponent notation when very large (>= 1e6) or small (< 1e-3); "-" when absent.
export function formatNumber(v: unknown): string {
  const x = toNumber(v);
  if (x === null) return ABSENT;
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(4).replace(/\.?0+e/, 'e');
  return String(Number(x.toPrecision(5)));
}

// formatParam: a param's external value: numbers through formatNumber, anything else as text.
export function formatParam(v: unknown): string {
  if (v === null || v === undefined) return ABSENT;
  if (typeof v === 'number') return formatNumber(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// formatDuration: milliseconds as "850 ms", "21.5 s", "3 min 12 s", "2 h 05 min", "3 d 04 h".
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return ABSENT;
  if (ms < 0) return '-' + formatDuration(-ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const total = Math.floor(s);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3600) return `${Math.floor(total / 60)} min ${pad(total % 60)} s`;
  if (total < 86400) return `${Math.floor(total / 3600)} h ${pad(Math.floor((total % 3600) / 60))} min`;
  return `${Math.floor(total / 86400)} d ${pad(Math.floor((total % 86400) / 3600))} h`;
}

// formatTime: microseconds since the epoch as local "YYYY-MM-DD HH:MM:SS".
export function formatTime(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return ABSENT;
  const d = new Date(us / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

// objectiveLabel: an objective's name with its direction, "accuracy ↑" (maximize) or
// "avg_bitwidth ↓" (minimize): the axis titles of every chart.
export function objectiveLabel(o: Objective): string {
  return `${o.name} ${o.direction === 'maximize' ? '↑' : '↓'}`;
}

// attemptOutcome: how an attempt's lease ended, with the reason when the server gave one:
// "released: SIGTERM (the job's time limit)", "expired", "running".
export function attemptOutcome(a: Pick<Attempt, 'outcome' | 'reason'>): string {
  return a.reason ? `${a.outcome}: ${a.reason}` : a.outcome;
}
