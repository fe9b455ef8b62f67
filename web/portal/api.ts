// The portal's one way to the server: /v1/portal/…, with the session's token as a bearer. The
// token arrives in the URL's fragment (never sent to a server, so never in a log or a Referer);
// it is moved at once into this tab's sessionStorage and the fragment is cleared from the address bar.
const STORE = 'rebill.portal.token';

function takeToken(): string | null {
  const fragment = location.hash.slice(1);
  if (fragment) {
    sessionStorage.setItem(STORE, fragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(STORE);
}
const token = takeToken();
export const hasToken = () => token !== null;

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly param: string | null) { super(message); }
}

async function send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, credentials: 'omit', body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) {
    const e = ((await r.json().catch(() => null)) as { error?: { code?: string; message?: string; param?: string | null } } | null)?.error ?? {};
    throw new ApiError(r.status, e.code ?? 'error', e.message ?? `${r.status}`, e.param ?? null);
  }
  return r;
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  return (await (await send(method, path, body)).json()) as T;
}

/** Downloads a file the API serves with the bearer (a plain link could not carry it). */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await send('GET', path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url; a.download = filename;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
