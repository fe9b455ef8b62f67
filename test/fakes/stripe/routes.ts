import { list, record, str, type Params } from './form.ts';
import { cancel, capture, confirmIntent, createIntent, intent, listIntents, search } from './intents.ts';
import type { Obj } from './objects.ts';
import { createRefund, listRefunds } from './refunds.ts';
import { invalid, noSuch, type Ctx, type State } from './state.ts';

/**
 * The v1 endpoints the fake answers, by the paths of stripe/openapi's spec3.json. Each handler
 * runs synchronously: it either returns the object to answer 200 with or throws an ApiError.
 */
type Handler = (s: State, m: string[], p: Params, ctx: Ctx) => Obj;
type Route = { method: 'GET' | 'POST'; path: RegExp; handler: Handler; known?: Set<string> };

const ID = '([A-Za-z0-9_]+)';
const route = (method: Route['method'], path: string, handler: Handler, known?: string): Route =>
  ({ method, path: new RegExp(`^${path.replace(/:id/g, ID)}$`), handler, ...(known ? { known: new Set(['expand', ...known.split(/\s+/)]) } : {}) });

// Top-level parameters Stripe accepts (stripe-node 23's *CreateParams / *ConfirmParams /
// *CaptureParams); any other name is refused with 400 parameter_unknown, as Stripe refuses typos.
const PI_CREATE = `amount currency allowed_payment_method_types payment_method_types amount_details application_fee_amount
  automatic_payment_methods capture_method confirm confirmation_method confirmation_token customer customer_account description
  error_on_requires_action excluded_payment_method_types hooks mandate mandate_data metadata off_session on_behalf_of
  payment_details payment_method payment_method_configuration payment_method_data payment_method_options radar_options
  receipt_email return_url setup_future_usage shipping statement_descriptor statement_descriptor_suffix transfer_data
  transfer_group use_stripe_sdk`;
const PI_CONFIRM = `allowed_payment_method_types amount_details amount_to_confirm capture_method confirmation_token
  error_on_requires_action excluded_payment_method_types hooks mandate mandate_data off_session payment_details payment_method
  payment_method_data payment_method_options radar_options receipt_email return_url setup_future_usage shipping use_stripe_sdk`;
const PI_CAPTURE = `amount_details amount_to_capture application_fee_amount final_capture hooks metadata payment_details
  statement_descriptor statement_descriptor_suffix transfer_data`;
const REFUND_CREATE = `amount charge currency customer instructions_email metadata origin payment_intent reason
  refund_application_fee reverse_transfer`;

function get(s: State, kind: string, id: string): Obj {
  const obj = s.lookup(id);
  if (!obj || obj.object !== kind) throw noSuch(kind, id, 'id', 404);
  return obj;
}

export const ROUTES: Route[] = [
  route('POST', '/v1/customers', (s, _m, p, ctx) => s.createCustomer({ email: str(p.email), name: str(p.name), metadata: record(p.metadata) }, ctx)),
  route('GET', '/v1/customers/:id', (s, [id]) => get(s, 'customer', id!)),
  route('GET', '/v1/customers/:id/payment_methods/:id', (s, [cus, pm]) => {
    if (!s.customers.has(cus!)) throw noSuch('customer', cus!, 'customer', 404);
    const obj = s.paymentMethods.get(pm!)?.obj;
    if (!obj || obj.customer !== cus) throw noSuch('PaymentMethod', pm!, 'payment_method', 404);
    return obj;
  }),
  route('GET', '/v1/payment_methods/:id', (s, [id]) => {
    if (s.paymentMethods.has(id!)) return s.paymentMethods.get(id!)!.obj;
    if (s.templates[id!]) return s.resolvePaymentMethod(id!).obj;
    throw noSuch('PaymentMethod', id!, 'payment_method', 404);
  }),
  route('POST', '/v1/payment_methods/:id/attach', (s, [id], p, ctx) => s.attach(id!, str(p.customer) ?? '', ctx)),
  route('POST', '/v1/payment_intents', (s, _m, p, ctx) => createIntent(s, p, ctx), PI_CREATE),
  route('GET', '/v1/payment_intents', (s, _m, p) => listIntents(s, p)),
  route('GET', '/v1/payment_intents/search', (s, _m, p) => search(s, p)),
  route('GET', '/v1/payment_intents/:id', (s, [id]) => intent(s, id!).obj),
  route('POST', '/v1/payment_intents/:id/confirm', (s, [id], p, ctx) => {
    const e = intent(s, id!);
    const pmId = str(p.payment_method);
    // Only a confirmable PaymentIntent takes a new method; confirmIntent refuses the others unchanged.
    if (pmId && ['requires_confirmation', 'requires_payment_method'].includes(e.obj.status)) {
      e.obj.payment_method = s.resolvePaymentMethod(pmId).obj.id;
    }
    const off = str(p.off_session);
    return confirmIntent(s, e, { offSession: off !== undefined && off !== 'false', returnUrl: str(p.return_url) }, ctx);
  }, PI_CONFIRM),
  route('POST', '/v1/payment_intents/:id/capture', (s, [id], p, ctx) => capture(s, id!, p, ctx), PI_CAPTURE),
  route('POST', '/v1/payment_intents/:id/cancel', (s, [id], p, ctx) => cancel(s, id!, p, ctx), 'cancellation_reason'),
  route('GET', '/v1/charges/:id', (s, [id]) => get(s, 'charge', id!)),
  route('POST', '/v1/refunds', (s, _m, p, ctx) => createRefund(s, p, ctx), REFUND_CREATE),
  route('GET', '/v1/refunds', (s, _m, p) => listRefunds(s, p)),
  route('GET', '/v1/refunds/:id', (s, [id]) => get(s, 'refund', id!)),
  route('GET', '/v1/disputes/:id', (s, [id]) => get(s, 'dispute', id!)),
  route('GET', '/v1/events/:id', (s, [id]) => get(s, 'event', id!)),
];

export function match(method: string, path: string): { handler: Handler; m: string[] } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.path.exec(path);
    if (!m) continue;
    const handler: Handler = (s, args, p, ctx) => {
      const unknown = r.known && Object.keys(p).find((k) => !r.known!.has(k));
      if (unknown) throw invalid(`Received unknown parameter: ${unknown}`, { code: 'parameter_unknown', param: unknown });
      return r.handler(s, args, p, ctx);
    };
    return { handler, m: m.slice(1) };
  }
  return undefined;
}

/** `expand[]=latest_charge`, `expand[]=data.payment_method`…: ids replaced by their objects (a copy). */
export function expand(s: State, body: Obj, p: Params): Obj {
  for (const path of list(p.expand)) expandPath(s, body, path.split('.'));
  return body;
}

function expandPath(s: State, obj: Obj, segments: string[]): void {
  const [head, ...rest] = segments;
  if (!head || obj == null || typeof obj !== 'object') return;
  const value = obj[head];
  if (Array.isArray(value)) { for (const v of value) if (rest.length) expandPath(s, v, rest); return; }
  if (rest.length === 0) {
    if (typeof value === 'string') { const found = s.lookup(value); if (found) obj[head] = structuredClone(found); }
    return;
  }
  if (typeof value === 'string') { const found = s.lookup(value); if (found) obj[head] = structuredClone(found); }
  expandPath(s, obj[head], rest);
}
