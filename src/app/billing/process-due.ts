import { nextBoundaryAfter } from '../../domain/calendar.ts';
import { dueAction, nextActionAt, type DueAction } from '../../domain/subscription-schedule.ts';
import { transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { systemActor, type Deps } from '../ports.ts';
import { command, UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, type Row } from '../views.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import { recordBillingFailure } from './failures.ts';
import { loadBillingCustomers, loadItems, loadMeteredItems, loadPendingItems, subscriptionViewWith } from './load.ts';
import { measureUsage, meteredItems, periodsToBill, recordUsageBill, usageBills, usageSettlesAt, type MeasuredUsage, type UsageBill } from '../usage/usage-billing.ts';
import type { FixedDraft } from '../../domain/invoice-builder.ts';
import { creditNoteAccounts, issueCorrections } from '../usage/corrections.ts';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { clockTimes } from '../time.ts';
import { loadDiscounts } from '../catalog/coupons.ts';
import { loadLineTaxes, subscriptionTaxNeeds } from '../catalog/line-taxes.ts';
import { finalizeAndWrite, type InvoicePlan } from '../invoicing/finalize.ts';
import { recurringOf, subscriptionPlan } from '../invoicing/plan-invoice.ts';

type Sub = Row<'subscriptions'>;
type Outcome = DueAction | 'trial_paused' | 'trial_canceled';
type SubUpdate = { before: Sub; after: Sub; action: Outcome };

/** What a trial ending without a payment method does (trial_settings; Stripe's default: invoice anyway). */
function missingPaymentMethodBehavior(s: Sub): 'pause' | 'cancel' | 'create_invoice' {
  const t = s.trial_settings as { end_behavior?: { missing_payment_method?: 'pause' | 'cancel' | 'create_invoice' } } | null;
  return t?.end_behavior?.missing_payment_method ?? 'create_invoice';
}

/**
 * Does what is due for locked subscriptions, each at its own business time: renew or end a
 * trial (invoice the next period and start collecting), end at period end, or expire an unpaid
 * first invoice. All writes go into the caller's transaction, one statement per table for the
 * whole batch; the charges to send after commit are returned.
 */
export async function applyDue(deps: Deps, u: UnitOfWork, subs: Sub[], nowOf: (s: Sub) => Date, opts: { mayConflict: boolean; measured?: MeasuredUsage }): Promise<PendingCharge[]> {
  const due = dueActions(subs, nowOf);
  const renewing = due.filter((d) => d.action === 'renew' || d.action === 'end_trial').map((d) => d.s);
  // A subscription that ends at its period's end still owes that period's usage: a final invoice.
  // So does one canceled mid-period (for the part it ran), and one whose late usage is settled.
  const billing = [...renewing, ...due.filter((d) => (d.action === 'cancel_at_period_end' && closingPeriod(d)) || d.action === 'ended_usage').map((d) => d.s)];
  const finalBilled = await periodBilled(u.tx, due.filter((d) => d.action === 'ended_usage').map((d) => d.s));
  const [items, customers, pending, discounts] = await Promise.all([
    loadItems(u.tx, due.map((d) => d.s)), loadBillingCustomers(u.tx, billing), loadPendingItems(u.tx, renewing),
    loadDiscounts(u.tx, billing.map((s) => ({ sub: s, start: s.ended_at && s.ended_at < s.current_period_end ? s.ended_at : s.current_period_end })))]);
  const [taxes, usage] = await Promise.all([
    loadLineTaxes(deps, u.tx, new Map(billing.map((s) => [s.id,
      subscriptionTaxNeeds(s, customers.get(s.id)!.customer.tax, items.get(s.id) ?? [], pending.get(s.id) ?? [])]))),
    periodsToBill(u.tx, due.filter((d) => billing.includes(d.s)).map((d) => ({ sub: d.s, items: items.get(d.s.id) ?? [], closing: closingPeriod(d, finalBilled) })))
      .then((periods) => usageBills(deps, u.tx, periods, opts.measured ?? new Map(), nowOf)),
  ]);
  const plans: InvoicePlan[] = [];
  // The usage bill each invoice carries, to record in the ledger once the invoice is written.
  const billOf = new Map<string, UsageBill>();
  const separate = await creditNoteAccounts(u, [...usage.keys()].map((id) => billing.find((s) => s.id === id)!.account_id));
  /** The subscription's usage lines for its next invoice; under the credit_note policy its corrections leave as their own documents. */
  const usageLinesOf = async (s: Sub, now: Date, ownDocuments = separate.has(s.account_id)) => {
    const bill = usage.get(s.id);
    if (!bill) return { bill: undefined, lines: [] };
    if (ownDocuments) {
      const correction = await issueCorrections(deps, u, s, bill, customers.get(s.id)!.customer, (sub, lines, start, end) => subscriptionPlan(sub, meteredItems(items.get(sub.id) ?? []), [],
        customers.get(sub.id)!, start, end, 'usage_correction', now, taxes.get(sub.id), discounts.get(sub.id), lines), now);
      if (correction) { plans.push(correction.plan); billOf.set(correction.plan.invoice.id, correction.bill); }
    }
    return { bill, lines: bill.lines };
  };
  const updates: SubUpdate[] = [];
  for (const { s, action } of due) {
    const now = nowOf(s);
    const status = s.status as SubscriptionStatus;
    const touched = { updated_at: now, version: s.version + 1 };
    if (action === 'expire_incomplete') {
      const after = await expireIncomplete(deps, u.as(systemActor(s.account_id, deps.workerId)), s, now);
      if (after) updates.push({ before: s, after, action });
      continue;
    }
    /** A document of usage lines alone (a final invoice, or late usage's), its ledger recorded once written. */
    const usageOnly = (lines: FixedDraft[], bill: UsageBill, start: Date, end: Date, reason: 'subscription_final' | 'usage_correction') => {
      const plan = subscriptionPlan(s, meteredItems(items.get(s.id) ?? []), [], customers.get(s.id)!, start, end, reason, now, taxes.get(s.id), discounts.get(s.id), lines);
      plans.push(plan);
      billOf.set(plan.invoice.id, bill);
    };
    if (action === 'cancel_at_period_end') {
      const { bill, lines } = await usageLinesOf(s, now);
      if (bill && lines.length) usageOnly(lines, bill, s.current_period_start, s.current_period_end, 'subscription_final');
      // Usage reported late for its last period is still billed, once its window has closed.
      const settleAt = closingPeriod({ s, action }) && meteredItems(items.get(s.id) ?? []).length ? usageSettlesAt(s.current_period_end) : null;
      updates.push({ before: s, action, after: { ...s, ...touched, status: transition(status, 'cancel'), ended_at: s.current_period_end, next_action_at: settleAt } });
      continue;
    }
    if (action === 'ended_usage') {
      const closing = closingPeriod({ s, action }, finalBilled);
      // No next invoice will come: whatever the account's policy, corrections leave as their own documents.
      const { bill, lines } = await usageLinesOf(s, now, true);
      if (bill && lines.length) {
        usageOnly(lines, bill, new Date(Math.min(...lines.map((l) => l.period_start.getTime()))),
          new Date(Math.max(...lines.map((l) => l.period_end.getTime()))), closing ? 'subscription_final' : 'usage_correction');
      }
      // After the last period's bill, once more when its late window closes; after that, never.
      const settleAt = closing ? usageSettlesAt(s.ended_at && s.ended_at < closing.end ? s.ended_at : closing.end) : null;
      updates.push({ before: s, action, after: { ...s, ...touched, next_action_at: settleAt && settleAt > now ? settleAt : null } });
      continue;
    }
    const billing = customers.get(s.id)!;
    const onMissingCard = action === 'end_trial' && !billing.pm ? missingPaymentMethodBehavior(s) : 'create_invoice';
    if (onMissingCard === 'pause') {
      // Paused until resumed (POST /v1/subscriptions/:id/resume): no invoice, nothing scheduled.
      updates.push({ before: s, action: 'trial_paused', after: { ...s, ...touched, status: transition(status, 'pause'), next_action_at: null } });
      continue;
    }
    if (onMissingCard === 'cancel') {
      updates.push({ before: s, action: 'trial_canceled', after: { ...s, ...touched, status: transition(status, 'cancel'), canceled_at: now, ended_at: s.current_period_end, next_action_at: null } });
      continue;
    }
    // The next period starts where the current one ends, its end computed from the anchor.
    const start = s.current_period_end;
    const end = nextBoundaryAfter(s.billing_cycle_anchor, recurringOf(s), start);
    const { bill, lines } = await usageLinesOf(s, now);
    const plan = subscriptionPlan(s, items.get(s.id) ?? [], pending.get(s.id) ?? [], billing, start, end, 'subscription_cycle', now, taxes.get(s.id), discounts.get(s.id), lines);
    if (bill) billOf.set(plan.invoice.id, bill);
    plans.push(plan);
    const next = action === 'end_trial' ? transition(status, 'trial_ended') : status;
    // A pause whose resumes_at has come ends with this renewal.
    const pause_collection = plan.pause ? s.pause_collection : null;
    updates.push({ before: s, action, after: {
      ...s, ...touched, status: next, current_period_start: start, current_period_end: end, latest_invoice_id: plan.invoice.id,
      pause_collection, next_action_at: nextActionAt({ ...s, status: next, current_period_end: end }),
    } });
  }
  const { written, charges } = await finalizeAndWrite(deps, u, plans, { mayConflict: opts.mayConflict, guarded: false });
  const ledger: Row<'usage_billings'>[] = [];
  for (const p of written) {
    const bill = billOf.get(p.invoice.id);
    if (bill) ledger.push(...await recordUsageBill(u.tx, p.invoice.account_id, p.invoice.subscription_id!, bill, { invoiceId: p.invoice.id }));
  }
  u.insertLater('usage_billings', ledger);
  const writtenPlans = new Map(written.map((p) => [p.invoice.id, p]));
  for (const up of updates) {
    if (!up.after.latest_invoice_id || up.after.latest_invoice_id === up.before.latest_invoice_id) continue;
    const plan = writtenPlans.get(up.after.latest_invoice_id);
    // A period invoiced earlier keeps its invoice; the subscription still moves on.
    if (!plan) up.after.latest_invoice_id = up.before.latest_invoice_id;
    else if (plan.collection === 'no_payment_method') up.after.status = transition(up.after.status as SubscriptionStatus, 'payment_failed');
  }
  writeSubscriptions(u, updates);
  for (const { before, after, action } of updates) {
    const w = u.as(systemActor(after.account_id, deps.workerId));
    const prev = { status: before.status, current_period_start: before.current_period_start, current_period_end: before.current_period_end };
    const name = { renew: 'subscription.renewed', end_trial: 'subscription.trial_ended', cancel_at_period_end: 'subscription.ended', expire_incomplete: 'subscription.expired',
      trial_paused: 'subscription.paused', trial_canceled: 'subscription.canceled', ended_usage: 'subscription.ended_usage_billed' }[action];
    w.audit(name, 'subscription', after.id, prev, { status: after.status, current_period_start: after.current_period_start, current_period_end: after.current_period_end, ended_at: after.ended_at }, after.updated_at);
    // An ended subscription's last bills are told by their invoices' events; the subscription itself did not change.
    if (action === 'ended_usage') continue;
    const view = subscriptionViewWith(after, items.get(after.id));
    const ended = action === 'cancel_at_period_end' || action === 'trial_canceled';
    w.emit(ended ? 'subscription.deleted' : 'subscription.updated', after.id, view, after.updated_at, { previous_attributes: prev });
    if (action === 'trial_paused') w.emit('subscription.paused', after.id, view, after.updated_at, { reason: 'trial_ended_without_payment_method' });
  }
  // What this transaction leaves behind, so the charges can be settled without reading it again.
  const planOf = new Map(written.map((p) => [p.invoice.id, p]));
  const subAfter = new Map(updates.map((x) => [x.after.id, x.after]));
  return charges.map((c) => {
    const plan = planOf.get(c.attempt.invoice_id)!;
    const subId = plan.invoice.subscription_id!;
    return { ...c, snapshot: { invoice: plan.invoice, lines: plan.lines, subscription: subAfter.get(subId) ?? null, items: items.get(subId) ?? [] } };
  });
}

function dueActions(subs: Sub[], nowOf: (s: Sub) => Date) {
  return subs.flatMap((s) => {
    const action = dueAction({ ...s, status: s.status as SubscriptionStatus }, nowOf(s));
    return action ? [{ s, action }] : [];
  });
}

/**
 * The period whose usage a due action bills: the one ending now, unless it was a trial (trial
 * usage is free). An ended subscription's last period (up to its end), unless a period-end bill
 * covered it (`finalBilled`; without it, as before the lock, none).
 */
function closingPeriod(d: { s: Sub; action: DueAction }, finalBilled?: Set<string>): { start: Date; end: Date } | null {
  if (d.action === 'ended_usage') {
    // Keyed by the whole period (a threshold invoice may have billed part of it); usage counts up to the end.
    return !finalBilled || finalBilled.has(d.s.id) ? null : { start: d.s.current_period_start, end: d.s.current_period_end };
  }
  if ((d.action !== 'renew' && d.action !== 'cancel_at_period_end') || d.s.status === 'trialing') return null;
  return { start: d.s.current_period_start, end: d.s.current_period_end };
}

/**
 * Usage of the metered items of subscriptions about to be billed, measured before the billing
 * transaction locks them (read without locks; a subscription claimed that was not measured here
 * is measured under the lock instead, and usage arriving after this read is billed later as a
 * correction, so a stale read costs time, never money).
 */
export async function measureDueUsage(deps: Deps, subs: Sub[], nowOf: (s: Sub) => Date): Promise<MeasuredUsage> {
  const due = dueActions(subs, nowOf).filter((d) => d.action !== 'expire_incomplete');
  if (due.length === 0) return new Map();
  const items = await loadMeteredItems(deps.db, due.map((d) => d.s));
  if (items.size === 0) return new Map();
  const periods = await periodsToBill(deps.db, due.map((d) => ({ sub: d.s, items: items.get(d.s.id) ?? [], closing: closingPeriod(d) })));
  return await measureUsage(deps, deps.db, periods);
}

/** The ended subscriptions whose last period's usage a period-end bill already covered. */
async function periodBilled(tx: Kysely<DB> | Transaction<DB>, subs: Sub[]): Promise<Set<string>> {
  if (subs.length === 0) return new Set();
  const rows = await tx.selectFrom('usage_billings as b').innerJoin('subscriptions as s', (j) => j.onRef('s.account_id', '=', 'b.account_id').onRef('s.id', '=', 'b.subscription_id'))
    .select('s.id').distinct().where('b.kind', '=', 'period').whereRef('b.period_start', '=', 's.current_period_start')
    .where('s.id', 'in', subs.map((x) => x.id)).execute();
  return new Set(rows.map((r) => r.id));
}

/** Subscription changes of a batch, written with the command's single flush. */
function writeSubscriptions(u: UnitOfWork, updates: SubUpdate[]) {
  u.updateLater('subscriptions', updates.map(({ before, after: s }) => ({
    account_id: s.account_id, id: s.id, status: s.status, current_period_start: s.current_period_start,
    current_period_end: s.current_period_end, ended_at: s.ended_at, canceled_at: s.canceled_at, next_action_at: s.next_action_at,
    latest_invoice_id: s.latest_invoice_id, pause_collection: s.pause_collection, billing_failure_count: 0, updated_at: s.updated_at, version: before.version,
  })));
}

/** incomplete → incomplete_expired, voiding the unpaid first invoice; waits while a charge is unsettled. */
async function expireIncomplete(deps: Deps, u: UnitOfWork, s: Sub, now: Date): Promise<Sub | null> {
  const inFlight = await attemptInFlight(u.tx, u.accountId, s.latest_invoice_id ?? '');
  if (inFlight) {
    // A charge whose outcome is not yet known might still pay the invoice: look again after recovery.
    await u.tx.updateTable('subscriptions').set({ next_action_at: new Date(now.getTime() + deps.recoveryDelayMs) })
      .where('account_id', '=', u.accountId).where('id', '=', s.id).execute();
    return null;
  }
  if (s.latest_invoice_id) {
    const voided = await u.tx.updateTable('invoices').set({ status: 'void', voided_at: now, amount_remaining: 0n, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', s.latest_invoice_id).where('status', '=', 'open').returningAll().executeTakeFirst();
    if (voided) {
      u.audit('invoice.voided', 'invoice', voided.id, { status: 'open' }, { status: 'void' }, now);
      u.emit('invoice.voided', voided.id, invoiceView(voided, []), now);
    }
  }
  return { ...s, status: transition(s.status as SubscriptionStatus, 'incomplete_expired'), ended_at: now, next_action_at: null, updated_at: now, version: s.version + 1 };
}

// Due subscriptions claimed per transaction by a worker loop.
export const CLAIM_BATCH = 25;

/**
 * Real time: claims up to `batch` due subscriptions that no other worker holds (SKIP LOCKED),
 * applies what is due in one transaction, then sends the charges. Returns how many it claimed.
 * A batch writes its invoices with its one flush; should a period already be invoiced (the unique
 * index refuses it) or anything else fail, each subscription is retried on its own, where an
 * already-invoiced period is skipped, so one bad row cannot hold up the rest; a row that still
 * fails is tried again later and, failing each time, parked as a billing failure (failures.ts).
 */
export async function processNextDue(deps: Deps, batch = CLAIM_BATCH): Promise<number> {
  const now = deps.clock.now();
  let claimed: Sub[] = [];
  let charges: PendingCharge[];
  try {
    const measured = await anyMeteredPrice(deps) ? await measureDueUsage(deps, await dueSubscriptions(deps.db, now, batch, false), () => now) : new Map();
    charges = await deps.db.transaction().execute(async (tx) => {
      claimed = await dueSubscriptions(tx, now, batch, true);
      if (claimed.length === 0) return [];
      const u = new UnitOfWork(tx, systemActor(claimed[0]!.account_id, deps.workerId));
      const c = await applyDue(deps, u, claimed, () => now, { mayConflict: false, measured });
      await u.flush();
      return c;
    });
  } catch (err) {
    if (claimed.length === 0) throw err;
    deps.log.warn({ err, batch: claimed.length }, 'billing batch failed; retrying its subscriptions one by one');
    for (const s of claimed) {
      try {
        await processDueSubscription(deps, s.account_id, s.id);
      } catch (one) {
        const r = await recordBillingFailure(deps, s.account_id, s.id, one, { onClock: false });
        deps.log.error({ err: one, subscription: s.id, attempts: r?.attempts }, r?.parked ? 'billing a subscription failed again; parked until an operator retries it' : 'billing a subscription failed; it will be tried again');
      }
    }
    return claimed.length;
  }
  if (charges.length) await sendAttempts(deps, systemActor(charges[0]!.attempt.account_id, deps.workerId), charges);
  return claimed.length;
}

// Whether any account has a metered price, per Deps, looked up at most every few seconds.
const meteredKnown = new WeakMap<Deps, { any: boolean; until: number }>();
const METERED_TTL_MS = 5_000;

/**
 * Whether measuring usage before the lock can help at all. A stale "no" only moves the
 * measuring under the lock (slower for that batch, the same amounts); without any metered
 * price it saves two reads per batch of a billing run.
 */
async function anyMeteredPrice(deps: Deps): Promise<boolean> {
  const known = meteredKnown.get(deps);
  const t = performance.now(); // a cache age, not business time
  if (known && known.until > t) return known.any;
  const row = await deps.db.selectFrom('prices').select('id').where('usage_type', '=', 'metered').limit(1).executeTakeFirst();
  meteredKnown.set(deps, { any: row !== undefined, until: t + METERED_TTL_MS });
  return row !== undefined;
}

/** Real-time subscriptions due by `now`, oldest first; `lock`: claimed, skipping those another worker holds. */
async function dueSubscriptions(db: Kysely<DB> | Transaction<DB>, now: Date, batch: number, lock: boolean): Promise<Sub[]> {
  const q = db.selectFrom('subscriptions').selectAll()
    .where('next_action_at', '<=', now).where('test_clock_id', 'is', null)
    // A schedule's phase that starts by then goes first, so that a renewal bills the new phase.
    .where((eb) => eb.or([eb('schedule_id', 'is', null), eb.not(eb.exists(eb.selectFrom('subscription_schedules as ss').select('ss.id')
      .whereRef('ss.account_id', '=', 'subscriptions.account_id').whereRef('ss.id', '=', 'subscriptions.schedule_id')
      .whereRef('ss.next_phase_at', '<=', 'subscriptions.next_action_at')))]))
    .orderBy('next_action_at').limit(batch);
  return await (lock ? q.forUpdate().skipLocked() : q).execute();
}

/** One named subscription at its own business time (a test clock's, or real time). */
export async function processDueSubscription(deps: Deps, accountId: string, subscriptionId: string): Promise<void> {
  const peek = await deps.db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).where('id', '=', subscriptionId).execute();
  const measured = await measureDueUsage(deps, peek, await clockTimes(deps.db, deps.clock.now(), peek));
  const charges = await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId)
      .where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
    const timeOf = await clockTimes(u.tx, deps.clock.now(), [s]);
    return await applyDue(deps, u, [s], timeOf, { mayConflict: true, measured });
  });
  if (charges.length) await sendAttempts(deps, systemActor(accountId, deps.workerId), charges);
}
