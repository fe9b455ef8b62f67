import { TEST_PAYMENT_METHODS, refusesAttach, type Template } from './catalog.ts';
import * as o from './objects.ts';
import type { Obj, StripeErrorBody } from './objects.ts';

/** An API error; `saved` says whether Stripe would store it against the idempotency key (execution had begun). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly body: StripeErrorBody, readonly saved = false) { super(body.message); }
}
export const invalid = (message: string, extra: Partial<StripeErrorBody> = {}) =>
  new ApiError(400, { type: 'invalid_request_error', message, ...extra });
export const noSuch = (kind: string, id: string, param?: string, status = 400) =>
  new ApiError(status, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, ...(param ? { param } : {}) });

/** Who asked: copied into the events a request causes (`event.request`), as Stripe does. */
export type Ctx = { requestId: string | null; idempotencyKey: string | null };
export const DASHBOARD: Ctx = { requestId: null, idempotencyKey: null };

/** `index`: what search sees, each version searchable from `at` (clock ms) on; see State.indexDelayMs. */
export type IntentEntry = { obj: Obj; template: Template | null; index: { at: number; obj: Obj }[] };

export class State {
  readonly customers = new Map<string, Obj>();
  readonly paymentMethods = new Map<string, { obj: Obj; template: Template }>();
  readonly intents = new Map<string, IntentEntry>();
  readonly charges = new Map<string, { obj: Obj; template: Template }>();
  readonly refunds = new Map<string, Obj>();
  readonly disputes = new Map<string, Obj>();
  readonly events: Obj[] = [];
  readonly templates: Record<string, Template> = { ...TEST_PAYMENT_METHODS };
  /**
   * Search indexing lag in clock milliseconds. docs.stripe.com/search ("Data freshness"): new or
   * updated data is searchable in under a minute, up to an hour during outages; search is not for
   * read-after-write. Each version of a PaymentIntent becomes searchable this long after it was made.
   */
  indexDelayMs = 0;

  constructor(readonly now: () => number, readonly apiVersion: string) {}

  created(): number { return Math.floor(this.now() / 1000); }

  emit(type: string, object: Obj, ctx: Ctx, previous_attributes?: Obj): Obj {
    const e = o.event(o.newId('evt'), this.created(), type, structuredClone(object), this.apiVersion, {
      ...(previous_attributes ? { previous_attributes } : {}),
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
    });
    this.events.push(e);
    if (object.object === 'payment_intent') this.intents.get(object.id)?.index.push({ at: this.now() + this.indexDelayMs, obj: structuredClone(object) });
    return e;
  }

  /** Any object by id, for `expand[]` and for the control API. */
  lookup(id: string): Obj | undefined {
    const prefix = id.slice(0, id.indexOf('_'));
    switch (prefix) {
      case 'pi': return this.intents.get(id)?.obj;
      case 'ch': return this.charges.get(id)?.obj;
      case 're': return this.refunds.get(id);
      case 'dp': return this.disputes.get(id);
      case 'cus': return this.customers.get(id);
      case 'pm': return this.paymentMethods.get(id)?.obj;
      case 'evt': return this.events.find((e) => e.id === id);
      default: return undefined;
    }
  }

  /** A saved PaymentMethod, or a fresh one cloned from a magic test id: Stripe answers each `pm_card_visa` use with a new pm_… */
  resolvePaymentMethod(id: string, param = 'payment_method'): { obj: Obj; template: Template } {
    const saved = this.paymentMethods.get(id);
    if (saved) return saved;
    const template = this.templates[id];
    if (!template) throw noSuch('PaymentMethod', id, param);
    const entry = { obj: o.paymentMethod(o.newId('pm'), this.created(), template, null), template };
    this.paymentMethods.set(entry.obj.id, entry);
    return entry;
  }

  createCustomer(p: { email?: string; name?: string; metadata: Record<string, string> }, ctx: Ctx): Obj {
    const c = o.customer(o.newId('cus', 14), this.created(), p);
    this.customers.set(c.id, c);
    this.emit('customer.created', c, ctx);
    return c;
  }

  attach(pmId: string, customerId: string, ctx: Ctx): Obj {
    if (!this.customers.has(customerId)) throw noSuch('customer', customerId, 'customer');
    const entry = this.resolvePaymentMethod(pmId, 'payment_method');
    if (refusesAttach(entry.template)) {
      const b = entry.template.behaviour as { code: string; decline_code?: string; message: string };
      throw new ApiError(402, { type: 'card_error', code: b.code, ...(b.decline_code ? { decline_code: b.decline_code } : {}), message: b.message, param: '' }, true);
    }
    if (entry.obj.customer && entry.obj.customer !== customerId) {
      throw invalid('The payment method you provided has already been attached to a customer.');
    }
    entry.obj.customer = customerId;
    this.emit('payment_method.attached', entry.obj, ctx);
    return entry.obj;
  }

  /** Adds a test PaymentMethod id with its behaviour (a custom decline, a SEPA-like debit…). */
  define(id: string, template: Template): void { this.templates[id] = template; }
}
