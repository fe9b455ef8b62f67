import type Razorpay from 'razorpay';
import { GatewayUnreachableError, type CardDetails, type ChargeLookup, type ChargeOutcome, type ChargeRequest, type GatewayConfig, type GatewayEvent, type PaymentGateway, type WebhookDelivery, type RefundLookup, type RefundOutcome, type RefundRequest } from '../../../app/ports.ts';
import { RAZORPAY_RECURRING_CURRENCIES, toRazorpayAmount } from './amounts.ts';
import { brandOf, declined, paymentDecline, rebillDecline, refusalOrUnknown, type RzpPayment } from './outcomes.ts';
import { refundOutcome, refundsOf } from './refunds.ts';
import { parseRazorpayWebhook } from './webhooks.ts';
import { isRazorpayHttpError, razorpayClient, refundIdempotent } from './sdk.ts';

type RzpOrder = { entity: 'order'; id: string; amount: number | string; currency: string; receipt: string | null; status: string; created_at: number };
type Collection<T> = { items: T[] };
type RzpToken = { method?: string; card?: { network?: string; last4?: string; expiry_month?: number | string; expiry_year?: number | string } | null; bank_details?: { account_number?: string } | null; expired_at?: number | null };

export type RazorpayGatewayOptions = { name: string; keyId: string; keySecret: string; webhookSecret?: string | null; apiBase?: string | null; timeoutMs?: number };

/** Production's wait for an answer; tests pass a shorter one through the factory. */
export const RAZORPAY_TIMEOUT_MS = 10_000;

/**
 * Razorpay through its official SDK: a recurring payment on a saved token, made as one order per
 * Rebill attempt (`receipt` = the attempt id) and one payment on it. Razorpay has no idempotency
 * key for orders or payments, so the receipt is the dedupe: every charge first looks for the
 * attempt's order and goes on from what it finds, and an order takes one captured payment at
 * most. The SDK never retries on its own; Rebill's recovery is the retry.
 */
export class RazorpayGateway implements PaymentGateway {
  readonly name: string;
  readonly currencies = RAZORPAY_RECURRING_CURRENCIES;
  private readonly rzp: Razorpay;
  private readonly webhookSecret: string | null;

  constructor(opts: RazorpayGatewayOptions) {
    this.name = opts.name;
    this.webhookSecret = opts.webhookSecret ?? null;
    this.rzp = razorpayClient({ keyId: opts.keyId, keySecret: opts.keySecret, apiBase: opts.apiBase ?? undefined, timeoutMs: opts.timeoutMs ?? RAZORPAY_TIMEOUT_MS });
  }

  parseWebhook(delivery: WebhookDelivery): GatewayEvent[] {
    return parseRazorpayWebhook(this.webhookSecret, delivery);
  }

  async charge(req: ChargeRequest): Promise<ChargeOutcome> {
    if (!this.currencies.includes(req.currency)) {
      return rebillDecline('currency_not_supported', `Razorpay takes recurring payments in ${this.currencies.join(', ').toUpperCase()} only, not ${req.currency.toUpperCase()}.`, 'config');
    }
    const amount = toRazorpayAmount(req.amount, req.currency);
    if (amount === null) return rebillDecline('invalid_amount', `Razorpay cannot take ${req.amount} ${req.currency.toUpperCase()} minor units.`);
    if (!req.gatewayCustomer) return rebillDecline('invalid_payment_method', 'A Razorpay token is charged with its customer: the payment method has no gateway_customer.');
    try {
      const orders = await this.ordersOf(req.attemptId);
      const known = await this.outcomeOf(orders, req.gatewayCustomer);
      if (known) return known;
      // An order left by an earlier try with no payment on it (its payment request never got there) is paid now.
      const order = orders.find((o) => Number(o.amount) === amount && o.currency === req.currency.toUpperCase()) ?? await this.createOrder(req, amount);
      return 'entity' in order ? await this.pay(req, order, amount) : order;
    } catch (e) {
      if (e instanceof GatewayUnreachableError) throw e;
      const refused = refusalOrUnknown(e, 'charge');
      // Wrong or revoked keys: Razorpay's 401 carries no reason, and no card is at fault.
      if (refused.statusCode === 401) return rebillDecline('merchant_config_error', 'Razorpay refused the gateway\'s API keys.', 'config');
      return declined(null, refused.error, null);
    }
  }

  async retrieve(lookup: ChargeLookup): Promise<ChargeOutcome | null> {
    try {
      return await this.outcomeOf(await this.ordersOf(lookup.attemptId), lookup.gatewayCustomer);
    } catch (e) {
      if (e instanceof GatewayUnreachableError) throw e;
      // A read refused (credentials changed, say) says nothing about the charge: still unknown.
      const refused = refusalOrUnknown(e, 'retrieve');
      throw new GatewayUnreachableError(`razorpay: retrieve refused: HTTP ${refused.statusCode} ${refused.error.code ?? ''}; outcome unknown`);
    }
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const amount = toRazorpayAmount(req.amount, req.currency);
    if (amount === null) return { status: 'failed', refundId: null, code: 'invalid_amount', message: `Razorpay cannot refund ${req.amount} ${req.currency.toUpperCase()} minor units.` };
    try {
      // The key is Rebill's refund id (letters, digits and `_`, as the header wants): a resend by recovery carries the same one and the same body.
      const r = await refundIdempotent(this.rzp, req.chargeId, { amount, notes: { rebill_refund: req.refundId, rebill_reference: req.reference }, receipt: req.refundId }, `rebill_${req.refundId}`);
      return refundOutcome(r);
    } catch (e) {
      // 409: the same key is still being worked on at Razorpay; its outcome is for recovery to ask.
      if (isRazorpayHttpError(e) && e.statusCode === 409) throw new GatewayUnreachableError('razorpay: refund still in progress; outcome unknown');
      const { error } = refusalOrUnknown(e, 'refund');
      const code = error.reason && error.reason !== 'NA' ? error.reason : error.code ?? 'refund_refused';
      return { status: 'failed', refundId: null, code, message: error.description ?? 'The refund was refused.' };
    }
  }

  async retrieveRefund(lookup: RefundLookup): Promise<RefundOutcome | null> {
    try {
      const found = (await refundsOf(this.rzp, lookup.chargeId)).find((r) => !Array.isArray(r.notes) && r.notes?.rebill_refund === lookup.refundId);
      return found ? refundOutcome(found) : null;
    } catch (e) {
      refusalOrUnknown(e, 'retrieve refund');
      return null; // Razorpay does not know the payment: no refund of it can exist.
    }
  }

  async inspectToken(token: string, ctx?: { gatewayCustomer: string | null }): Promise<CardDetails | null> {
    // Razorpay's tokens live under their customer: without one there is nothing to look up.
    if (!ctx?.gatewayCustomer) return null;
    let t: RzpToken;
    try {
      t = await this.rzp.customers.fetchToken(ctx.gatewayCustomer, token) as unknown as RzpToken;
    } catch (e) {
      refusalOrUnknown(e, 'token');
      return null;
    }
    if (t.card) {
      return { brand: brandOf(t.card.network) ?? 'unknown', last4: t.card.last4 ?? '', exp_month: Number(t.card.expiry_month), exp_year: Number(t.card.expiry_year) };
    }
    // An e-mandate or UPI Autopay mandate: no card, so its account's last digits and the mandate's end stand in.
    const end = t.expired_at ? new Date(t.expired_at * 1000) : null;
    return { brand: t.method ?? 'mandate', last4: (t.bank_details?.account_number ?? '').slice(-4), exp_month: end ? end.getUTCMonth() + 1 : 12, exp_year: end ? end.getUTCFullYear() : 2099 };
  }

  private async ordersOf(attemptId: string): Promise<RzpOrder[]> {
    return ((await this.rzp.orders.all({ receipt: attemptId, count: 100 })) as unknown as Collection<RzpOrder>).items;
  }

  private async createOrder(req: ChargeRequest, amount: number): Promise<RzpOrder | ChargeOutcome> {
    try {
      return await this.rzp.orders.create({
        amount, currency: req.currency.toUpperCase(), receipt: req.attemptId, payment_capture: true,
        notes: { rebill_invoice: req.reference, rebill_customer: req.customerId, rebill_attempt_number: String(req.attemptNumber) },
      }) as unknown as RzpOrder;
    } catch (e) {
      return declined(null, refusalOrUnknown(e, 'order').error, null);
    }
  }

  /** The recurring payment on the token, then the payment as Razorpay recorded it. */
  private async pay(req: ChargeRequest, order: RzpOrder, amount: number): Promise<ChargeOutcome> {
    const customerId = req.gatewayCustomer!;
    let contact: { email?: string | null; contact?: string | number | null };
    try {
      contact = await this.rzp.customers.fetch(customerId);
    } catch (e) {
      const { error } = refusalOrUnknown(e, 'customer');
      return error.field === 'id' ? rebillDecline('invalid_payment_method', `Razorpay has no customer '${customerId}'.`) : declined(null, error, null);
    }
    // Razorpay requires both on every recurring payment; they are the customer's as Razorpay keeps them.
    if (!contact.email || !contact.contact) {
      return rebillDecline('merchant_config_error', `Razorpay customer '${customerId}' has no email or contact; Razorpay requires both.`, 'config');
    }
    let paymentId: string;
    try {
      const res = await this.rzp.payments.createRecurringPayment({
        email: contact.email, contact: String(contact.contact), amount, currency: req.currency.toUpperCase(), order_id: order.id,
        customer_id: customerId, token: req.token, recurring: 1, description: `Invoice ${req.reference}`,
        notes: { rebill_invoice: req.reference, rebill_attempt: req.attemptId },
      });
      paymentId = String(res.razorpay_payment_id);
    } catch (e) {
      // A failed payment exists and says so, whatever the HTTP status (GATEWAY_ERROR's is not documented).
      const failedId = isRazorpayHttpError(e) ? e.error?.metadata?.payment_id : undefined;
      if (isRazorpayHttpError(e) && e.error && typeof failedId === 'string') return declined(failedId, e.error, await this.networkOf(customerId, req.token));
      const { error } = refusalOrUnknown(e, 'payment');
      if (error.field === 'token' || error.field === 'customer_id') return rebillDecline('invalid_payment_method', error.description ?? 'Razorpay does not know this token.');
      // Paid meanwhile (another process charged the same attempt): what is on the order says how.
      if (error.field === 'order_id') {
        const now = await this.outcomeOf([order], customerId);
        if (now) return now;
      }
      return declined(null, error, null);
    }
    return await this.settle(await this.payment(paymentId), customerId);
  }

  /** What the attempt's orders hold: a captured payment wins; else one to capture or still pending; else the latest failure; null when none. */
  private async outcomeOf(orders: RzpOrder[], customerId: string | null): Promise<ChargeOutcome | null> {
    const payments: RzpPayment[] = [];
    for (const o of orders) payments.push(...((await this.rzp.orders.fetchPayments(o.id)) as unknown as Collection<RzpPayment>).items);
    const rank = (p: RzpPayment) => ['captured', 'refunded', 'authorized', 'created', 'pending'].indexOf(p.status);
    const open = payments.filter((p) => rank(p) >= 0).sort((a, b) => rank(a) - rank(b));
    if (open[0]) return await this.settle(open[0], customerId);
    const latest = payments.filter((p) => p.status === 'failed').sort((a, b) => b.created_at - a.created_at)[0];
    return latest ? await this.settle(latest, customerId) : null;
  }

  /**
   * A payment's status as a charge outcome. An `authorized` payment is captured here: orders are
   * created with payment_capture, so one left authorised (a late authorisation, a capture that
   * did not happen) would otherwise be refunded by Razorpay after days while Rebill waited.
   */
  private async settle(p: RzpPayment, customerId: string | null): Promise<ChargeOutcome> {
    switch (p.status) {
      case 'captured': case 'refunded': return { status: 'succeeded', chargeId: p.id };
      case 'failed': return paymentDecline(p, customerId && p.token_id ? await this.networkOf(customerId, p.token_id) : null);
      case 'authorized': {
        try {
          const captured = await this.rzp.payments.capture(p.id, Number(p.amount), p.currency) as unknown as RzpPayment;
          return await this.settle(captured, customerId);
        } catch (e) {
          refusalOrUnknown(e, 'capture');
          // Refused: another payment of the order was captured first, or this one changed; read it again.
          const again = await this.payment(p.id);
          if (again.status !== 'authorized') return await this.settle(again, customerId);
          // Only a payment already captured settles it now; capturing is not tried twice in one call.
          const siblings = again.order_id ? ((await this.rzp.orders.fetchPayments(again.order_id)) as unknown as Collection<RzpPayment>).items : [];
          const paid = siblings.find((o) => o.status === 'captured' || o.status === 'refunded');
          return paid ? { status: 'succeeded', chargeId: paid.id } : { status: 'processing', chargeId: p.id };
        }
      }
      // created / pending: an e-mandate or UPI debit the bank answers later.
      default: return { status: 'processing', chargeId: p.id };
    }
  }

  private async payment(id: string): Promise<RzpPayment> {
    return await this.rzp.payments.fetch(id) as unknown as RzpPayment;
  }

  /** The token's card network, for the networks' retry rules; best effort, as the decline stands without it. */
  private async networkOf(customerId: string, token: string): Promise<string | null> {
    try {
      const t = await this.rzp.customers.fetchToken(customerId, token) as unknown as RzpToken;
      return brandOf(t.card?.network);
    } catch {
      return null;
    }
  }
}

/** Builds the adapter of a configured Razorpay gateway; `timeoutMs` for tests against a local server. */
export function razorpayFactory(opts: { timeoutMs?: number } = {}) {
  return (c: GatewayConfig): PaymentGateway => new RazorpayGateway({
    name: c.id, keyId: c.credentials.key_id ?? '', keySecret: c.credentials.key_secret ?? '', webhookSecret: c.credentials.webhook_secret ?? null, apiBase: c.apiBase, timeoutMs: opts.timeoutMs,
  });
}
