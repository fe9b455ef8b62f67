import { nextBoundaryAfter } from '../src/domain/calendar.ts';
import { buildInvoice } from '../src/domain/invoice-builder.ts';
import { prorationLines } from '../src/domain/prorate-change.ts';
import { systemClock } from '../src/adapters/clock.ts';
import type { PaymentGateway } from '../src/app/ports.ts';
import { billingCustomer, finalizePlan, type InvoicePlan } from '../src/app/invoicing/finalize.ts';
import {
  cycleOf, draftRows, itemStates, pauseBehaviorAt, recurringOf, subscriptionDraftLines, type ItemWithPrice,
} from '../src/app/invoicing/plan-invoice.ts';
import type { Row } from '../src/app/views.ts';

/**
 * Part (c): the invoice pipeline without its database. One renewal invoice of five subscription
 * lines, one per charge model, plus the credit and charge of a seat change in the period before,
 * priced and drafted and finalized by the engine's own functions, as fast as one thread can.
 */

const ACCOUNT = 'acct_bench';
const SUB = 'sub_bench';
const DAY = 86_400_000;
const anchor = new Date('2026-10-14T09:30:00Z');
const periodStart = new Date('2026-11-14T09:30:00Z');
const periodEnd = new Date('2026-12-14T09:30:00Z');

/** A price as PostgreSQL returns it: bigint amounts, numeric as text, tiers as parsed JSON with string amounts. */
function price(id: string, nickname: string, model: Partial<Row<'prices'>>): Row<'prices'> {
  return {
    account_id: ACCOUNT, id, product_id: 'prod_bench', currency: 'usd', billing_scheme: 'per_unit', unit_amount: null,
    unit_amount_decimal: null, tiers_mode: null, tiers: null, transform_quantity: null, recurring_interval: 'month',
    recurring_interval_count: 1, active: true, nickname, metadata: {}, created_at: anchor, currency_options: null, usage_type: 'licensed', meter_id: null, percentage: null, ...model,
  };
}
const tier = (up_to: number | null, unit: string | null, decimal: string | null = null, flat: string | null = null) =>
  ({ up_to, unit_amount: unit, unit_amount_decimal: decimal, flat_amount: flat, flat_amount_decimal: null });

const PRICES = {
  seats: price('price_seats', 'Seat', { unit_amount: 1500n }),
  storage: price('price_storage', 'Storage GB', { unit_amount_decimal: '12.345' }),
  calls: price('price_calls', 'API calls (graduated)', {
    billing_scheme: 'tiered', tiers_mode: 'graduated',
    tiers: [tier(10, '500'), tier(100, null, '300.25'), tier(null, '150', null, '1000')],
  }),
  users: price('price_users', 'Users (volume)', {
    billing_scheme: 'tiered', tiers_mode: 'volume', tiers: [tier(5, '800'), tier(20, '600'), tier(null, '400', null, '2500')],
  }),
  packs: price('price_packs', 'Message packs of 10', {
    unit_amount: 2500n, transform_quantity: { divide_by: 10, round: 'up' },
  }),
};

const item = (id: string, p: Row<'prices'>, quantity: number): ItemWithPrice =>
  ({ item: { account_id: ACCOUNT, id, subscription_id: SUB, price_id: p.id, quantity, created_at: anchor, tax_rates: [] }, price: p });

/** Before the change: 3 seats; after it, 5. The other items stay. */
const BEFORE: ItemWithPrice[] = [
  item('si_seats', PRICES.seats, 3), item('si_storage', PRICES.storage, 40), item('si_calls', PRICES.calls, 120),
  item('si_users', PRICES.users, 12), item('si_packs', PRICES.packs, 23),
];
const AFTER = BEFORE.map((x) => (x.item.id === 'si_seats' ? item('si_seats', PRICES.seats, 5) : x));

// The period has just ended; it renews now.
const SUBSCRIPTION: Row<'subscriptions'> = {
  account_id: ACCOUNT, id: SUB, customer_id: 'cus_bench', test_clock_id: null, status: 'active', currency: 'usd',
  recurring_interval: 'month', recurring_interval_count: 1, billing_cycle_anchor: anchor, current_period_start: periodStart,
  current_period_end: periodEnd, trial_start: null, trial_end: null, cancel_at_period_end: false, canceled_at: null,
  ended_at: null, latest_invoice_id: 'in_previous', default_payment_method_id: null, metadata: {}, next_action_at: periodEnd,
  billing_failure_count: 0, pause_collection: null, trial_settings: null, schedule_id: null, dunning_policy_id: null, default_tax_rates: [], discount_ids: [], automatic_tax: false, minimum_amount: null, billing_threshold_amount: null, cancellation_details: null, created_at: anchor, updated_at: periodStart,
  version: 7,
};
// A credit of 20.00 left by an earlier downgrade: finalization takes it off the amount due.
const CUSTOMER = {
  account_id: ACCOUNT, id: 'cus_bench', invoice_prefix: 'BENCH01', next_invoice_sequence: 8, version: 3,
  balance: -2000n, balance_currency: 'usd', currency: 'usd', name: null, address: null, tax_exempt: 'none', tax_ids: [],
};
const CARD = { id: 'pm_bench', gateway_token: 'tok_visa', gateway: 'sandbox', gateway_customer: null };

// finalizePlan reads the gateway's name for the attempt it opens; nothing is ever charged here.
const gateway: PaymentGateway = {
  name: 'sandbox',
  charge: () => Promise.reject(new Error('part (c) charges nothing')),
  retrieve: () => Promise.reject(new Error('part (c) charges nothing')),
  inspectToken: () => Promise.reject(new Error('part (c) charges nothing')),
  refund: () => Promise.reject(new Error('part (c) refunds nothing')),
  retrieveRefund: () => Promise.reject(new Error('part (c) refunds nothing')),
};
const deps = { gateway, recoveryDelayMs: 60_000, clock: systemClock };

/**
 * One invoice, the `n`th: the seat change's proration pair, prorated from a different second of
 * the old period each time (so no two invoices are alike), then the renewal priced, drafted and
 * finalized as the billing run does it.
 */
export function priceOneInvoice(n: number): InvoicePlan {
  const s = SUBSCRIPTION;
  const at = new Date(periodStart.getTime() + DAY + (n % 2_000_000) * 1000);
  const prorations = prorationLines({
    cycle: cycleOf(s), period: { start: s.current_period_start, end: s.current_period_end }, at,
    before: itemStates(BEFORE), after: itemStates(AFTER),
  });
  const start = s.current_period_end;
  const end = nextBoundaryAfter(s.billing_cycle_anchor, recurringOf(s), start);
  const built = buildInvoice(s.currency, [...prorations, ...subscriptionDraftLines(s, AFTER, [], start, end)]);
  const now = start;
  const { invoice, lines } = draftRows({
    accountId: s.account_id, customerId: s.customer_id, subscriptionId: s.id, testClockId: s.test_clock_id,
    reason: 'subscription_cycle', periodStart: start, periodEnd: end,
  }, built, now);
  const plan: InvoicePlan = {
    invoice, lines, consumed: [], subscription: s, customer: billingCustomer(CUSTOMER, CARD), pm: CARD, at: now,
    pause: pauseBehaviorAt(s, now),
  };
  finalizePlan(deps, plan, now);
  return plan;
}

/**
 * Throws unless an invoice came out as the engine would write it: otherwise the figure would
 * time a path that fails early or skips a stage. Returns a one-line description.
 */
export function checkInvoice(plan: InvoicePlan): string {
  const inv = plan.invoice;
  const kinds = plan.lines.map((l) => l.kind).join(',');
  const sum = plan.lines.reduce((a, l) => a + l.amount, 0n);
  const problems = [
    kinds === 'proration,proration,subscription,subscription,subscription,subscription,subscription' ? '' : `lines ${kinds}`,
    plan.lines[0]!.amount < 0n && plan.lines[1]!.amount > 0n ? '' : 'no credit and charge pair',
    sum === inv.total ? '' : `lines add up to ${sum}, total ${inv.total}`,
    inv.status === 'open' && inv.number === 'BENCH01-0008' && plan.attempt
      ? '' : `status ${inv.status}, number ${inv.number}, attempt ${plan.attempt?.id}`,
    inv.amount_due === inv.total - 2000n && inv.starting_balance === -2000n
      ? '' : `amount due ${inv.amount_due} of total ${inv.total}`,
  ].filter(Boolean);
  if (problems.length) throw new Error(`part (c) priced a wrong invoice: ${problems.join('; ')}`);
  const cents = (v: bigint) => (Number(v) / 100).toFixed(2);
  return `${plan.lines.length} lines (${plan.lines.map((l) => cents(l.amount)).join(', ')}), total ${cents(inv.total)}, ` +
    `${cents(inv.amount_due)} due after the customer's credit of 20.00`;
}

export type PricingRun = { invoices: number; seconds: number; cpuSeconds: number; perSecond: number };

/** Prices invoices back to back for `seconds` on this thread; the CPU time includes V8's helper threads (GC). */
export function pricingRun(seconds: number): PricingRun {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stop = t0 + seconds * 1000;
  let n = 0;
  let due = 0n;
  // Reading the clock every 64 invoices keeps its cost out of the figure.
  do {
    for (let k = 0; k < 64; k++) due += priceOneInvoice(n++).invoice.amount_due;
  } while (performance.now() < stop);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (due <= 0n) throw new Error('part (c): no amount was due');
  return { invoices: n, seconds: wall, cpuSeconds: (cpu.user + cpu.system) / 1e6, perSecond: n / wall };
}
