// router.ts: the page's routes as URL fragments (#/, #/studies/<name>[/<tab>],
// #/studies/<name>/trials/<number>, #/workers) and the links to them.

export const TABS = ['history', 'trials', 'pareto', 'parallel', 'slice', 'intermediate', 'importance', 'precision'] as const;
export type Tab = (typeof TABS)[number];

export type Route =
  | { kind: 'studies' }
  | { kind: 'workers' }
  | { kind: 'study'; name: string; tab: Tab }
  | { kind: 'trial'; name: string; number: number }
  | { kind: 'unknown'; hash: string };

// parseRoute: the route a fragment names ("#/studies/demo/pareto"); kind 'unknown' otherwise.
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  if (parts.length === 0) return { kind: 'studies' };
  if (parts[0] === 'workers' && parts.length === 1) return { kind: 'workers' };
  if (parts[0] === 'studies' && parts.length >= 2) {
    let name: string;
    try {
      name = decodeURIComponent(parts[1]);
    } catch {
      return { kind: 'unknown', hash };
    }
    if (parts.length === 2) return { kind: 'study', name, tab: 'history' };
    if (parts.length === 3 && (TABS as readonly string[]).includes(parts[2])) {
      return { kind: 'study', name, tab: parts[2] as Tab };
    }
    if (parts.length === 4 && parts[2] === 'trials' && /^\d+$/.test(parts[3])) {
      return { kind: 'trial', name, number: Number(parts[3]) };
    }
  }
  return { kind: 'unknown', hash };
}

export function studyHref(name: string, tab?: Tab): string {
  return `#/studies/${encodeURIComponent(name)}${tab ? `/${tab}` : ''}`;
}

export function trialHref(name: string, number: number): string {
  return `#/studies/${encodeURIComponent(name)}/trials/${number}`;
}
