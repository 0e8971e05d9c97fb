// api.ts: the client of the dashboard's HTTP API (docs/dashboard.md): GETs and actions with the
// bearer token kept in sessionStorage. Every failure becomes an ApiError whose message names the
// problem (the server's error message when it sent one); nothing here throws anything else.

export class ApiError extends Error {
  // status: the HTTP status, 0 when the server could not be reached.
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'nasq.dashboard.token';
let unauthorizedHandler: () => void = () => {};

// onUnauthorized: cb runs on every 401 answer (the page then asks for a token).
export function onUnauthorized(cb: () => void): void {
  unauthorizedHandler = cb;
}

// setToken: the token sent as "Authorization: Bearer" from now on, kept for this tab only.
export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

// studyPath: the API path of a study's route: studyPath("a/b", "/trials") ->
// "/api/v1/studies/a%2Fb/trials".
export function studyPath(name: string, suffix = ''): string {
  return `/api/v1/studies/${encodeURIComponent(name)}${suffix}`;
}

// apiGet: GET path and its JSON answer.
export function apiGet<T>(path: string): Promise<T> {
  return request<T>('GET', path);
}

// apiAction: a POST or DELETE (an admin action) with a JSON content type, and its answer.
export function apiAction<T>(method: 'POST' | 'DELETE', path: string): Promise<T> {
  return request<T>(method, path);
}

async function request<T>(method: string, path: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (method !== 'GET') headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: method === 'POST' ? '{}' : undefined, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${method} ${path}): ${(e as Error).message}`);
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    if (res.status === 401) unauthorizedHandler();
    const msg = (body as { error?: { message?: string } } | null)?.error?.message;
    const route = path.split('?')[0];
    throw new ApiError(res.status, `${msg ?? res.statusText} (${method} ${route}: HTTP ${res.status})`);
  }
  if (body === null) throw new ApiError(res.status, `${method} ${path}: the answer is not JSON`);
  return body as T;
}
