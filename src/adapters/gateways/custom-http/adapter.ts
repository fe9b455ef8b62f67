// Rebill's side of the custom HTTP gateway contract (docs/custom-gateway.md): a merchant's own
// service, in front of any processor, speaking signed JSON. The rule that keeps a customer from
// being charged twice: any answer that does not prove what happened (no answer, a timeout, a 5xx,
// a 409/429, an unreadable body) is `GatewayUnreachableError`, and recovery then looks the charge
// up by Rebill's attempt id before resending it under the same idempotency key.
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { Agent, request } from 'undici';
import {
  GatewayUnreachableError, type CardDetails, type ChargeLookup, type ChargeOutcome, type ChargeRequest, type GatewayConfig,
  type PaymentGateway, type RefundLookup, type RefundOutcome, type RefundRequest, type GatewayEvent, type WebhookDelivery,
} from '../../../app/ports.ts';
import { parseCustomWebhook } from './webhooks.ts';
import { SIGNATURE_HEADER, signRequest } from '../../../domain/gateway-signature.ts';
import { addressAllowed, type UrlPolicy } from '../../../domain/webhook-url.ts';
import { chargeOutcome, configFailure, errorOf, refundOutcome, type Answer } from './answers.ts';

export const CUSTOM_HTTP_TIMEOUT_MS = 10_000;
export const MAX_ANSWER_BYTES = 64 * 1024;

export type CustomHttpOptions = {
  /** The whole exchange, connection to last byte (10 s; tests shorten it). */
  timeoutMs?: number;
  maxAnswerBytes?: number;
  /**
   * The signature's time. Wall-clock time on purpose, not Rebill's business clock: the service
   * checks freshness against its own wall clock, whatever test clock a customer is on.
   */
  now?: () => Date;
  /**
   * Which addresses the service may be reached at: the installation's webhook policy. Checked at
   * every connection on the address actually connected to, so a name that later resolves to a
   * private or metadata address is refused even though api_base was accepted when saved.
   */
  policy?: UrlPolicy;
};

/** Public addresses only, as in production unless REBILL_WEBHOOKS_ALLOW_HTTP/PRIVATE say otherwise. */
const STRICT: UrlPolicy = { allowHttp: false, allowPrivate: false };

class AddressNotAllowed extends Error {
  readonly code = 'EADDRNOTALLOWED';
}

/** Any ISO 4217 currency: amounts go out in Rebill's minor units as they are, and the merchant's service converts for its processor. */
export const CUSTOM_HTTP_CURRENCIES = 'any' as const;

export class CustomHttpGateway implements PaymentGateway {
  readonly name: string;
  readonly currencies = CUSTOM_HTTP_CURRENCIES;
  private readonly base: URL;
  private readonly apiKey: string;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => Date;
  private readonly policy: UrlPolicy;
  // One pool per gateway (built once per gateway version by resolve.ts): a slow merchant service
  // holds its own connections only. Idle sockets close by themselves after undici's keep-alive.
  private readonly agent: Agent;

  constructor(config: GatewayConfig, opts: CustomHttpOptions = {}) {
    if (!config.apiBase) throw new Error(`custom_http gateway ${config.id} has no api_base`);
    const { api_key: apiKey, signing_secret: secret } = config.credentials;
    if (!apiKey || !secret) throw new Error(`custom_http gateway ${config.id} lacks its api_key or signing_secret`);
    this.name = config.id;
    this.base = new URL(config.apiBase.replace(/\/?$/, '/'));
    this.apiKey = apiKey;
    this.secret = secret;
    this.timeoutMs = opts.timeoutMs ?? CUSTOM_HTTP_TIMEOUT_MS;
    this.maxBytes = opts.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    this.now = opts.now ?? (() => new Date());
    this.policy = opts.policy ?? STRICT;
    const lookup = guardedLookup(this.policy);
    this.agent = new Agent({ connections: 16, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, connect: { timeout: this.timeoutMs, lookup: lookup as never } });
  }

  parseWebhook(delivery: WebhookDelivery): GatewayEvent[] {
    return parseCustomWebhook(this.secret, delivery);
  }

  async charge(req: ChargeRequest): Promise<ChargeOutcome> {
    const body = {
      amount: req.amount.toString(), currency: req.currency, token: req.token, gateway_customer: req.gatewayCustomer,
      reference: req.attemptId, invoice: req.reference, customer: req.customerId, attempt_number: req.attemptNumber,
      attempted_at: req.attemptedAt.toISOString(),
    };
    const a = await this.send('POST', 'charges', body, req.idempotencyKey);
    if (a.status >= 200 && a.status < 300) return chargeOutcome(a.json, 'charge');
    return configFailure(a);
  }

  async retrieve(lookup: ChargeLookup): Promise<ChargeOutcome | null> {
    const first = await this.list('charges', lookup.attemptId);
    return first === null ? null : chargeOutcome(first, 'lookup');
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const body = { charge: req.chargeId, amount: req.amount.toString(), currency: req.currency, reference: req.refundId, credit_note: req.reference };
    const a = await this.send('POST', 'refunds', body, req.idempotencyKey);
    if (a.status >= 200 && a.status < 300) return refundOutcome(a.json);
    const err = errorOf(a.json);
    return { status: 'failed', refundId: null, code: err.code ?? `http_${a.status}`, message: err.message ?? `the gateway service refused the refund (HTTP ${a.status})` };
  }

  async retrieveRefund(lookup: RefundLookup): Promise<RefundOutcome | null> {
    const first = await this.list('refunds', lookup.refundId);
    return first === null ? null : refundOutcome(first);
  }

  async inspectToken(token: string, ctx?: { gatewayCustomer: string | null }): Promise<CardDetails | null> {
    const query = ctx?.gatewayCustomer ? `?customer=${encodeURIComponent(ctx.gatewayCustomer)}` : '';
    const a = await this.send('GET', `payment_methods/${encodeURIComponent(token)}${query}`);
    if (a.status === 404) return null;
    if (a.status < 200 || a.status >= 300) throw new GatewayUnreachableError(`custom_http ${this.name}: payment method lookup answered HTTP ${a.status}`);
    const c = a.json as Record<string, unknown> | null;
    const ok = c && typeof c.brand === 'string' && typeof c.last4 === 'string' && /^\d{4}$/.test(c.last4)
      && Number.isInteger(c.exp_month) && Number.isInteger(c.exp_year);
    if (!ok) throw new GatewayUnreachableError(`custom_http ${this.name}: unreadable payment method`);
    return { brand: c.brand as string, last4: c.last4 as string, exp_month: c.exp_month as number, exp_year: c.exp_year as number, country: typeof c.country === 'string' ? c.country : null };
  }

  /** The first object of `GET {base}/{what}?reference=`, or null when the service has none. */
  private async list(what: 'charges' | 'refunds', reference: string): Promise<unknown> {
    const a = await this.send('GET', `${what}?reference=${encodeURIComponent(reference)}`);
    // A lookup that fails proves nothing: the attempt stays open and recovery asks again later.
    if (a.status < 200 || a.status >= 300) throw new GatewayUnreachableError(`custom_http ${this.name}: ${what} lookup answered HTTP ${a.status}`);
    const data = (a.json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new GatewayUnreachableError(`custom_http ${this.name}: unreadable ${what} lookup`);
    return data[0] ?? null;
  }

  /**
   * One signed exchange. Throws GatewayUnreachableError when the answer proves nothing; returns
   * 2xx and the 3xx/4xx refusals (configuration problems, nothing was done) to the caller.
   */
  private async send(method: 'GET' | 'POST', relative: string, body?: unknown, idempotencyKey?: string): Promise<Answer> {
    const url = new URL(relative, this.base);
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`, accept: 'application/json', 'user-agent': 'Rebill-Gateway/1',
      [SIGNATURE_HEADER]: signRequest(this.secret, this.now(), { method, path: url.pathname + url.search, body: text }),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const where = `${method} ${url.pathname}`;
    // Refused before any byte is sent: nothing can have been charged, so it is a refusal, not an unknown.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if ((/^[\d.]+$/.test(host) || host.includes(':')) && !addressAllowed(host, this.policy)) return notAllowed(host);
    let status: number;
    let raw: string | null;
    try {
      // undici's request never follows redirects: a 3xx comes back as it is.
      const res = await request(url, { method, headers, body: text || undefined, dispatcher: this.agent, signal: AbortSignal.timeout(this.timeoutMs) });
      status = res.statusCode;
      raw = await readCapped(res.body, this.maxBytes);
    } catch (err) {
      if (innermost(err) instanceof AddressNotAllowed) return notAllowed(url.hostname);
      throw new GatewayUnreachableError(`custom_http ${this.name}: no answer to ${where} (${reason(err)})`);
    }
    if (status >= 500 || status === 408 || status === 409 || status === 425 || status === 429) {
      throw new GatewayUnreachableError(`custom_http ${this.name}: ${where} answered HTTP ${status}`);
    }
    if (raw === null) throw new GatewayUnreachableError(`custom_http ${this.name}: the answer to ${where} exceeded ${this.maxBytes} bytes`);
    let json: unknown = null;
    try { json = raw === '' ? null : JSON.parse(raw); } catch { json = null; }
    if (status >= 200 && status < 300 && json === null) throw new GatewayUnreachableError(`custom_http ${this.name}: unreadable answer to ${where}`);
    return { status, json };
  }
}

/** The whole body as text, or null past `max` bytes (the rest is not read). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<string | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) { body.destroy(); return null; }
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

const notAllowed = (host: string): Answer =>
  ({ status: 0, json: { error: { code: 'address_not_allowed', message: `api_base's host ${host} is not a public address` } } });

function innermost(err: unknown): (Error & { code?: string }) | undefined {
  let e = err as (Error & { code?: string }) | undefined;
  while (e?.cause instanceof Error) e = e.cause as Error & { code?: string };
  return e;
}

/** The system's DNS lookup, refusing a name any of whose addresses the policy forbids. */
function guardedLookup(policy: UrlPolicy) {
  return (host: string, options: LookupOneOptions | LookupAllOptions, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dns.promises.lookup(host, { all: true, verbatim: true }).then((all) => {
      if (all.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
      const refused = all.find((a) => !addressAllowed(a.address, policy));
      if (refused) throw new AddressNotAllowed(`${host} resolves to a forbidden address`);
      if ((options as LookupAllOptions).all) cb(null, all);
      else cb(null, all[0]!.address, all[0]!.family);
    }).catch((err: Error) => cb(err, ''));
  };
}

function reason(err: unknown): string {
  const e = innermost(err);
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || /TIMEOUT/.test(e?.code ?? '')) return 'timed out';
  return (e?.code ?? e?.name ?? 'error').slice(0, 60);
}

/** The factory runtime.ts registers; tests pass shorter timeouts. */
export const customHttpFactory = (opts: CustomHttpOptions = {}) => (config: GatewayConfig): PaymentGateway => new CustomHttpGateway(config, opts);
