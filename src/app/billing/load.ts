import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { subscriptionItemView, subscriptionView, type Row } from '../views.ts';
import type { Numbering } from '../../domain/invoice-number.ts';
import type { ItemWithPrice, PaymentMethodRef } from '../invoicing/plan-invoice.ts';

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

/** What billing needs of a subscription's customer: the card to charge and how to number the invoice. */
export type BillingCustomer = { pm: PaymentMethodRef | null; numbering: Numbering };

/**
 * For each subscription, the card it charges (its own default, else its customer's) and its
 * customer's invoice numbering, in one query. The customers are locked until the transaction
 * ends (in key order, so two batches cannot deadlock): the sequences read here are the ones
 * the transaction will advance.
 */
export async function loadBillingCustomers(db: Db, subs: Row<'subscriptions'>[]): Promise<Map<string, BillingCustomer>> {
  const out = new Map<string, BillingCustomer>();
  if (subs.length === 0) return out;
  const rows = await db.selectFrom('customers as c')
    .leftJoin('payment_methods as pm', (j) => j.onRef('pm.account_id', '=', 'c.account_id').onRef('pm.id', '=', 'c.default_payment_method_id'))
    .select(['c.account_id', 'c.id as customer_id', 'c.invoice_prefix', 'c.next_invoice_sequence', 'pm.id as pm_id', 'pm.gateway_token'])
    .where('c.account_id', 'in', [...new Set(subs.map((s) => s.account_id))])
    .where('c.id', 'in', [...new Set(subs.map((s) => s.customer_id))])
    .orderBy('c.account_id').orderBy('c.id').forNoKeyUpdate('c').execute();
  const customers = new Map(rows.map((r) => [`${r.account_id}/${r.customer_id}`, {
    pm: r.pm_id && r.gateway_token ? { id: r.pm_id, gateway_token: r.gateway_token } : null,
    numbering: { prefix: r.invoice_prefix, next: r.next_invoice_sequence },
  }]));
  // A subscription's own default card is rare; those few are looked up on their own.
  const own = subs.filter((s) => s.default_payment_method_id);
  const ownRows = own.length ? await db.selectFrom('payment_methods').select(['account_id', 'id', 'gateway_token'])
    .where('account_id', 'in', [...new Set(own.map((s) => s.account_id))]).where('id', 'in', own.map((s) => s.default_payment_method_id!)).execute() : [];
  const ownCard = new Map(ownRows.map((p) => [`${p.account_id}/${p.id}`, { id: p.id, gateway_token: p.gateway_token }]));
  for (const s of subs) {
    const customer = customers.get(`${s.account_id}/${s.customer_id}`);
    if (!customer) throw new Error(`customer ${s.customer_id} of subscription ${s.id} is missing`);
    out.set(s.id, {
      pm: s.default_payment_method_id ? ownCard.get(`${s.account_id}/${s.default_payment_method_id}`) ?? null : customer.pm,
      numbering: customer.numbering,
    });
  }
  return out;
}

export function subscriptionViewWith(s: Row<'subscriptions'>, items: ItemWithPrice[] | undefined) {
  return subscriptionView(s, (items ?? []).map((x) => subscriptionItemView(x.item, x.price)));
}
