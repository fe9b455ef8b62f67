import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { authFailed, errorAnswer, invalid, serverError, type Answer } from './answers.ts';
import { Books, newId } from './books.ts';
import { makeControl } from './control.ts';
import { Faults, type Fault } from './faults.ts';
import { route, type Ctx } from './routes.ts';
import { parseForm, type Body } from './validate.ts';
import { buildWebhook, Outbox } from './webhooks.ts';

export type FakeRazorpayOptions = {
  keyId?: string; keySecret?: string; webhookSecret?: string; accountId?: string;
  /** Currencies orders accept. Razorpay's recurring payments take INR only. */
  currencies?: string[];
  /** Whether orders created without `payment_capture` auto-capture (an account setting on Razorpay). */
  autoCapture?: boolean;
  /** Where sent webhooks are POSTed (none by default; they are kept in `control.webhooks()`). */
  webhookUrl?: string;
  /** Milliseconds since the epoch for `created_at` fields; a test clock can be plugged in. */
  now?: () => number;
};

export type RecordedRequest = { method: string; path: string; query: Record<string, string>; body: Body; fault: Fault['kind'] | null };

/**
 * A local server speaking Razorpay's REST wire format (orders, recurring payments on saved
 * tokens, captures, refunds, tokens, disputes, signed webhooks) for the official `razorpay` SDK.
 * See README.md in this folder for what it models and where each fact comes from.
 */
export async function startFakeRazorpay(opts: FakeRazorpayOptions = {}) {
  const keyId = opts.keyId ?? `rzp_test_${newId('').slice(0, 14)}`;
  const keySecret = opts.keySecret ?? newId('') + newId('');
  const webhookSecret = opts.webhookSecret ?? `whsec_${newId('')}`;
  const accountId = opts.accountId ?? newId('acc');
  const books = new Books(opts.now ?? Date.now);
  const outbox = new Outbox();
  outbox.url = opts.webhookUrl ?? null;
  const state = { refundStatus: 'processed' as 'processed' | 'pending' };
  const ctx: Ctx = {
    books, keySecret, currencies: opts.currencies ?? ['INR'], defaultCapture: opts.autoCapture ?? true,
    refundStatus: () => state.refundStatus,
    emit: (event, e) => outbox.push(buildWebhook(event, e, { accountId, secret: webhookSecret, createdAt: books.now() })),
  };
  const faults = new Faults();
  const requests: RecordedRequest[] = [];
  const inFlight = new Set<string>();
  const expected = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void serve(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const parsed = parseBody(raw, req.headers['content-type']);
    const rec: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: parsed ?? {}, fault: null };
    requests.push(rec);
    const fault = faults.take(method, url.pathname);
    rec.fault = fault?.kind ?? null;
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'fail') {
      if (fault.html) return void res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return send(res, serverError(fault.status ?? 500));
    }
    // Razorpay answers 409 to a refund whose idempotency key is still being processed.
    const key = method === 'POST' && /\/refund$/.test(url.pathname) ? String(req.headers['x-refund-idempotency'] ?? '') : '';
    if (key && inFlight.has(key)) return send(res, errorAnswer(409, { description: 'A request with the same idempotency key is being processed.' }));
    if (key) inFlight.add(key);
    let answer: Answer;
    try {
      if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 1000);
      if (req.headers.authorization !== expected) answer = authFailed;
      else if (parsed === null) answer = invalid('The request body is not valid JSON.');
      else answer = route(ctx, { method, path: url.pathname, query: url.searchParams, body: parsed, headers: req.headers });
    } finally { if (key) inFlight.delete(key); }
    if (fault?.kind === 'lose') return void res.socket?.destroy();
    send(res, answer);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const control = {
    ...makeControl(ctx, books, outbox, { accountId, secret: webhookSecret, state }),
    /** Every request received, faulted ones included, in arrival order. */
    requests: () => [...requests],
    /** How many recurring-payment requests arrived (each can create a payment). */
    paymentRequests: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/payments/create/recurring').length,
    inject: (f: Fault) => faults.add(f),
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending,
  };
  return {
    port, url, keyId, keySecret, webhookSecret, accountId, control,
    close: async () => { await outbox.flush(); server.closeAllConnections(); await new Promise<void>((r) => server.close(() => r())); },
  };
}

export type FakeRazorpay = Awaited<ReturnType<typeof startFakeRazorpay>>;

function parseBody(raw: string, type: string | undefined): Body | null {
  if (!raw) return {};
  if (type?.includes('application/x-www-form-urlencoded')) return parseForm(raw);
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch { return null; }
}

function send(res: http.ServerResponse, a: Answer) {
  res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
}
