// The dashboard's one way to the server: the same /v1 API, with the same role checks, as any
// client. Signed in with a user, the session cookie authenticates and every write carries the
// session's CSRF token; signed in with an API key, the key goes in the Authorization header and
// lives only as long as the tab (sessionStorage).
export type Auth = { kind: 'key'; key: string } | { kind: 'session'; csrf: string; email: string; role: string };

const STORE = 'rebill.dashboard.auth';
let auth: Auth | null = JSON.parse(sessionStorage.getItem(STORE) ?? 'null') as Auth | null;

export const currentAuth = () => auth;
export function setAuth(a: Auth | null) {
  auth = a;
  if (a) sessionStorage.setItem(STORE, JSON.stringify(a)); else sessionStorage.removeItem(STORE);
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly param: string | null) { super(message); }
}

export async function api<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  try {
    return await send<T>(method, path, body);
  } catch (err) {
    // The password was changed in another tab: the browser holds that tab's new session cookie,
    // and this tab an old CSRF token. Read the new one (a GET needs none) and send once more: a
    // request refused for its CSRF token was refused before anything ran. Only for the same user:
    // a cookie of someone who signed in since in another tab must not act for this tab's user.
    if (!(err instanceof ApiError && err.code === 'csrf_token_invalid' && auth?.kind === 'session')) throw err;
    const s = await send<{ csrf_token: string; user: { email: string } }>('GET', '/v1/sessions/current');
    if (s.user.email !== auth.email) throw err;
    setAuth({ ...auth, csrf: s.csrf_token });
    return await send<T>(method, path, body);
  }
}

async function send<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth?.kind === 'key') headers.authorization = `Bearer ${auth.key}`;
  if (auth?.kind === 'session' && method !== 'GET') headers['x-csrf-token'] = auth.csrf;
  const r = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) {
    const e = json?.error ?? {};
    if (r.status === 401) setAuth(null);
    throw new ApiError(r.status, e.code ?? 'error', e.message ?? `${r.status}`, e.param ?? null);
  }
  return json as T;
}

/** A query string from the defined values. */
export const qs = (params: Record<string, string | number | undefined | null>) => {
  const p = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return p.length ? `?${p.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}` : '';
};
