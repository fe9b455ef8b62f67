// Billing thresholds (issue 18, point 5): a subscription whose unbilled usage of the current period
// reaches its `billing_thresholds.amount_gte` is invoiced for that usage at once, mid-period. The
// ledger (usage_billings) records what the threshold invoice billed, so the period-end invoice bills
// only the rest, and a second threshold invoice only what came after the first.
import { loadBillingCustomers, loadMeteredItems } from '../billing/load.ts';
import { loadDiscounts } from '../catalog/coupons.ts';
import { loadLineTaxes, subscriptionTaxNeeds } from '../catalog/line-taxes.ts';
import { finalizeAndWrite } from '../invoicing/finalize.ts';
import { subscriptionPlan } from '../invoicing/plan-invoice.ts';
import { sendAttempts } from '../payments/collect.ts';
import { systemActor, type Deps } from '../ports.ts';
import { clockTimes } from '../time.ts';
import { command } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { measureUsage, recordUsageBill, usageBills, type UsagePeriod } from './usage-billing.ts';

type Sub = Row<'subscriptions'>;
const BILLABLE = ['active', 'past_due'];

/** The current period of each metered item, as the period-end invoice will key it. */
const currentPeriods = (s: Sub, items: Map<string, { item: Row<'subscription_items'>; price: Row<'prices'> }[]>): UsagePeriod[] =>
  (items.get(s.id) ?? []).map((item) => ({ sub: s, item, start: s.current_period_start, end: s.current_period_end, closing: true }));

/**
 * Invoices the unbilled usage of the customer's subscriptions that reached their threshold.
 * Usage is measured before the lock; under it, what was billed meanwhile is taken off, so a
 * threshold crossed once is invoiced once however many checks run. Returns the invoices made.
 */
export async function billThresholds(deps: Deps, accountId: string, customerId: string): Promise<string[]> {
  const subs = await deps.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).where('customer_id', '=', customerId)
    .where('billing_threshold_amount', 'is not', null).where('status', 'in', BILLABLE).execute();
  if (subs.length === 0) return [];
  const items = await loadMeteredItems(deps.db, subs);
  const measured = await measureUsage(deps, deps.db, subs.flatMap((s) => currentPeriods(s, items)));
  const made: string[] = [];
  for (const peeked of subs.filter((s) => items.has(s.id))) {
    const charges = await command(deps, systemActor(accountId, deps.workerId), async (u) => {
      const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).where('id', '=', peeked.id).forUpdate().executeTakeFirstOrThrow();
      // A renewal since the read moved the period on: the next check measures the new one.
      if (!BILLABLE.includes(s.status) || s.billing_threshold_amount === null || s.current_period_start.getTime() !== peeked.current_period_start.getTime()) return [];
      const now = (await clockTimes(u.tx, deps.clock.now(), [s]))(s);
      const bill = (await usageBills(deps, u.tx, currentPeriods(s, items), measured, () => now, 'threshold')).get(s.id);
      const unbilled = (bill?.lines ?? []).reduce((a, l) => a + l.amount, 0n);
      if (!bill || unbilled < BigInt(s.billing_threshold_amount)) return [];
      const [customers, discounts] = await Promise.all([loadBillingCustomers(u.tx, [s]), loadDiscounts(u.tx, [{ sub: s, start: now }])]);
      const billing = customers.get(s.id)!;
      const metered = items.get(s.id)!;
      const taxes = await loadLineTaxes(deps, u.tx, new Map([[s.id, subscriptionTaxNeeds(s, billing.customer.tax, metered, [])]]));
      const plan = subscriptionPlan(s, metered, [], billing, s.current_period_start, now, 'subscription_threshold', now, taxes.get(s.id), discounts.get(s.id), bill.lines);
      const { written, charges } = await finalizeAndWrite(deps, u, [plan], { mayConflict: false, guarded: false });
      u.insertLater('usage_billings', await recordUsageBill(u.tx, accountId, s.id, bill, { invoiceId: plan.invoice.id }));
      made.push(...written.map((p) => p.invoice.id));
      return charges.map((c) => ({ ...c, snapshot: { invoice: plan.invoice, lines: plan.lines, subscription: s, items: metered } }));
    });
    if (charges.length) await sendAttempts(deps, systemActor(accountId, deps.workerId), charges);
  }
  return made;
}
