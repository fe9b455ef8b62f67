import { sql } from 'kysely';
import { canTransition, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import type { Actor, ChargeOutcome, Deps } from '../ports.ts';
import { atomically, command, StaleWriteError, type UnitOfWork } from '../unit-of-work.ts';
import { invoiceView, paymentAttemptView, type Row } from '../views.ts';
import { loadItems, subscriptionViewWith } from '../billing/load.ts';
import { clockTimes } from '../time.ts';
import type { ItemWithPrice } from '../invoicing/plan-invoice.ts';
import { mayConcernDunning } from '../dunning/cases.ts';
import { enqueue } from '../jobs/queue.ts';

/** What the command that opened an attempt knew when it committed: enough to settle without reading. */
export type Snapshot = { invoice: Row<'invoices'>; lines: Row<'invoice_lines'>[]; subscription: Row<'subscriptions'> | null; items: ItemWithPrice[] };
export type Settlement = { attempt: Row<'payment_attempts'>; outcome: ChargeOutcome; snapshot?: Snapshot | undefined; recordedByCaller?: boolean | undefined };
type SubEvent = 'payment_succeeded' | 'payment_failed' | 'first_payment_failed';
type Changed = Map<string, Row<'subscriptions'>>;

/** The rows a settlement touches, as last read (or as the opening command left them). */
type State = {
  attempts: Row<'payment_attempts'>[];   // already carrying the outcome
  invoices: Map<string, Row<'invoices'>>;
  lines: Map<string, Row<'invoice_lines'>[]>;
  subscriptions: Map<string, Row<'subscriptions'>>;
  items: Map<string, ItemWithPrice[]>;
  /** Attempts whose sender records them in their dunning case itself. */
  recordedByCaller: ReadonlySet<string>;
};

/**
 * Applies gateway outcomes to their attempts, invoices and subscriptions, once: only attempts
 * still pending/unknown change, so a late answer and a recovery can never both count.
 *
 * Fast path: when the opening command's snapshot is at hand, everything is written by one
 * statement whose writes are conditional on the rows being as the snapshot saw them (status of
 * the attempt, version of invoice and subscription). If anything moved meanwhile, that statement
 * writes nothing and the careful path runs: a transaction that locks and re-reads the rows.
 */
export async function settleAttempts(deps: Deps, actor: Actor, settlements: Settlement[]): Promise<Changed> {
  if (settlements.length === 0) return new Map();
  if (settlements.every((s) => s.snapshot)) {
    try {
      return await atomically(deps, actor, async (u) => {
        const withOutcome = await applyOutcomes(deps, u, settlements);
        u.updateLater('payment_attempts', withOutcome.map(attemptChanges), { guard: stillOpen('t') });
        const snaps = settlements.map((s) => s.snapshot!);
        return apply(deps, u, {
          attempts: withOutcome,
          invoices: new Map(snaps.map((s) => [s.invoice.id, s.invoice])),
          lines: new Map(snaps.map((s) => [s.invoice.id, s.lines])),
          subscriptions: new Map(snaps.flatMap((s) => (s.subscription ? [[s.subscription.id, s.subscription] as const] : []))),
          items: new Map(snaps.flatMap((s) => (s.subscription ? [[s.subscription.id, s.items] as const] : []))),
          recordedByCaller: byCaller(settlements),
        });
      });
    } catch (err) {
      if (!(err instanceof StaleWriteError)) throw err;
    }
  }
  return await command(deps, actor, async (u) => {
    const withOutcome = await applyOutcomes(deps, u, settlements);
    const changes = withOutcome.map(attemptChanges);
    const updated = (await sql<{ id: string }>`
      UPDATE payment_attempts pa SET status = v.status, gateway_charge_id = v.gateway_charge_id, decline_code = v.decline_code,
        failure_message = v.failure_message, gateway_decline_code = v.gateway_decline_code, decline_category = v.decline_category,
        do_not_retry = v.do_not_retry, network_advice = v.network_advice, recover_at = NULL, updated_at = v.updated_at,
        gateway_called_at = v.gateway_called_at, gateway_ms = v.gateway_ms, gateway_result = v.gateway_result
      FROM rebill_rows(NULL::payment_attempts, ${JSON.stringify(changes)}::jsonb) v
      WHERE pa.account_id = v.account_id AND pa.id = v.id AND ${sql.raw(stillOpen('pa'))}
      RETURNING pa.id`.execute(u.tx)).rows;
    const won = new Set(updated.map((r) => r.id));
    const attempts = withOutcome.filter((a) => won.has(a.id));
    if (attempts.length === 0) return new Map();
    const accounts = [...new Set(attempts.map((a) => a.account_id))];
    const invoices = await u.tx.selectFrom('invoices').selectAll().where('account_id', 'in', accounts)
      .where('id', 'in', attempts.map((a) => a.invoice_id)).forUpdate().execute();
    const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', 'in', accounts)
      .where('invoice_id', 'in', invoices.map((i) => i.id)).orderBy('position').orderBy('id').execute();
    const subIds = invoices.flatMap((i) => (i.subscription_id ? [i.subscription_id] : []));
    const subs = subIds.length ? await u.tx.selectFrom('subscriptions').selectAll().where('account_id', 'in', accounts)
      .where('id', 'in', subIds).forUpdate().execute() : [];
    return apply(deps, u, {
      attempts,
      invoices: new Map(invoices.map((i) => [i.id, i])),
      lines: new Map(invoices.map((i) => [i.id, lines.filter((l) => l.invoice_id === i.id)])),
      subscriptions: new Map(subs.map((s) => [s.id, s])),
      items: await loadItems(u.tx, subs),
      recordedByCaller: byCaller(settlements),
    });
  });
}

const byCaller = (settlements: Settlement[]): ReadonlySet<string> => new Set(settlements.flatMap((s) => (s.recordedByCaller ? [s.attempt.id] : [])));

/** The attempts as the gateway left them, each stamped with its own business time. */
async function applyOutcomes(deps: Deps, u: UnitOfWork, settlements: Settlement[]): Promise<Row<'payment_attempts'>[]> {
  const timeOf = await clockTimes(u.tx, deps.clock.now(), settlements.map((s) => s.attempt));
  return settlements.map(({ attempt: a, outcome: o }) => ({
    ...a, status: o.status, gateway_charge_id: o.chargeId, recover_at: null, updated_at: timeOf(a),
    ...declineColumns(o),
  }));
}

/**
 * "Still pending or unknown", written as "not final yet": the same rows (the column's CHECK
 * allows no other status), but a condition the planner cannot match to the partial index of
 * open attempts. Matched, that index looks like the cheapest way in whenever the statistics say
 * few attempts are open (they are short-lived), and the planner then reads every open attempt
 * for each settlement: after a gateway outage, a backlog of unknown attempts would make
 * recovery quadratic. Unmatched, each attempt is found by its primary key.
 */
const stillOpen = (alias: string) => `${alias}.status NOT IN ('succeeded', 'failed')`;
const attemptChanges = (a: Row<'payment_attempts'>) => ({
  account_id: a.account_id, id: a.id, status: a.status, gateway_charge_id: a.gateway_charge_id, decline_code: a.decline_code,
  failure_message: a.failure_message, gateway_decline_code: a.gateway_decline_code, decline_category: a.decline_category,
  do_not_retry: a.do_not_retry, network_advice: a.network_advice, recover_at: null, updated_at: a.updated_at,
  // The gateway call's record (src/app/gateways/health.ts) rides on the settlement: no write of its own.
  gateway_called_at: a.gateway_called_at, gateway_ms: a.gateway_ms, gateway_result: a.gateway_result,
});

/** A failed charge's normalized decline, as the attempt's columns keep it; all empty for a success. */
export function declineColumns(o: ChargeOutcome) {
  if (o.status !== 'failed') return { decline_code: null, failure_message: null, gateway_decline_code: null, decline_category: null, do_not_retry: false, network_advice: null };
  const n = o.decline.network;
  return {
    decline_code: o.decline.declineCode, failure_message: o.message, gateway_decline_code: o.gatewayCode, decline_category: o.decline.category,
    do_not_retry: o.decline.doNotRetry,
    network_advice: n ? { network: n.name, code: n.code, visa_category: n.visaCategory ?? null, mastercard_advice_code: n.mastercardAdvice?.code ?? null, verdict: n.verdict } : null,
  };
}

/** Open invoices are collected; an uncollectible one may still be paid (Stripe allows it) and is then paid. */
const awaitsPayment = (inv: Row<'invoices'>) => inv.status === 'open' || inv.status === 'uncollectible';

/**
 * Whether paying the invoice (or failing to) moves its subscription. An invoice made by hand for
 * a subscription's one-off items is not what keeps the subscription going: a declined extra
 * charge must not make it past_due.
 */
const movesSubscription = (inv: Row<'invoices'>) => inv.billing_reason !== 'manual';

/** Decides and records what each outcome does to its invoice and subscription. */
function apply(deps: Deps, u: UnitOfWork, state: State): Changed {
  const subEvents: { subscriptionId: string; event: SubEvent; at: Date }[] = [];
  const paid: { before: Row<'invoices'>; after: Row<'invoices'> }[] = [];
  for (const a of state.attempts) {
    const w = u.as({ ...u.actor, accountId: a.account_id });
    const at = a.updated_at;
    const inv = state.invoices.get(a.invoice_id)!;
    const lines = state.lines.get(inv.id) ?? [];
    w.audit(`payment.${a.status}`, 'payment', a.id, null, paymentAttemptView(a), at);
    // Dunning hears of it in the same transaction, and acts in its own job (at the same business time).
    if (mayConcernDunning(inv, a) && !state.recordedByCaller.has(a.id)) enqueue(deps, w, 'dunning.payment_settled', { invoice: inv.id, payment: a.id }, { runAt: at, testClockId: a.test_clock_id });
    if (a.status === 'succeeded') {
      w.emit('payment.succeeded', a.id, paymentAttemptView(a), at);
      if (!awaitsPayment(inv)) {
        // Money arrived for an invoice that no longer expects it: keep a record for finance.
        w.audit('payment.unexpected', 'invoice', inv.id, null, { invoice_status: inv.status, payment: a.id }, at);
        continue;
      }
      const remaining = inv.amount_remaining - a.amount;
      const done = remaining <= 0n;
      const after = { ...inv, amount_paid: inv.amount_paid + a.amount, amount_remaining: done ? 0n : remaining,
        status: done ? 'paid' : inv.status, paid_at: done ? at : null, updated_at: at, version: inv.version + 1 };
      state.invoices.set(inv.id, after);
      paid.push({ before: inv, after });
      if (done) {
        w.audit('invoice.paid', 'invoice', inv.id, { status: inv.status, amount_paid: Number(inv.amount_paid) }, { status: 'paid', amount_paid: Number(after.amount_paid) }, at);
        w.emit('invoice.paid', inv.id, invoiceView(after, lines), at);
        if (inv.subscription_id && movesSubscription(inv)) {
          subEvents.push({ subscriptionId: inv.subscription_id, event: 'payment_succeeded', at });
        }
      }
    } else {
      const decline = a.decline_code ?? 'generic_decline';
      w.emit('payment.failed', a.id, paymentAttemptView(a), at, { decline_code: decline });
      w.emit('invoice.payment_failed', inv.id, invoiceView(inv, lines), at, { decline_code: decline, payment: a.id });
      if (inv.subscription_id && movesSubscription(inv) && inv.status === 'open') {
        subEvents.push({ subscriptionId: inv.subscription_id, at,
          event: inv.billing_reason === 'subscription_create' ? 'first_payment_failed' : 'payment_failed' });
      }
    }
  }
  // Versions are the ones read: the write checks nobody changed the row since.
  u.updateLater('invoices', paid.map(({ before, after: i }) => ({ account_id: i.account_id, id: i.id, status: i.status, amount_paid: i.amount_paid,
    amount_remaining: i.amount_remaining, paid_at: i.paid_at, updated_at: i.updated_at, version: before.version })));
  return moveSubscriptions(u, state, subEvents);
}

/** Applies payment events to subscriptions where the transition table allows; a canceled one stays canceled. */
function moveSubscriptions(u: UnitOfWork, state: State, events: { subscriptionId: string; event: SubEvent; at: Date }[]): Changed {
  const changed = new Map<string, { before: Row<'subscriptions'>; after: Row<'subscriptions'> }>();
  for (const e of events) {
    const s = changed.get(e.subscriptionId)?.after ?? state.subscriptions.get(e.subscriptionId);
    if (!s) continue;
    const from = s.status as SubscriptionStatus;
    if (!canTransition(from, e.event)) continue;
    const to = transition(from, e.event);
    if (to === from) continue;
    const after = { ...s, status: to, next_action_at: nextActionAt({ ...s, status: to }), updated_at: e.at, version: s.version + 1 };
    changed.set(s.id, { before: changed.get(s.id)?.before ?? s, after });
  }
  u.updateLater('subscriptions', [...changed.values()].map(({ before, after: s }) => ({ account_id: s.account_id, id: s.id, status: s.status,
    next_action_at: s.next_action_at, updated_at: s.updated_at, version: before.version })));
  for (const { before, after } of changed.values()) {
    const w = u.as({ ...u.actor, accountId: after.account_id });
    w.audit('subscription.status_changed', 'subscription', after.id, { status: before.status }, { status: after.status }, after.updated_at);
    w.emit('subscription.updated', after.id, subscriptionViewWith(after, state.items.get(after.id)), after.updated_at, { previous_attributes: { status: before.status } });
  }
  return new Map([...changed].map(([id, c]) => [id, c.after]));
}
