import { nextBoundaryAfter } from '../../domain/calendar.ts';
import { invalid, renameParam } from '../../domain/errors.ts';
import { isTerminal, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { notFound } from '../errors.ts';
import type { Deps } from '../ports.ts';
import type { LineTax } from '../../domain/line-tax.ts';
import { loadDiscounts } from '../catalog/coupons.ts';
import { proposedDiscounts } from './preview-discounts.ts';
import { loadChangeState, planChange, type SubscriptionChange } from '../subscriptions/change.ts';
import { invoiceView, type Row } from '../views.ts';
import { finalizePlan, type InvoicePlan } from './finalize.ts';
import { recurringOf, subscriptionPlan, type ItemWithPrice } from './plan-invoice.ts';
import type { FixedDraft } from '../../domain/invoice-builder.ts';
import { periodsToBill, usageBills } from '../usage/usage-billing.ts';

export type PreviewInput = { customer?: string | undefined; subscription?: string | undefined; subscription_details?: SubscriptionChange | undefined };

const none = (why: string) => invalid('invoice_upcoming_none', why, 'subscription');

/** The invoice a subscription's next renewal would produce, with what will be pending by then. */
function renewalPlan(sub: Row<'subscriptions'>, items: ItemWithPrice[], pending: Row<'invoice_items'>[], billing: Parameters<typeof subscriptionPlan>[3], tax: LineTax,
  discounts: Parameters<typeof subscriptionPlan>[9], usage: readonly FixedDraft[]): InvoicePlan {
  if (isTerminal(sub.status as SubscriptionStatus)) throw none(`Subscription '${sub.id}' is ${sub.status}; it will not be invoiced again.`);
  if (sub.cancel_at_period_end) throw none(`Subscription '${sub.id}' ends at the end of its period; it will not be invoiced again.`);
  const start = sub.current_period_end;
  const end = nextBoundaryAfter(sub.billing_cycle_anchor, recurringOf(sub), start);
  return subscriptionPlan(sub, items, pending, billing, start, end, 'subscription_cycle', start, tax, discounts, usage);
}

/** The usage the renewal would bill if the period closed now: the current period's to date, and corrections of earlier ones. */
async function usageToDate(deps: Deps, sub: Row<'subscriptions'>, items: ItemWithPrice[], now: Date): Promise<FixedDraft[]> {
  const closing = sub.status === 'trialing' ? null : { start: sub.current_period_start, end: sub.current_period_end };
  const periods = await periodsToBill(deps.db, [{ sub, items, closing }]);
  if (periods.length === 0) return [];
  return (await usageBills(deps, deps.db, periods, new Map(), () => now)).get(sub.id)?.lines ?? [];
}

/**
 * `POST /v1/invoices/create_preview`: the invoice a change would produce now (always_invoice, a
 * new billing period, a trial ended now), or else the next renewal invoice with the change's
 * prorations pending on it. The same planning and finalization code as the real thing runs on
 * rows read without locks; nothing is written and no gateway is called. The customer's balance
 * is applied as finalization would; the number is left out, as none is taken.
 */
export async function createPreview(deps: Deps, accountId: string, input: PreviewInput) {
  if (!input.subscription) {
    if (input.subscription_details) throw invalid('parameter_missing', 'subscription_details needs a subscription', 'subscription');
    if (!input.customer) throw invalid('parameter_missing', 'give a customer or a subscription', 'customer');
    const subs = await deps.db.selectFrom('subscriptions').select('id').where('account_id', '=', accountId).where('customer_id', '=', input.customer)
      .where('status', 'not in', ['canceled', 'incomplete_expired']).orderBy('id').limit(2).execute();
    if (subs.length === 0) {
      const exists = await deps.db.selectFrom('customers').select('id').where('account_id', '=', accountId).where('id', '=', input.customer).executeTakeFirst();
      if (!exists) throw notFound('customer', input.customer, 'customer');
      throw invalid('invoice_upcoming_none', `Customer '${input.customer}' has no subscription to preview.`, 'customer');
    }
    if (subs.length > 1) throw invalid('parameter_missing', `Customer '${input.customer}' has several subscriptions; name one`, 'subscription');
    input = { ...input, subscription: subs[0]!.id };
  }
  try {
    return await preview(deps, accountId, input);
  } catch (err) {
    throw detailsParam(err);
  }
}

/** An error about a field of the change names it as the preview's request has it. */
const detailsParam = (err: unknown) => renameParam(err, (head) =>
  (head === 'subscription' || head === 'customer' ? null : `subscription_details[${head === 'id' ? 'subscription' : head}]`));

async function preview(deps: Deps, accountId: string, input: PreviewInput) {
  const change = input.subscription_details ?? {};
  const state = await loadChangeState(deps.db, deps.clock.now(), accountId, input.subscription!, change, { lock: false, idParam: 'subscription', taxCalculator: deps.taxCalculator });
  if (input.customer && input.customer !== state.sub.customer_id) {
    throw invalid('parameter_invalid', `Subscription '${state.sub.id}' does not belong to customer '${input.customer}'`, 'customer');
  }
  // Finalizing mutates the customer's numbering and balance: work on a copy.
  const billing = { customer: { ...state.billing.customer }, pm: state.billing.pm };
  state.billing = billing;
  // The discounts the renewal would take, as of the period's end (a repeating one may have ended).
  const atRenewal = async (sub: Row<'subscriptions'>) => (await loadDiscounts(deps.db, [{ sub, start: sub.current_period_end }])).get(sub.id);
  // New discounts in the change: what redeeming them would give, without redeeming them.
  const proposed = change.discounts === undefined ? null : await proposedDiscounts(deps.db, state.sub, change.discounts, state.now);
  if (proposed) state.discounts = proposed.now;
  let plan: InvoicePlan;
  if (input.subscription_details) {
    const changed = planChange(state, change);
    const renewalDiscounts = proposed ? proposed.at(changed.after.current_period_end) : await atRenewal(changed.after);
    plan = changed.invoice ?? renewalPlan(changed.after, changed.items, [...state.pending, ...changed.prorations], billing, state.tax, renewalDiscounts,
      await usageToDate(deps, state.sub, state.items, state.now));
  } else {
    plan = renewalPlan(state.sub, state.items, state.pending, billing, state.tax, await atRenewal(state.sub), await usageToDate(deps, state.sub, state.items, state.now));
  }
  finalizePlan(deps, plan, plan.at);
  const preview = { ...plan.invoice, id: `upcoming_${plan.invoice.id}`, number: null, status: 'draft', attempt_count: 0, finalized_at: null, paid_at: null, voided_at: null, due_date: null, marked_uncollectible_at: null };
  return invoiceView(preview, plan.lines);
}
