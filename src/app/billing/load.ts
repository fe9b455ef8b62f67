import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { subscriptionItemView, subscriptionView, type Row } from '../views.ts';
import { billingCustomer, type BillingCustomer } from '../invoicing/finalize.ts';
import { priceIn } from '../catalog/price-currencies.ts';
import type { ItemWithPrice, PaymentMethodRef } from '../invoicing/plan-invoice.ts';

type Db = Kysely<DB> | Transaction<DB>;
type SubRef = { account_id: string; id: string; currency: string };

/** Items with their prices for many subscriptions in one query, keyed by subscription id. */
export async function loadItems(db: Db, subs: SubRef[], only?: 'metered'): Promise<Map<string, ItemWithPrice[]>> {
  const out = new Map<string, ItemWithPrice[]>(subs.map((s) => [s.id, []]));
  if (subs.length === 0) return out;
  let q = db.selectFrom('subscription_items as si')
    .innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'si.account_id').onRef('p.id', '=', 'si.price_id'))
    .selectAll('p').select(['si.id as si_id', 'si.quantity as si_quantity', 'si.tax_rates as si_tax_rates', 'si.created_at as si_created_at', 'si.subscription_id as si_subscription_id'])
    .where('si.account_id', 'in', [...new Set(subs.map((s) => s.account_id))])
    .where('si.subscription_id', 'in', subs.map((s) => s.id)).orderBy('si.id');
  if (only) q = q.where('p.usage_type', '=', only);
  const rows = await q.execute();
  const currencyOf = new Map(subs.map((s) => [s.id, s.currency]));
  for (const { si_id, si_quantity, si_created_at, si_subscription_id, si_tax_rates, ...row } of rows) {
    // Each item is priced in its subscription's currency (prices never lose a currency option).
    const price = priceIn(row, currencyOf.get(si_subscription_id)!);
    if (!price) throw new Error(`price ${row.id} of subscription ${si_subscription_id} has no amounts in ${currencyOf.get(si_subscription_id)}`);
    out.get(si_subscription_id)?.push({
      item: { account_id: price.account_id, id: si_id, subscription_id: si_subscription_id, price_id: price.id, quantity: si_quantity, created_at: si_created_at, tax_rates: si_tax_rates },
      price,
    });
  }
  return out;
}

/** Only the metered items, for the subscriptions that have any. */
export async function loadMeteredItems(db: Db, subs: SubRef[]): Promise<Map<string, ItemWithPrice[]>> {
  const all = await loadItems(db, subs, 'metered');
  return new Map([...all].filter(([, items]) => items.length > 0));
}

/**
 * For each subscription, its customer's billing state (numbering, balance, shared by all
 * subscriptions of that customer) and the card it charges (its own default, else its
 * customer's), in one query. With `lock`, the customers are locked until the transaction ends (in key order,
 * so two batches cannot deadlock): the sequences and balances read here are the ones the
 * transaction will advance.
 */
export async function loadBillingCustomers(db: Db, subs: Row<'subscriptions'>[], lock = true): Promise<Map<string, { customer: BillingCustomer; pm: PaymentMethodRef | null }>> {
  const out = new Map<string, { customer: BillingCustomer; pm: PaymentMethodRef | null }>();
  if (subs.length === 0) return out;
  const q = db.selectFrom('customers as c')
    .leftJoin('payment_methods as pm', (j) => j.onRef('pm.account_id', '=', 'c.account_id').onRef('pm.id', '=', 'c.default_payment_method_id'))
    .select(['c.account_id', 'c.id', 'c.invoice_prefix', 'c.next_invoice_sequence', 'c.balance', 'c.balance_currency', 'c.currency', 'c.version', 'c.name', 'c.address', 'c.tax_exempt', 'c.tax_ids', 'pm.id as pm_id', 'pm.gateway_token', 'pm.gateway', 'pm.gateway_customer'])
    .where('c.account_id', 'in', [...new Set(subs.map((s) => s.account_id))])
    .where('c.id', 'in', [...new Set(subs.map((s) => s.customer_id))])
    .orderBy('c.account_id').orderBy('c.id');
  const rows = await (lock ? q.forNoKeyUpdate('c') : q).execute();
  const customers = new Map(rows.map((r) => [`${r.account_id}/${r.id}`,
    billingCustomer(r, r.pm_id && r.gateway_token && r.gateway ? { id: r.pm_id, gateway_token: r.gateway_token, gateway: r.gateway, gateway_customer: r.gateway_customer } : null)]));
  // A subscription's own default card is rare; those few are looked up on their own.
  const own = subs.filter((s) => s.default_payment_method_id);
  const ownRows = own.length ? await db.selectFrom('payment_methods').select(['account_id', 'id', 'gateway_token', 'gateway', 'gateway_customer'])
    .where('account_id', 'in', [...new Set(own.map((s) => s.account_id))]).where('id', 'in', own.map((s) => s.default_payment_method_id!)).execute() : [];
  const ownCard = new Map(ownRows.map((p) => [`${p.account_id}/${p.id}`, { id: p.id, gateway_token: p.gateway_token, gateway: p.gateway, gateway_customer: p.gateway_customer }]));
  for (const s of subs) {
    const customer = customers.get(`${s.account_id}/${s.customer_id}`);
    if (!customer) throw new Error(`customer ${s.customer_id} of subscription ${s.id} is missing`);
    out.set(s.id, { customer, pm: s.default_payment_method_id ? ownCard.get(`${s.account_id}/${s.default_payment_method_id}`) ?? null : customer.pm });
  }
  return out;
}

/**
 * Pending invoice items the next invoice of each subscription takes: its own, and its
 * customer's that belong to no subscription, in its currency (oldest first). A customer's
 * unattached items go to the first of its subscriptions in the list.
 */
export async function loadPendingItems(db: Db, subs: Row<'subscriptions'>[]): Promise<Map<string, Row<'invoice_items'>[]>> {
  const out = new Map<string, Row<'invoice_items'>[]>(subs.map((s) => [s.id, []]));
  if (subs.length === 0) return out;
  const rows = await db.selectFrom('invoice_items').selectAll()
    .where('account_id', 'in', [...new Set(subs.map((s) => s.account_id))])
    .where('customer_id', 'in', [...new Set(subs.map((s) => s.customer_id))])
    .where('invoice_id', 'is', null).orderBy('created_at').orderBy('id').execute();
  const taken = new Set<string>();
  for (const s of subs) {
    for (const i of rows) {
      if (taken.has(i.id) || i.account_id !== s.account_id || i.customer_id !== s.customer_id || i.currency !== s.currency) continue;
      if (i.subscription_id !== null && i.subscription_id !== s.id) continue;
      taken.add(i.id);
      out.get(s.id)!.push(i);
    }
  }
  return out;
}

export function subscriptionViewWith(s: Row<'subscriptions'>, items: ItemWithPrice[] | undefined) {
  return subscriptionView(s, (items ?? []).map((x) => subscriptionItemView(x.item, x.price)));
}
