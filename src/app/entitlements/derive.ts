import { sql } from 'kysely';
import { deriveEntitlements, sameFeatures, type FeatureRef, type OverrideFacts, type SubscriptionFacts } from '../../domain/entitlements.ts';
import type { SubscriptionStatus } from '../../domain/subscription-status.ts';
import { policyFor } from '../dunning/policy-of.ts';
import { notFound } from '../errors.ts';
import type { Deps } from '../ports.ts';
import { nowFor, type Db } from '../time.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { entitlementView, storedEntitlements } from './view.ts';

const DAY_MS = 86_400_000;
type CustomerRef = Pick<Row<'customers'>, 'account_id' | 'id' | 'test_clock_id' | 'dunning_policy_id'>;

/**
 * When a past_due subscription's access ends: the earliest grace end of its open invoices. An
 * invoice's grace is its dunning case's (the newest case of it). An invoice no case has opened
 * for yet (the case is opened by a job just after the failure, or the failure was "no payment
 * method") gets the grace the case would get: the governing policy's grace days from its first
 * failed payment, else from its finalization. No open invoice: nothing to grant grace on.
 */
async function graceEnds(db: Db, customer: CustomerRef, pastDue: Pick<Row<'subscriptions'>, 'id' | 'dunning_policy_id'>[]): Promise<Map<string, Date>> {
  const ends = new Map<string, Date>();
  if (!pastDue.length) return ends;
  const acct = customer.account_id;
  const invoices = await db.selectFrom('invoices').select(['id', 'subscription_id', 'finalized_at', 'created_at']).where('account_id', '=', acct)
    .where('subscription_id', 'in', pastDue.map((s) => s.id)).where('status', '=', 'open').execute();
  if (!invoices.length) return ends;
  const ids = invoices.map((i) => i.id);
  const cases = await db.selectFrom('dunning_cases').select(['invoice_id', 'grace_ends_at']).where('account_id', '=', acct)
    .where('invoice_id', 'in', ids).orderBy('created_at', 'desc').execute();
  const failures = await db.selectFrom('payment_attempts').select(['invoice_id', (eb) => eb.fn.min('updated_at').as('first')]).where('account_id', '=', acct)
    .where('invoice_id', 'in', ids).where('status', '=', 'failed').groupBy('invoice_id').execute();
  for (const inv of invoices) {
    let end = cases.find((c) => c.invoice_id === inv.id)?.grace_ends_at;
    if (!end) {
      const sub = pastDue.find((s) => s.id === inv.subscription_id)!;
      const { policy } = await policyFor(db, acct, { subscriptionPolicy: sub.dunning_policy_id, customerPolicy: customer.dunning_policy_id });
      const from = failures.find((f) => f.invoice_id === inv.id)?.first ?? inv.finalized_at ?? inv.created_at;
      end = new Date(new Date(from).getTime() + policy.gracePeriodDays * DAY_MS);
    }
    const was = ends.get(inv.subscription_id!);
    if (!was || end < was) ends.set(inv.subscription_id!, end);
  }
  return ends;
}

/** The state the derivation reads: live subscriptions with their products' active features, and overrides not yet expired. */
async function factsOf(db: Db, customer: CustomerRef, now: Date): Promise<{ subscriptions: SubscriptionFacts[]; overrides: OverrideFacts[] }> {
  const acct = customer.account_id;
  const subs = await db.selectFrom('subscriptions').select(['id', 'status', 'dunning_policy_id']).where('account_id', '=', acct)
    .where('customer_id', '=', customer.id).where('status', 'in', ['active', 'trialing', 'past_due']).execute();
  const granted = subs.length ? await db.selectFrom('subscription_items as i')
    .innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.price_id'))
    .innerJoin('product_features as pf', (j) => j.onRef('pf.account_id', '=', 'p.account_id').onRef('pf.product_id', '=', 'p.product_id'))
    .innerJoin('features as f', (j) => j.onRef('f.account_id', '=', 'pf.account_id').onRef('f.id', '=', 'pf.feature_id'))
    .select(['i.subscription_id', 'f.id', 'f.lookup_key']).distinct()
    .where('i.account_id', '=', acct).where('i.subscription_id', 'in', subs.map((s) => s.id)).where('f.active', '=', true).execute() : [];
  const grace = await graceEnds(db, customer, subs.filter((s) => s.status === 'past_due'));
  const overrides = await db.selectFrom('entitlement_overrides as o')
    .innerJoin('features as f', (j) => j.onRef('f.account_id', '=', 'o.account_id').onRef('f.id', '=', 'o.feature_id'))
    .select(['o.id', 'o.is_grant', 'o.created_at', 'o.expires_at', 'f.id as feature_id', 'f.lookup_key'])
    .where('o.account_id', '=', acct).where('o.customer_id', '=', customer.id).where('o.expires_at', '>', now).where('f.active', '=', true).execute();
  const ref = (id: string, lookupKey: string): FeatureRef => ({ id, lookupKey });
  return {
    subscriptions: subs.map((s) => ({
      id: s.id, status: s.status as SubscriptionStatus, graceEndsAt: grace.get(s.id) ?? null,
      features: granted.filter((g) => g.subscription_id === s.id).map((g) => ref(g.id, g.lookup_key)),
    })),
    overrides: overrides.map((o) => ({ id: o.id, feature: ref(o.feature_id, o.lookup_key), grant: o.is_grant, createdAt: o.created_at, expiresAt: o.expires_at })),
  };
}

async function customerOf(db: Db, accountId: string, customerId: string, param = 'id'): Promise<CustomerRef> {
  const c = await db.selectFrom('customers').select(['account_id', 'id', 'test_clock_id', 'dunning_policy_id'])
    .where('account_id', '=', accountId).where('id', '=', customerId).executeTakeFirst();
  if (!c) throw notFound('customer', customerId, param);
  return c;
}

/** What the customer is entitled to now (their business time), derived afresh: GET /v1/customers/:id/entitlements. */
export async function customerEntitlements(deps: Deps, accountId: string, customerId: string) {
  const customer = await customerOf(deps.db, accountId, customerId);
  const now = await nowFor(deps, deps.db, accountId, customer.test_clock_id);
  const { entitlements } = deriveEntitlements({ ...(await factsOf(deps.db, customer, now)), now });
  return { object: 'list' as const, data: entitlements.map(entitlementView), has_more: false };
}

/**
 * Derives the customer's set in `u`'s transaction and compares it with the last one announced:
 * a different set of features is stored and announced (`entitlements.updated`, with the former
 * list in previous_attributes). Either way the customer's noted changes are consumed and the snapshot's recheck_at becomes the next instant at
 * which time alone may change the set (a grace end, an override's expiry), for the duty.
 */
export async function refreshEntitlements(deps: Pick<Deps, 'clock'>, u: UnitOfWork, customerId: string): Promise<void> {
  const customer = await customerOf(u.tx, u.accountId, customerId);
  // The changes noted so far are taken into account now; one noted meanwhile is recomputed later.
  // Rows another worker holds are left to it (it recomputes this customer too): no waiting here.
  await u.tx.deleteFrom('entitlement_changes').where('id', 'in', (eb) => eb.selectFrom('entitlement_changes').select('id')
    .where('account_id', '=', u.accountId).where('customer_id', '=', customerId).forUpdate().skipLocked()).execute();
  await u.tx.insertInto('customer_entitlements').values({ account_id: u.accountId, customer_id: customerId, test_clock_id: customer.test_clock_id, recheck_at: null })
    .onConflict((oc) => oc.columns(['account_id', 'customer_id']).doNothing()).execute();
  const snapshot = await u.tx.selectFrom('customer_entitlements').selectAll().where('account_id', '=', u.accountId).where('customer_id', '=', customerId).forUpdate().executeTakeFirstOrThrow();
  const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
  const derived = deriveEntitlements({ ...(await factsOf(u.tx, customer, now)), now });
  const list = derived.entitlements.map(entitlementView);
  const before = storedEntitlements(snapshot);
  const changed = !sameFeatures(before, list);
  await u.tx.updateTable('customer_entitlements').set({ recheck_at: derived.nextChangeAt, updated_at: now, ...(changed ? { entitlements: JSON.stringify(list) } : {}) })
    .where('account_id', '=', u.accountId).where('customer_id', '=', customerId).execute();
  if (changed) {
    u.emit('entitlements.updated', customerId, { object: 'entitlement_summary', customer: customerId, entitlements: list }, now, { previous_attributes: { entitlements: before } });
  }
}

/**
 * Notes, for the duty, the customers whose set a catalog change may alter: those with a live
 * subscription to one of `products`, and those with an override of one of `features`. They are
 * recomputed (and changes announced) outside this transaction: a product may have many subscribers.
 */
export async function noteChanged(u: UnitOfWork, by: { products?: string[]; features?: string[] }): Promise<void> {
  const products = by.products ?? [];
  const features = by.features ?? [];
  await sql`SELECT rebill_entitlements_changed(x.account_id, x.customer_id, x.test_clock_id) FROM (
      SELECT s.account_id, s.customer_id, s.test_clock_id FROM subscriptions s
        JOIN subscription_items i ON i.account_id = s.account_id AND i.subscription_id = s.id
        JOIN prices p ON p.account_id = i.account_id AND p.id = i.price_id
       WHERE s.account_id = ${u.accountId} AND s.status IN ('active', 'trialing', 'past_due')
         AND (p.product_id = ANY(${products}::text[])
              OR p.product_id IN (SELECT product_id FROM product_features WHERE account_id = ${u.accountId} AND feature_id = ANY(${features}::text[])))
      UNION
      SELECT o.account_id, o.customer_id, o.test_clock_id FROM entitlement_overrides o
       WHERE o.account_id = ${u.accountId} AND o.feature_id = ANY(${features}::text[])) x`.execute(u.tx);
}
