// Runs one retry strategy against a book through the real engine: real services, a real dunning
// policy, customers on a test clock advanced through business time, real payment attempts,
// dunning cases and notification rows. Only the processor is simulated (gateway.ts).
import { sql } from 'kysely';
import { createAccount } from '../app/accounts/accounts.ts';
import { createPrice, createProduct } from '../app/catalog/catalog.ts';
import { createCustomer } from '../app/customers/customers.ts';
import { attachPaymentMethod } from '../app/customers/payment-methods.ts';
import { createDunningPolicy } from '../app/dunning/policies.ts';
import { sequenceEvents } from '../app/events/sequencer.ts';
import type { Actor, Deps } from '../app/ports.ts';
import { createSubscription } from '../app/subscriptions/subscriptions.ts';
import { advanceTestClock, createTestClock } from '../app/test-clocks/test-clocks.ts';
import type { RetryStrategyName } from '../domain/dunning/policy.ts';
import { simToken } from './gateway.ts';
import type { Renewal } from './model.ts';

const DAY = 86_400_000;

/**
 * The policy every strategy runs under: the built-in rules with a two-week schedule, so that a
 * pay day is within reach of most failures. Only the strategy differs between runs.
 */
export const SIM_SCHEDULE_DAYS = [1, 3, 5, 7, 10, 14];

/** How one renewal ended under one strategy, read back from the engine's own rows. */
export type Outcome = {
  index: number; currency: string; amount: bigint; failed: boolean; recovered: boolean;
  /** Attempts on the renewal invoice, the first failure included. */
  attempts: number;
  firstFailureAt: Date | null; paidAt: Date | null;
  /** When the customer's new card was added (business time), if they added one while it could help. */
  cardUpdatedAt: Date | null;
};

export type StrategyRun = { strategy: RetryStrategyName; outcomes: Outcome[]; notifications: number };

/**
 * Customers per strategy are spread over this many test clocks, advanced side by side: a few
 * database sessions at once instead of one, while each clock still holds a hundred customers or so.
 */
export const CLOCKS_PER_STRATEGY = 3;

/** The customers, cards and subscriptions of the book, on a few clocks of a fresh account. */
async function openBook(deps: Deps, book: readonly Renewal[], strategy: RetryStrategyName, start: Date) {
  const { account } = await createAccount(deps.db, `Simulation: ${strategy}`);
  const actor: Actor = { accountId: account.id, actor: 'simulation', requestId: null };
  await createDunningPolicy(deps, actor, { name: `Simulation (${strategy})`, is_default: true, retry_schedule_days: SIM_SCHEDULE_DAYS, retry_strategy: strategy });
  const product = await createProduct(deps, actor, { name: 'Annual plan' });
  const prices = new Map<string, string>();
  // Yearly plans: each subscription renews exactly once in the simulated weeks.
  for (const r of book) {
    const key = `${r.currency}:${r.amount}`;
    if (!prices.has(key)) prices.set(key, (await createPrice(deps, actor, { product: product.id, currency: r.currency, unit_amount: Number(r.amount), recurring: { interval: 'year' } })).id);
  }
  const customers = new Map<string, Renewal>();
  const clocks = await Promise.all(Array.from({ length: CLOCKS_PER_STRATEGY }, async (_, lane) => {
    const clock = await createTestClock(deps, actor, { frozen_time: new Date(start.getTime() - DAY), name: `simulation ${strategy} ${lane + 1}` });
    for (const r of book.filter((x) => x.index % CLOCKS_PER_STRATEGY === lane)) {
      const c = await createCustomer(deps, actor, { email: `customer${r.index}@simulation.invalid`, name: `Customer ${r.index}`, test_clock: clock.id, time_zone: r.timeZone });
      await attachPaymentMethod(deps, actor, { customer: c.id, token: simToken(r, 0) });
      // The trial ends at the renewal: its first charge is a renewal, which dunning recovers.
      await createSubscription(deps, actor, { customer: c.id, items: [{ price: prices.get(`${r.currency}:${r.amount}`)! }], trial_end: r.renewalAt.toISOString() });
      customers.set(c.id, r);
    }
    return clock.id;
  }));
  return { actor, clocks, customers };
}

/** Customers with a payment-failed message, and the business time of the event that made their first one. */
async function failedEmails(deps: Deps, accountId: string) {
  const rows = await deps.db.selectFrom('notifications as n').innerJoin('events as e', (j) => j.onRef('e.account_id', '=', 'n.account_id').onRef('e.id', '=', 'n.event_id'))
    .select(['n.customer_id', sql<Date>`min(e.created_at)`.as('at')]).where('n.account_id', '=', accountId).where('n.kind', '=', 'payment_failed')
    .groupBy('n.customer_id').execute();
  return rows;
}

/**
 * Runs the book under `strategy` for `days` of business time from `start`. The clocks move a day
 * at a time (each advance runs everything that fell due, in time order), and stop in between at
 * the instants customers add their new card, so each lands at its model time whatever the strategy.
 */
export async function runStrategy(deps: Deps, book: readonly Renewal[], strategy: RetryStrategyName, start: Date, days: number): Promise<StrategyRun> {
  const { actor, clocks, customers } = await openBook(deps, book, strategy, start);
  const end = new Date(start.getTime() + days * DAY);
  const updates = new Map<string, Date>(); // customer → when they add their new card
  const updated = new Map<number, Date>();
  let now = new Date(start.getTime() - DAY);
  while (now < end) {
    const nextDay = new Date(Math.min(end.getTime(), start.getTime() + (Math.floor((now.getTime() - start.getTime()) / DAY) + 1) * DAY));
    const due = [...updates.values()].filter((t) => t > now).reduce((a, t) => (t < a ? t : a), nextDay);
    now = due;
    await Promise.all(clocks.map(async (id) => await advanceTestClock(deps, actor, id, { frozen_time: now })));
    // Messages are made from committed events, as the worker's sequencer does.
    await sequenceEvents(deps.db, deps.clock.now());
    for (const e of await failedEmails(deps, actor.accountId)) {
      const r = customers.get(e.customer_id);
      if (r && r.updatesCardAfterDays !== null && !updates.has(e.customer_id)) updates.set(e.customer_id, new Date(new Date(e.at).getTime() + r.updatesCardAfterDays * DAY));
    }
    for (const [customer, at] of updates) {
      if (at.getTime() !== now.getTime()) continue;
      // A new card can only help a renewal still in recovery; one already paid or given up on is left alone.
      const active = await deps.db.selectFrom('dunning_cases').select('id').where('account_id', '=', actor.accountId).where('customer_id', '=', customer)
        .where('status', '=', 'active').executeTakeFirst();
      if (!active) continue;
      const r = customers.get(customer)!;
      await attachPaymentMethod(deps, actor, { customer, token: simToken(r, 1), set_default: true });
      updated.set(r.index, now);
    }
  }
  return { strategy, outcomes: await outcomesOf(deps, actor.accountId, customers, updated), notifications: await countNotifications(deps, actor.accountId) };
}

async function countNotifications(deps: Deps, accountId: string): Promise<number> {
  const r = await deps.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Each renewal's invoice, its attempts and when it was paid, as the engine recorded them. */
async function outcomesOf(deps: Deps, accountId: string, customers: Map<string, Renewal>, updated: Map<number, Date>): Promise<Outcome[]> {
  const invoices = await deps.db.selectFrom('invoices').select(['id', 'customer_id', 'currency', 'total', 'status', 'amount_paid', 'paid_at'])
    .where('account_id', '=', accountId).where('billing_reason', '=', 'subscription_cycle').execute();
  const attempts = await deps.db.selectFrom('payment_attempts').select(['invoice_id', 'status', 'created_at'])
    .where('account_id', '=', accountId).orderBy('created_at').execute();
  const byInvoice = new Map<string, typeof attempts>();
  for (const a of attempts) byInvoice.set(a.invoice_id, [...(byInvoice.get(a.invoice_id) ?? []), a]);
  const outcomes = invoices.map((inv): Outcome => {
    const r = customers.get(inv.customer_id)!;
    const tries = byInvoice.get(inv.id) ?? [];
    const firstFailure = tries.find((a) => a.status === 'failed');
    return {
      index: r.index, currency: inv.currency, amount: BigInt(inv.total), failed: firstFailure !== undefined,
      recovered: firstFailure !== undefined && inv.status === 'paid', attempts: tries.length,
      firstFailureAt: firstFailure?.created_at ?? null, paidAt: inv.status === 'paid' ? inv.paid_at : null, cardUpdatedAt: updated.get(r.index) ?? null,
    };
  });
  return outcomes.sort((a, b) => a.index - b.index);
}
