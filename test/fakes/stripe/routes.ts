import { list, record, str, type Params } from './form.ts';
import { capture, confirmIntent, createIntent, intent, search } from './intents.ts';
import type { Obj } from './objects.ts';
import { createRefund, listRefunds } from './refunds.ts';
import { noSuch, type Ctx, type State } from './state.ts';

/**
 * The v1 endpoints the fake answers, by the paths of stripe/openapi's spec3.json. Each handler
 * runs synchronously: it either returns the object to answer 200 with or throws an ApiError.
 */
type Handler = (s: State, m: string[], p: Params, ctx: Ctx) => Obj;
type Route = { method: 'GET' | 'POST'; path: RegExp; handler: Handler };

const ID = '([A-Za-z0-9_]+)';
const route = (method: Route['method'], path: string, handler: Handler): Route =>
  ({ method, path: new RegExp(`^${path.replace(/:id/g, ID)}$`), handler });

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
  route('POST', '/v1/payment_intents', (s, _m, p, ctx) => createIntent(s, p, ctx)),
  route('GET', '/v1/payment_intents/search', (s, _m, p) => search(s, p)),
  route('GET', '/v1/payment_intents/:id', (s, [id]) => intent(s, id!).obj),
  route('POST', '/v1/payment_intents/:id/confirm', (s, [id], p, ctx) => {
    const e = intent(s, id!);
    const pmId = str(p.payment_method);
    if (pmId) e.obj.payment_method = s.resolvePaymentMethod(pmId).obj.id;
    const off = str(p.off_session);
    return confirmIntent(s, e, { offSession: off !== undefined && off !== 'false', returnUrl: str(p.return_url) }, ctx);
  }),
  route('POST', '/v1/payment_intents/:id/capture', (s, [id], p, ctx) => capture(s, id!, p, ctx)),
  route('GET', '/v1/charges/:id', (s, [id]) => get(s, 'charge', id!)),
  route('POST', '/v1/refunds', (s, _m, p, ctx) => createRefund(s, p, ctx)),
  route('GET', '/v1/refunds', (s, _m, p) => listRefunds(s, p)),
  route('GET', '/v1/refunds/:id', (s, [id]) => get(s, 'refund', id!)),
  route('GET', '/v1/disputes/:id', (s, [id]) => get(s, 'dispute', id!)),
  route('GET', '/v1/events/:id', (s, [id]) => get(s, 'event', id!)),
];

export function match(method: string, path: string): { handler: Handler; m: string[] } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.path.exec(path);
    if (m) return { handler: r.handler, m: m.slice(1) };
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
