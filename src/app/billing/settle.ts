import { sql } from 'kysely';
import { canTransition, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { nextActionAt } from '../../domain/subscription-schedule.ts';
import type { Actor, ChargeOutcome, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { invoiceView, paymentAttemptView, type Row } from '../views.ts';
import { clockTimes, loadItems, subscriptionViewWith } from './load.ts';

export type Settlement = { attempt: Pick<Row<'payment_attempts'>, 'account_id' | 'id' | 'test_clock_id'>; outcome: ChargeOutcome };
type SubEvent = 'payment_succeeded' | 'payment_failed' | 'first_payment_failed';

/**
 * Applies gateway outcomes to their attempts, invoices and subscriptions in one transaction.
 * Only attempts still pending/unknown change, so a late answer and a recovery can never both
 * count; each table is written with one statement however many outcomes there are.
 */
export async function settleAttempts(deps: Deps, actor: Actor, settlements: Settlement[]): Promise<void> {
  if (settlements.length === 0) return;
  await command(deps, actor, async (u) => {
    const timeOf = await clockTimes(u.tx, deps.clock.now(), settlements.map((s) => s.attempt));
    const values = settlements.map(({ attempt: a, outcome: o }) => ({
      account_id: a.account_id, id: a.id, status: o.status, charge_id: o.chargeId,
      decline_code: o.status === 'failed' ? o.declineCode : null, failure_message: o.status === 'failed' ? o.message : null,
      at: timeOf(a).toISOString(),
    }));
    const updated = (await sql<Row<'payment_attempts'>>`
      UPDATE payment_attempts pa SET status = v.status, gateway_charge_id = v.charge_id, decline_code = v.decline_code,
        failure_message = v.failure_message, recover_at = NULL, updated_at = v.at
      FROM jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
        AS v(account_id text, id text, status text, charge_id text, decline_code text, failure_message text, at timestamptz)
      WHERE pa.account_id = v.account_id AND pa.id = v.id AND pa.status IN ('pending', 'unknown')
      RETURNING pa.*`.execute(u.tx)).rows;
    if (updated.length === 0) return;

    const accounts = [...new Set(updated.map((a) => a.account_id))];
    const invoices = await u.tx.selectFrom('invoices').selectAll().where('account_id', 'in', accounts)
      .where('id', 'in', updated.map((a) => a.invoice_id)).forUpdate().execute();
    const invoiceById = new Map(invoices.map((i) => [i.id, i]));
    const lines = await u.tx.selectFrom('invoice_lines').selectAll().where('account_id', 'in', accounts)
      .where('invoice_id', 'in', invoices.map((i) => i.id)).orderBy('id').execute();
    const linesOf = (id: string) => lines.filter((l) => l.invoice_id === id);
    const declineOf = new Map(settlements.map((s) => [s.attempt.id, s.outcome.status === 'failed' ? s.outcome.declineCode : null]));
    const subEvents: { accountId: string; subscriptionId: string; event: SubEvent; at: Date }[] = [];
    const paid: Row<'invoices'>[] = [];

    for (const a of updated) {
      const w = u.as({ ...u.actor, accountId: a.account_id });
      const at = a.updated_at;
      const inv = invoiceById.get(a.invoice_id)!;
      w.audit(`payment.${a.status}`, 'payment', a.id, null, paymentAttemptView(a), at);
      if (a.status === 'succeeded') {
        w.emit('payment.succeeded', a.id, paymentAttemptView(a), at);
        if (inv.status !== 'open') {
          // Money arrived for an invoice that no longer expects it: keep a record for finance.
          w.audit('payment.unexpected', 'invoice', inv.id, null, { invoice_status: inv.status, payment: a.id }, at);
          continue;
        }
        const remaining = inv.amount_remaining - a.amount;
        const after = { ...inv, amount_paid: inv.amount_paid + a.amount, amount_remaining: remaining < 0n ? 0n : remaining,
          status: remaining <= 0n ? 'paid' : 'open', paid_at: remaining <= 0n ? at : null, updated_at: at, version: inv.version + 1 };
        invoiceById.set(inv.id, after);
        paid.push(after);
        if (after.status === 'paid') {
          w.audit('invoice.paid', 'invoice', inv.id, { status: inv.status, amount_paid: Number(inv.amount_paid) }, { status: 'paid', amount_paid: Number(after.amount_paid) }, at);
          w.emit('invoice.paid', inv.id, invoiceView(after, linesOf(inv.id)), at);
          if (inv.subscription_id) subEvents.push({ accountId: a.account_id, subscriptionId: inv.subscription_id, event: 'payment_succeeded', at });
        }
      } else {
        const decline = declineOf.get(a.id) ?? a.decline_code ?? 'generic_decline';
        w.emit('payment.failed', a.id, paymentAttemptView(a), at, { decline_code: decline });
        w.emit('invoice.payment_failed', inv.id, invoiceView(inv, linesOf(inv.id)), at, { decline_code: decline, payment: a.id });
        if (inv.subscription_id && inv.status === 'open') {
          subEvents.push({ accountId: a.account_id, subscriptionId: inv.subscription_id, at,
            event: inv.billing_reason === 'subscription_create' ? 'first_payment_failed' : 'payment_failed' });
        }
      }
    }
    if (paid.length) {
      const rows = paid.map((i) => ({ account_id: i.account_id, id: i.id, status: i.status, amount_paid: i.amount_paid.toString(),
        amount_remaining: i.amount_remaining.toString(), paid_at: i.paid_at?.toISOString() ?? null, at: i.updated_at.toISOString(), version: i.version }));
      await sql`UPDATE invoices i SET status = v.status, amount_paid = v.amount_paid, amount_remaining = v.amount_remaining,
          paid_at = v.paid_at, updated_at = v.at, version = v.version
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS v(account_id text, id text, status text, amount_paid bigint, amount_remaining bigint, paid_at timestamptz, at timestamptz, version int)
        WHERE i.account_id = v.account_id AND i.id = v.id`.execute(u.tx);
    }
    await moveSubscriptions(u, subEvents);
  });
}

/** Applies payment events to subscriptions where the transition table allows; a canceled one stays canceled. */
async function moveSubscriptions(u: Parameters<Parameters<typeof command>[2]>[0], events: { accountId: string; subscriptionId: string; event: SubEvent; at: Date }[]) {
  if (events.length === 0) return;
  const subs = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', 'in', [...new Set(events.map((e) => e.accountId))])
    .where('id', 'in', events.map((e) => e.subscriptionId)).forUpdate().execute();
  const byId = new Map(subs.map((s) => [s.id, s]));
  const changed = new Map<string, { before: SubscriptionStatus; after: Row<'subscriptions'> }>();
  for (const e of events) {
    const s = byId.get(e.subscriptionId);
    if (!s) continue;
    const from = s.status as SubscriptionStatus;
    if (!canTransition(from, e.event)) continue;
    const to = transition(from, e.event);
    if (to === from) continue;
    const after = { ...s, status: to, next_action_at: nextActionAt({ ...s, status: to }), updated_at: e.at, version: s.version + 1 };
    byId.set(s.id, after);
    changed.set(s.id, { before: changed.get(s.id)?.before ?? from, after });
  }
  if (changed.size === 0) return;
  const rows = [...changed.values()].map(({ after: s }) => ({ account_id: s.account_id, id: s.id, status: s.status,
    next_action_at: s.next_action_at?.toISOString() ?? null, at: s.updated_at.toISOString(), version: s.version }));
  await sql`UPDATE subscriptions s SET status = v.status, next_action_at = v.next_action_at, updated_at = v.at, version = v.version
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS v(account_id text, id text, status text, next_action_at timestamptz, at timestamptz, version int)
    WHERE s.account_id = v.account_id AND s.id = v.id`.execute(u.tx);
  const items = await loadItems(u.tx, [...changed.values()].map((c) => c.after));
  for (const { before, after } of changed.values()) {
    const w = u.as({ ...u.actor, accountId: after.account_id });
    w.audit('subscription.status_changed', 'subscription', after.id, { status: before }, { status: after.status }, after.updated_at);
    w.emit('subscription.updated', after.id, subscriptionViewWith(after, items.get(after.id)), after.updated_at, { previous_attributes: { status: before } });
  }
}
