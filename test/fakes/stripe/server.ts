import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeControl } from './control.ts';
import { Faults } from './faults.ts';
import { canonical, FormError, parseForm, type Params } from './form.ts';
import { IdempotencyStore } from './idempotency.ts';
import { errorBody, newId, type StripeErrorBody } from './objects.ts';
import { expand, match } from './routes.ts';
import { ApiError, State } from './state.ts';

/**
 * A local server speaking Stripe's v1 API wire format, for testing code that uses the official
 * `stripe` package without the internet. See README.md beside this file for what it models.
 *
 *   const fake = await startFakeStripe();
 *   const stripe = new Stripe(fake.secretKey, { ...fake.sdkOptions, maxNetworkRetries: 0, timeout: 2000 });
 */
export type StartOptions = {
  secretKey?: string;
  webhookSecret?: string;
  /** The base clock (ms since epoch); control.clock.advance() moves the fake's time on from it. */
  now?: () => number;
  /** `api_version` written into events. */
  apiVersion?: string;
};

export type RequestRecord = {
  id: string; at: number; method: string; path: string; params: Params; idempotencyKey: string | null;
  /** What became of it: the HTTP status sent, or the fault that met it. */
  outcome: number | 'hung' | 'lost' | 'pending';
  replayed: boolean;
};

export type FakeStripe = Awaited<ReturnType<typeof startFakeStripe>>;

export async function startFakeStripe(opts: StartOptions = {}) {
  const secretKey = opts.secretKey ?? `sk_test_${newId('x', 32).slice(2)}`;
  const webhookSecret = opts.webhookSecret ?? `whsec_${newId('x', 32).slice(2)}`;
  let offset = 0;
  const base = opts.now ?? Date.now;
  const clock = { now: () => base() + offset, advance: (ms: number) => { offset += ms; } };
  const state = new State(clock.now, opts.apiVersion ?? '2026-10-28.endive');
  const faults = new Faults();
  const keys = new IdempotencyStore(clock.now);
  const requests: RequestRecord[] = [];
  const hung = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => {
        if (!res.headersSent) send(res, 500, JSON.stringify(errorBody({ type: 'api_error', message: String(err?.message ?? err) }, 'req_fake')), {});
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const requestId = newId('req', 14);
    const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': String(req.headers['stripe-version'] ?? state.apiVersion) };
    const key = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) ?? null : null;
    if (key) headers['idempotency-key'] = key;
    const fail = (status: number, e: StripeErrorBody, extra: Record<string, string> = {}) => {
      rec.outcome = status;
      send(res, status, JSON.stringify(errorBody(e, requestId)), { ...headers, ...extra });
    };

    let params: Params = {};
    const rec: RequestRecord = { id: requestId, at: clock.now(), method, path: url.pathname, params, idempotencyKey: key, outcome: 'pending', replayed: false };
    requests.push(rec);
    try {
      params = { ...parseForm(url.search.slice(1)), ...(method === 'POST' ? parseForm(raw) : {}) };
      rec.params = params;
    } catch (err) {
      if (err instanceof FormError) return fail(400, { type: 'invalid_request_error', message: err.message });
      throw err;
    }

    const fault = faults.take(method, url.pathname);
    if (fault?.kind === 'hang') { rec.outcome = 'hung'; hung.add(res); return; }
    if (fault?.kind === 'error') return fail(fault.status ?? 500, { type: 'api_error', message: 'An unknown error occurred' });

    const auth = bearer(req.headers.authorization);
    if (!auth) return fail(401, { type: 'invalid_request_error', message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/." }, { 'www-authenticate': 'Bearer realm="Stripe"' });
    if (auth !== secretKey) return fail(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${auth.slice(0, 8)}${'*'.repeat(Math.max(0, auth.length - 12))}${auth.slice(-4)}` }, { 'www-authenticate': 'Bearer realm="Stripe"' });

    const found = match(method, url.pathname);
    if (!found) return fail(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.` });

    if (key) {
      if (key.length > 255) return fail(400, { type: 'invalid_request_error', message: 'Idempotency-Key must be at most 255 characters long.' });
      const fingerprint = canonical(params);
      const saved = keys.find(key);
      if (saved && saved.status === undefined) {
        return fail(409, { type: 'invalid_request_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this Idempotency-Key. Please try again later.' });
      }
      if (saved && saved.endpoint !== url.pathname) {
        return fail(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${url.pathname}' vs '${saved.endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.` });
      }
      if (saved && saved.fingerprint !== fingerprint) {
        return fail(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` });
      }
      if (saved) {
        rec.replayed = true;
        return answer(saved.status!, saved.body!, { 'idempotent-replayed': 'true', 'original-request': saved.requestId });
      }
      keys.begin(key, url.pathname, fingerprint, requestId);
    }

    // A slow answer is slow while executing: the key is in flight, a concurrent retry meets 409.
    if (fault?.kind === 'delay') { await sleep(fault.ms ?? 0); await fault.until; }
    let status = 200;
    let body: string;
    let saved = true;
    try {
      const obj = found.handler(state, found.m, params, { requestId, idempotencyKey: key });
      body = JSON.stringify(expand(state, structuredClone(obj), params), null, 2);
    } catch (err) {
      if (!(err instanceof ApiError)) { if (key) keys.abandon(key); throw err; }
      status = err.status;
      body = JSON.stringify(errorBody(err.body, requestId), null, 2);
      saved = err.saved;
    }
    if (fault?.kind === 'errorAfter') {
      // Stripe saves a 500 met mid-execution under the key, so a retry replays the 500 too.
      status = fault.status ?? 500;
      body = JSON.stringify(errorBody({ type: 'api_error', message: 'An unknown error occurred' }, requestId), null, 2);
      saved = true;
    }
    if (key) {
      if (saved) keys.finish(key, status, body);
      else keys.abandon(key);
    }

    return answer(status, body, {});

    // The work is done (or replayed): a `lose` or `hangAfter` fault now keeps the answer from the client.
    async function answer(status: number, body: string, extra: Record<string, string>): Promise<void> {
      if (fault?.kind === 'delay' && rec.replayed) await sleep(fault.ms ?? 0);
      if (fault?.kind === 'lose') { rec.outcome = 'lost'; res.socket?.destroy(); return; }
      if (fault?.kind === 'hangAfter') { rec.outcome = 'hung'; hung.add(res); return; }
      rec.outcome = status;
      send(res, status, body, { ...headers, ...extra });
    }
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const host = '127.0.0.1';
  return {
    host, port, url: `http://${host}:${port}`, secretKey, webhookSecret,
    /** Spread into `new Stripe(key, { ...sdkOptions })` to point the official SDK here. */
    sdkOptions: { host, port, protocol: 'http' as const },
    control: makeControl({ state, faults, keys, requests, clock, webhookSecret }),
    close: () => new Promise<void>((r) => {
      for (const res of hung) res.socket?.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  // curl -u sk_test_…: sends Basic auth with the key as the user name; Stripe accepts it.
  if (scheme?.toLowerCase() === 'basic' && value) return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'access-control-allow-origin': '*' });
  res.end(body);
}
