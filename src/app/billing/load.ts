import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { subscriptionItemView, subscriptionView, type Row } from '../views.ts';
import type { ItemWithPrice, PaymentMethodRef } from './plan-invoice.ts';

type Db = Kysely<DB> | Transaction<DB>;
type SubRef = { account_id: string; id: string };

/** Items with their prices for many subscriptions in one query, keyed by subscription id. */
export async function loadItems(db: Db, subs: SubRef[]): Promise<Map<string, ItemWithPrice[]>> {
  const out = new Map<string, ItemWithPrice[]>(subs.map((s) => [s.id, []]));
  if (subs.length === 0) return out;
  const rows = await db.selectFrom('subscription_items as si')
    .innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'si.account_id').onRef('p.id', '=', 'si.price_id'))
    .selectAll('p').select(['si.id as si_id', 'si.quantity as si_quantity', 'si.created_at as si_created_at', 'si.subscription_id as si_subscription_id'])
    .where('si.account_id', 'in', [...new Set(subs.map((s) => s.account_id))])
    .where('si.subscription_id', 'in', subs.map((s) => s.id)).orderBy('si.id').execute();
  for (const { si_id, si_quantity, si_created_at, si_subscription_id, ...price } of rows) {
    out.get(si_subscription_id)?.push({
      item: { account_id: price.account_id, id: si_id, subscription_id: si_subscription_id, price_id: price.id, quantity: si_quantity, created_at: si_created_at },
      price,
    });
  }
  return out;
}

/** The card each subscription charges: its own default, else its customer's. */
export async function loadPaymentMethods(db: Db, subs: Row<'subscriptions'>[]): Promise<Map<string, PaymentMethodRef | null>> {
  const out = new Map<string, PaymentMethodRef | null>(subs.map((s) => [s.id, null]));
  if (subs.length === 0) return out;
  const rows = await db.selectFrom('customers as c')
    .select(['c.id as customer_id', 'c.default_payment_method_id'])
    .where('c.account_id', 'in', [...new Set(subs.map((s) => s.account_id))])
    .where('c.id', 'in', [...new Set(subs.map((s) => s.customer_id))]).execute();
  const customerDefault = new Map(rows.map((r) => [r.customer_id, r.default_payment_method_id]));
  const wanted = new Map(subs.map((s) => [s.id, s.default_payment_method_id ?? customerDefault.get(s.customer_id) ?? null]));
  const ids = [...new Set([...wanted.values()].filter((x): x is string => x !== null))];
  const pms = ids.length ? await db.selectFrom('payment_methods').select(['account_id', 'id', 'gateway_token'])
    .where('account_id', 'in', [...new Set(subs.map((s) => s.account_id))]).where('id', 'in', ids).execute() : [];
  const byId = new Map(pms.map((p) => [`${p.account_id}/${p.id}`, { id: p.id, gateway_token: p.gateway_token }]));
  for (const s of subs) {
    const id = wanted.get(s.id);
    out.set(s.id, id ? byId.get(`${s.account_id}/${id}`) ?? null : null);
  }
  return out;
}

export function subscriptionViewWith(s: Row<'subscriptions'>, items: ItemWithPrice[] | undefined) {
  return subscriptionView(s, (items ?? []).map((x) => subscriptionItemView(x.item, x.price)));
}

/** Business time per test clock (null = real time) for a set of objects. */
export async function clockTimes(db: Db, now: Date, refs: { account_id: string; test_clock_id: string | null }[]): Promise<(ref: { test_clock_id: string | null }) => Date> {
  const clocks = [...new Set(refs.map((r) => r.test_clock_id).filter((x): x is string => x !== null))];
  const rows = clocks.length ? await db.selectFrom('test_clocks').select(['id', 'frozen_time']).where('id', 'in', clocks).execute() : [];
  const times = new Map(rows.map((r) => [r.id, r.frozen_time]));
  return (ref) => (ref.test_clock_id ? times.get(ref.test_clock_id) ?? now : now);
}
