// types.ts: the JSON shapes of the dashboard's HTTP API (docs/dashboard.md), as the page reads
// them. Numbers that may be non-finite arrive as JsonNumber ("NaN", "Infinity", "-Infinity").

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export const TRIAL_STATES = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'] as const;
export type TrialState = (typeof TRIAL_STATES)[number];

export interface Objective {
  name: string;
  direction: 'maximize' | 'minimize';
}

export interface StudySummary {
  name: string;
  state: string;
  revision: number;
  objectives: Objective[];
  sampler: string;
  task_kind: string;
  max_trials: number;
  counts: Record<TrialState, number>;
  best: { number: number; values: JsonNumber[] } | null;
  n_best: number;
  created_us: number | null;
  datetime_start_us: number | null;
  datetime_last_us: number | null;
}

export interface StudiesResponse {
  studies: StudySummary[];
  now_us: number;
}

export interface Distribution {
  name: 'FloatDistribution' | 'IntDistribution' | 'CategoricalDistribution';
  attributes: {
    low?: number;
    high?: number;
    log?: boolean;
    step?: number | null;
    choices?: unknown[];
  };
}

export interface ParamInfo {
  name: string;
  distribution: Distribution;
}

export type Attrs = Record<string, unknown>;

export interface Trial {
  number: number;
  state: TrialState;
  values: JsonNumber[] | null;
  params: Record<string, unknown>;
  datetime_start_us: number | null;
  datetime_complete_us: number | null;
  duration_ms: number | null;
  attempt: number;
  worker: ({ id: string } & Record<string, unknown>) | null;
  user_attrs: Attrs;
  system_attrs: Attrs;
  feasible: boolean;
  n_steps: number;
  last_step: number | null;
  intermediate_values?: [number, JsonNumber][];
}

export interface StudyDetailResponse {
  study: StudySummary & { spec: unknown; params: ParamInfo[]; user_attrs: Attrs; system_attrs: Attrs };
  best_trials: Trial[];
  hypervolume: number | null;
  now_us: number;
}

export interface TrialsPage {
  total: number;
  offset: number;
  limit: number;
  revision: number;
  trials: Trial[];
}

export interface Attempt {
  attempt: number;
  worker_id: string | null;
  start_us: number | null;
  end_us: number | null;
  outcome: string;
  // Why the lease ended, when the server knows (a released trial: the worker's reason).
  reason?: string;
}

export interface TrialResponse {
  trial: Trial;
  attempts?: Attempt[];
  now_us: number;
}

export interface Series {
  revision: number;
  number: number[];
  state: TrialState[];
  values: (JsonNumber | null)[][];
  params: Record<string, unknown[]>;
  datetime_start_us: (number | null)[];
  datetime_complete_us: (number | null)[];
  feasible: boolean[];
}

export interface IntermediateResponse {
  revision: number;
  trials: { number: number; state: TrialState; steps: number[]; values: JsonNumber[] }[];
}

export interface ImportanceResponse {
  method: string;
  objective: number;
  n_trials: number;
  importances: { param: string; importance: number }[];
}

export interface PrecisionResponse {
  layers: string[];
  trials: {
    number: number;
    values: (JsonNumber | null)[];
    layers: { type: string; weight_bits: number | null }[];
  }[];
}

export interface WorkersResponse {
  now_us: number;
  workers: {
    id: string;
    labels: Record<string, string>;
    first_seen_us: number | null;
    last_seen_us: number | null;
    heartbeat_age_ms: number;
    running: { study: string; number: number; since_us: number | null; last_step: number | null }[];
  }[];
}
