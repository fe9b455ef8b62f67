// An example of the merchant's side of Rebill's custom HTTP gateway contract
// (docs/custom-gateway.md): a small in-memory "processor" that verifies Rebill's key and
// signature, charges once per idempotency key, finds charges and refunds by Rebill's reference,
// and behaves by test token, attempt number and date. Replace `decide` with a call to your real
// processor and the Maps with your database, and keep the rest.
//   PORT=4010 GATEWAY_API_KEY=… GATEWAY_SIGNING_SECRET=… node --import tsx examples/custom-gateway/server.ts
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { SIGNATURE_HEADER, signatureProblem, signRequest } from '../../src/domain/gateway-signature.ts';

export type ExampleOptions = {
  apiKey: string;
  signingSecret: string;
  port?: number;
  host?: string;
  /** Wall clock for signature freshness (tests may move it). */
  now?: () => Date;
  /** Rebill's inbound endpoint for this gateway; final outcomes are sent there, signed, when set. */
  webhookUrl?: string;
  log?: (line: string) => void;
};

export type Charge = {
  id: string; status: 'succeeded' | 'processing' | 'requires_action' | 'failed'; amount: bigint; refunded: bigint; currency: string;
  token: string; reference: string; invoice: string | null; customer: string | null; attempt_number: number; attempted_at: string;
  decline_code: string | null; message: string | null; action_url: string | null;
};
export type Refund = { id: string; status: 'succeeded' | 'pending' | 'failed'; charge: string; amount: bigint; currency: string; reference: string };

export type ExampleGateway = {
  url: string;
  charges: Charge[];
  refunds: Refund[];
  /** The next answer to `POST /{what}` is lost after the work is done: the connection drops. */
  loseNextAnswer(what: 'charges' | 'refunds'): void;
  /** Settles a `processing` charge (a bank debit clearing) and sends its webhook. */
  settle(chargeId: string, status: 'succeeded' | 'failed'): Promise<void>;
  close(): Promise<void>;
};

type Reply = { status: number; body: unknown };
type Stored = { fingerprint: string; reply: Reply };

const MAX_BODY = 64 * 1024;
const CARDS: Record<string, string> = {
  card_ok: '4242', card_insufficient_funds: '9995', card_stolen: '9979', card_fraud: '0019', card_processing: '3220',
  card_requires_action: '3184', card_recovers_on_attempt_3: '0341', card_lost_answer: '0077', card_no_answer: '0078', card_unavailable_once: '0503',
};
const FUNDED_FROM = /^card_funded_from_(\d{4}-\d{2}-\d{2})$/;

/** What the "processor" does with a charge: the test tokens' behaviours. */
function decide(token: string, attemptNumber: number, attemptedAt: Date): Pick<Charge, 'status' | 'decline_code' | 'message'> {
  const ok = { status: 'succeeded' as const, decline_code: null, message: null };
  const no = (code: string, message: string) => ({ status: 'failed' as const, decline_code: code, message });
  const funded = FUNDED_FROM.exec(token);
  if (funded) return attemptedAt >= new Date(`${funded[1]}T00:00:00Z`) ? ok : no('insufficient_funds', 'Not enough funds before payday.');
  switch (token) {
    case 'card_insufficient_funds': return no('insufficient_funds', 'Insufficient funds.');
    case 'card_stolen': return no('stolen_card', 'The card was reported stolen.');
    case 'card_fraud': return no('fraudulent', 'Blocked by risk rules.');
    case 'card_processing': return { status: 'processing', decline_code: null, message: null };
    case 'card_requires_action': return { status: 'requires_action', decline_code: null, message: null };
    case 'card_recovers_on_attempt_3': return attemptNumber >= 3 ? ok : no('insufficient_funds', 'Insufficient funds.');
    default: return CARDS[token] ? ok : no('invalid_payment_method', 'No such card.');
  }
}

const json = (c: Charge) => ({
  id: c.id, object: 'charge', status: c.status, amount: c.amount.toString(), currency: c.currency, reference: c.reference,
  ...(c.decline_code ? { decline_code: c.decline_code, message: c.message } : {}), ...(c.action_url ? { action_url: c.action_url } : {}),
});
const refundJson = (r: Refund) => ({ id: r.id, object: 'refund', status: r.status, charge: r.charge, amount: r.amount.toString(), currency: r.currency, reference: r.reference });
const fail = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } });

export async function startExampleGateway(opts: ExampleOptions): Promise<ExampleGateway> {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const charges = new Map<string, Charge>();
  const refunds = new Map<string, Refund>();
  const byKey = new Map<string, Stored>();
  const unavailableOnce = new Set<string>();
  const lose = new Set<string>();
  let url = '';

  async function sendWebhook(type: string, data: unknown) {
    if (!opts.webhookUrl) return;
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type, created: Math.floor(now().getTime() / 1000), data });
    const target = new URL(opts.webhookUrl);
    const signature = signRequest(opts.signingSecret, now(), { method: 'POST', path: target.pathname + target.search, body });
    try {
      await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body, redirect: 'manual', signal: AbortSignal.timeout(5000) });
    } catch (err) { log(`webhook ${type} not delivered: ${(err as Error).message}`); }
  }

  function createCharge(b: Record<string, unknown>): Reply {
    const amount = typeof b.amount === 'string' && /^\d{1,30}$/.test(b.amount) ? BigInt(b.amount) : null;
    const attemptedAt = typeof b.attempted_at === 'string' ? new Date(b.attempted_at) : null;
    if (amount === null || amount <= 0n) return fail(400, 'invalid_amount', 'amount must be a positive integer of minor units, as a decimal string');
    if (typeof b.currency !== 'string' || !/^[a-z]{3}$/.test(b.currency)) return fail(400, 'invalid_request', 'currency must be a lower-case ISO 4217 code');
    if (typeof b.token !== 'string' || typeof b.reference !== 'string' || !b.reference) return fail(400, 'invalid_request', 'token and reference are required');
    if (!Number.isInteger(b.attempt_number) || (b.attempt_number as number) < 1) return fail(400, 'invalid_request', 'attempt_number must be a positive integer');
    if (!attemptedAt || Number.isNaN(attemptedAt.getTime())) return fail(400, 'invalid_request', 'attempted_at must be an RFC 3339 time');
    const id = `ch_${randomUUID().replaceAll('-', '')}`;
    const outcome = decide(b.token, b.attempt_number as number, attemptedAt);
    const c: Charge = {
      id, ...outcome, amount, refunded: 0n, currency: b.currency, token: b.token, reference: b.reference,
      invoice: typeof b.invoice === 'string' ? b.invoice : null, customer: typeof b.customer === 'string' ? b.customer : null,
      attempt_number: b.attempt_number as number, attempted_at: attemptedAt.toISOString(),
      action_url: outcome.status === 'requires_action' ? `${url}/authenticate/${id}` : null,
    };
    charges.set(id, c);
    if (c.status === 'succeeded' || c.status === 'failed') void sendWebhook(`charge.${c.status}`, json(c));
    return { status: 200, body: json(c) };
  }

  function createRefund(b: Record<string, unknown>): Reply {
    const c = typeof b.charge === 'string' ? charges.get(b.charge) : undefined;
    const amount = typeof b.amount === 'string' && /^\d{1,30}$/.test(b.amount) ? BigInt(b.amount) : null;
    if (!c) return fail(404, 'charge_not_found', 'No such charge.');
    if (c.status !== 'succeeded') return fail(400, 'charge_not_refundable', 'Only a succeeded charge can be refunded.');
    if (amount === null || amount <= 0n || amount > c.amount - c.refunded) return fail(400, 'invalid_amount', 'The amount exceeds what is left of the charge.');
    if (b.currency !== c.currency) return fail(400, 'invalid_request', 'The currency differs from the charge.');
    if (typeof b.reference !== 'string' || !b.reference) return fail(400, 'invalid_request', 'reference is required');
    c.refunded += amount;
    const r: Refund = { id: `re_${randomUUID().replaceAll('-', '')}`, status: 'succeeded', charge: c.id, amount, currency: c.currency, reference: b.reference };
    refunds.set(r.id, r);
    void sendWebhook('refund.succeeded', refundJson(r));
    return { status: 200, body: refundJson(r) };
  }

  /** Runs `work` once per idempotency key; a repeated key answers the first reply again. */
  function once(key: string | undefined, raw: string, work: () => Reply): Reply {
    if (!key || key.length > 255) return fail(400, 'idempotency_key_missing', 'Idempotency-Key is required');
    const seen = byKey.get(key);
    if (seen) return seen.fingerprint === raw ? seen.reply : fail(422, 'idempotency_key_reused', 'This key was used with another request.');
    const reply = work();
    // A refusal did nothing and is not stored: the same key may be sent again once fixed.
    if (reply.status < 400) byKey.set(key, { fingerprint: raw, reply });
    return reply;
  }

  function route(req: IncomingMessage, raw: string, u: URL): Reply | 'lose' | 'hang' {
    const path = u.pathname.replace(/\/+$/, '');
    if (req.method === 'POST' && (path === '/charges' || path === '/refunds')) {
      let b: Record<string, unknown>;
      try { b = JSON.parse(raw) as Record<string, unknown>; } catch { return fail(400, 'invalid_request', 'The body is not JSON.'); }
      if (!b || typeof b !== 'object') return fail(400, 'invalid_request', 'The body is not a JSON object.');
      const key = req.headers['idempotency-key'] as string | undefined;
      const what = path.slice(1) as 'charges' | 'refunds';
      // The 5xx a processor gives before doing anything: nothing is recorded, a resend succeeds.
      if (what === 'charges' && b.token === 'card_unavailable_once' && key && !unavailableOnce.has(key)) {
        unavailableOnce.add(key);
        return fail(503, 'unavailable', 'Try again later.');
      }
      const firstTime = key !== undefined && !byKey.has(key);
      const reply = once(key, raw, () => (what === 'charges' ? createCharge(b) : createRefund(b)));
      if (firstTime && reply.status < 400) {
        if (lose.delete(what) || b.token === 'card_lost_answer') return 'lose';
        if (b.token === 'card_no_answer') return 'hang';
      }
      return reply;
    }
    if (req.method === 'GET' && (path === '/charges' || path === '/refunds')) {
      const ref = u.searchParams.get('reference');
      if (!ref) return fail(400, 'invalid_request', 'reference is required');
      const data = path === '/charges' ? [...charges.values()].filter((c) => c.reference === ref).map(json) : [...refunds.values()].filter((r) => r.reference === ref).map(refundJson);
      return { status: 200, body: { object: 'list', data } };
    }
    const pm = /^\/payment_methods\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && pm) {
      const token = decodeURIComponent(pm[1]!);
      const last4 = CARDS[token] ?? (FUNDED_FROM.test(token) ? '1881' : null);
      if (!last4) return fail(404, 'payment_method_not_found', 'No such payment method.');
      return { status: 200, body: { brand: 'visa', last4, exp_month: 12, exp_year: 2034, country: 'US' } };
    }
    return fail(404, 'not_found', 'No such endpoint.');
  }

  function authProblem(req: IncomingMessage, raw: string): Reply | null {
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    const expected = Buffer.from(`Bearer ${opts.apiKey}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail(401, 'invalid_api_key', 'The API key is not valid.');
    const problem = signatureProblem(opts.signingSecret, req.headers[SIGNATURE_HEADER] as string | undefined, { method: req.method ?? '', path: req.url ?? '', body: raw }, now());
    const why = { missing: 'is missing', malformed: 'is malformed', stale: 'is too old (or too far ahead)', mismatch: 'does not match' } as const;
    return problem ? fail(401, 'invalid_signature', `The Rebill-Signature ${why[problem]}.`) : null;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) { res.writeHead(413).end(); req.destroy(); } else parts.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      const raw = Buffer.concat(parts).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://gateway.local');
      const result = authProblem(req, raw) ?? route(req, raw, u);
      if (result === 'lose') { log(`${req.method} ${u.pathname}: answer lost`); res.socket?.destroy(); return; }
      if (result === 'hang') { log(`${req.method} ${u.pathname}: no answer`); return; }
      log(`${req.method} ${u.pathname} ${result.status}`);
      res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  url = `http://${opts.host ?? '127.0.0.1'}:${address.port}`;

  return {
    url,
    get charges() { return [...charges.values()]; },
    get refunds() { return [...refunds.values()]; },
    loseNextAnswer: (what) => { lose.add(what); },
    async settle(chargeId, status) {
      const c = charges.get(chargeId);
      if (!c || c.status !== 'processing') throw new Error(`charge ${chargeId} is not processing`);
      c.status = status;
      if (status === 'failed') Object.assign(c, { decline_code: 'insufficient_funds', message: 'The debit bounced.' });
      await sendWebhook(`charge.${status}`, json(c));
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const apiKey = process.env.GATEWAY_API_KEY;
  const signingSecret = process.env.GATEWAY_SIGNING_SECRET;
  if (!apiKey || !signingSecret) {
    console.error('Set GATEWAY_API_KEY and GATEWAY_SIGNING_SECRET (the credentials given to the Rebill gateway).');
    process.exit(1);
  }
  const gw = await startExampleGateway({
    apiKey, signingSecret, port: Number(process.env.PORT ?? 4010), host: process.env.HOST ?? '127.0.0.1',
    webhookUrl: process.env.REBILL_WEBHOOK_URL, log: (line) => console.log(line),
  });
  console.log(`example gateway listening on ${gw.url}`);
}
