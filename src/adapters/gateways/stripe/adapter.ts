import Stripe from 'stripe';
import type { CardDetails, ChargeLookup, ChargeOutcome, ChargeRequest, GatewayConfig, GatewayEvent, GatewayFactory, PaymentGateway, RefundLookup, RefundOutcome, RefundRequest, WebhookDelivery } from '../../../app/ports.ts';
import { DEFAULT_API_BASE } from '../../../domain/gateway-types.ts';
import { STRIPE_CURRENCIES, toStripeAmount } from './amounts.ts';
import { parseStripeWebhook } from './webhooks.ts';
import { chargeErrorOutcome, intentOutcome, ownDecline, refundErrorOutcome, refundOutcome, unreachable } from './outcomes.ts';

export type StripeOptions = {
  /** Milliseconds before a request is abandoned (outcome unknown); 10 s unless a test wants less. */
  timeoutMs?: number;
};

/**
 * Where the SDK sends requests: `api_base` split into the host, port and protocol it takes.
 * stripe-node has no base-path option, so a path in `api_base` (a proxy under /stripe) is not
 * honoured: requests go to /v1/… on that host.
 */
function endpoint(apiBase: string | null): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiBase ?? DEFAULT_API_BASE.stripe!);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

/**
 * The official `stripe` SDK for one configured gateway. Retries are Rebill's (recovery, under the
 * same idempotency key), so the SDK's are off: maxNetworkRetries 0. stripe-node still retries a
 * request once when the connection closes before an answer (ECONNRESET/EPIPE), with the same
 * idempotency key, which Stripe deduplicates; so that retry can never charge twice.
 */
export function stripeClient(config: Pick<GatewayConfig, 'apiBase' | 'credentials'>, opts: StripeOptions = {}): Stripe {
  const key = config.credentials.secret_key;
  if (!key) throw new Error('a stripe gateway needs credentials.secret_key');
  return new Stripe(key, { ...endpoint(config.apiBase), maxNetworkRetries: 0, timeout: opts.timeoutMs ?? 10_000, telemetry: false });
}

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Which of several PaymentIntents for one attempt tells its fate: one that took money wins. */
const RANK: Record<string, number> = { succeeded: 0, processing: 1, requires_capture: 1, requires_action: 2 };
const rank = (pi: Stripe.PaymentIntent): number => RANK[pi.status] ?? 3;

/**
 * Charges saved cards off-session with PaymentIntents (`confirm: true, off_session: true`), keyed by
 * the attempt's idempotency key, with Rebill's ids in the metadata so recovery can find a charge
 * after the key has expired. Amounts are converted to Stripe's units (amounts.ts) and refused
 * before any request when Stripe cannot take them.
 */
export class StripeGateway implements PaymentGateway {
  readonly currencies = STRIPE_CURRENCIES;

  constructor(readonly name: string, private readonly stripe: Stripe, private readonly webhookSecret: string | null = null) {}

  parseWebhook(delivery: WebhookDelivery): GatewayEvent[] {
    return parseStripeWebhook(this.stripe, this.webhookSecret, delivery);
  }

  async charge(req: ChargeRequest): Promise<ChargeOutcome> {
    const amount = toStripeAmount(req.amount, req.currency);
    if (!amount.ok) {
      const decline = amount.reason === 'currency_not_supported' ? ownDecline('currency_not_supported', 'config') : ownDecline('invalid_amount');
      return { status: 'failed', chargeId: null, decline, gatewayCode: amount.reason, message: amount.message };
    }
    try {
      const pi = await this.stripe.paymentIntents.create({
        amount: amount.amount, currency: req.currency, payment_method: req.token, off_session: true, confirm: true,
        ...(req.gatewayCustomer ? { customer: req.gatewayCustomer } : {}),
        description: `Rebill invoice ${req.reference}`,
        metadata: { rebill_attempt: req.attemptId, rebill_invoice: req.reference, rebill_customer: req.customerId, rebill_attempt_number: String(req.attemptNumber) },
      }, { idempotencyKey: req.idempotencyKey });
      return intentOutcome(pi);
    } catch (err) {
      return chargeErrorOutcome(err);
    }
  }

  /**
   * Finds the attempt's PaymentIntent by `metadata['rebill_attempt']`, not by replaying the key:
   * keys expire after 24 hours, the metadata does not. With the Stripe customer known (every
   * saved card has one) the customer's PaymentIntents are listed: list APIs read current data, so
   * "not there" means Stripe never made it, which failover relies on (docs/failover.md). Without
   * one, the Search API is used; it lags behind writes (Stripe: "don't use search for
   * read-after-write"), so a fresh charge can be missed. That is safe without failover: a miss
   * makes recovery send the charge again with the same idempotency key, and within 24 hours Stripe
   * replays the original answer instead of charging again, while after 24 hours search has long
   * caught up and finds it.
   */
  async retrieve(lookup: ChargeLookup): Promise<ChargeOutcome | null> {
    const found: Stripe.PaymentIntent[] = [];
    try {
      if (lookup.gatewayCustomer) {
        for await (const pi of this.stripe.paymentIntents.list({ customer: lookup.gatewayCustomer, limit: 100 })) {
          if (pi.metadata?.rebill_attempt === lookup.attemptId) found.push(pi);
        }
      } else {
        found.push(...(await this.stripe.paymentIntents.search({ query: `metadata['rebill_attempt']:${quote(lookup.attemptId)}`, limit: 10 })).data);
      }
    } catch (err) {
      throw err instanceof Stripe.errors.StripeError ? unreachable(err) : err;
    }
    if (found.length === 0) return null;
    const best = [...found].sort((a, b) => rank(a) - rank(b) || b.created - a.created)[0]!;
    return intentOutcome(best);
  }

  /**
   * Cancels a PaymentIntent left waiting for the customer (`abandoned`). Stripe refuses to cancel one
   * that already succeeded (or is already cancelled): the intent as it stands is then the answer.
   */
  async cancel(charge: { chargeId: string }): Promise<ChargeOutcome> {
    try {
      return intentOutcome(await this.stripe.paymentIntents.cancel(charge.chargeId, { cancellation_reason: 'abandoned' }));
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeError)) throw err;
      if (!(err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'payment_intent_unexpected_state')) throw unreachable(err);
    }
    try {
      return intentOutcome(await this.stripe.paymentIntents.retrieve(charge.chargeId));
    } catch (err) {
      throw err instanceof Stripe.errors.StripeError ? unreachable(err) : err;
    }
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const amount = toStripeAmount(req.amount, req.currency);
    if (!amount.ok) return { status: 'failed', refundId: null, code: amount.reason, message: amount.message };
    try {
      const r = await this.stripe.refunds.create({
        payment_intent: req.chargeId, amount: amount.amount, metadata: { rebill_refund: req.refundId, rebill_reference: req.reference },
      }, { idempotencyKey: req.idempotencyKey });
      return refundOutcome(r);
    } catch (err) {
      return refundErrorOutcome(err);
    }
  }

  /** The refunds of the charge's PaymentIntent, searched for Rebill's refund id in their metadata. */
  async retrieveRefund(lookup: RefundLookup): Promise<RefundOutcome | null> {
    try {
      for await (const r of this.stripe.refunds.list({ payment_intent: lookup.chargeId, limit: 100 })) {
        if (r.metadata?.rebill_refund === lookup.refundId) return refundOutcome(r);
      }
      return null;
    } catch (err) {
      // No such PaymentIntent: no refund of it exists either; sending it again gets Stripe's own refusal.
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return null;
      throw err instanceof Stripe.errors.StripeError ? unreachable(err) : err;
    }
  }

  /**
   * The card behind a PaymentMethod. With the customer given, it is read through the customer, so
   * a method saved on another customer (which an off-session charge would refuse) counts as invalid.
   * Only cards are taken for now: a bank-debit method (us_bank_account, SEPA) has no expiry and no
   * place in CardDetails, so it is answered as not valid rather than stored with made-up dates.
   */
  async inspectToken(token: string, ctx?: { gatewayCustomer: string | null }): Promise<CardDetails | null> {
    let pm: Stripe.PaymentMethod;
    try {
      pm = ctx?.gatewayCustomer
        ? await this.stripe.customers.retrievePaymentMethod(ctx.gatewayCustomer, token)
        : await this.stripe.paymentMethods.retrieve(token);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return null;
      throw err instanceof Stripe.errors.StripeError ? unreachable(err) : err;
    }
    if (!pm.card) return null;
    return { brand: pm.card.brand, last4: pm.card.last4, exp_month: pm.card.exp_month, exp_year: pm.card.exp_year, country: pm.card.country ?? null };
  }
}

/** The factory `gatewayFactories` registers for `stripe` gateways; tests pass a shorter timeout. */
export const stripeGatewayFactory = (opts: StripeOptions = {}): GatewayFactory =>
  (config) => new StripeGateway(config.id, stripeClient(config, opts), config.credentials.webhook_secret ?? null);
