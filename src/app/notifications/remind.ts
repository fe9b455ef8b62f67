import { Type } from '@sinclair/typebox';
import type { Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { formatMoney } from '../../domain/format-money.ts';
import { defineJob, exponentialBackoff } from '../jobs/catalogue.ts';
import { makeMessages, type Made } from './fanout.ts';
import { REMIND_JOB, REMIND_MAX_ATTEMPTS, type ReminderKind } from './reminders.ts';

const day = (t: Date | null) => (t ? t.toISOString().slice(0, 10) : '');

/** The list price of a subscription's items, in its currency: what the renewal charges before tax and discounts. */
async function listAmount(tx: Transaction<DB>, accountId: string, subscriptionId: string, currency: string): Promise<string> {
  const items = await tx.selectFrom('subscription_items as i').innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'i.account_id').onRef('p.id', '=', 'i.price_id'))
    .select(['p.unit_amount', 'i.quantity']).where('i.account_id', '=', accountId).where('i.subscription_id', '=', subscriptionId).execute();
  const total = items.reduce((sum, i) => sum + BigInt(i.unit_amount ?? 0n) * BigInt(i.quantity), 0n);
  return formatMoney(total, currency);
}

/** The message a reminder makes, if what it reminds of still stands as it was scheduled. */
async function reminderOf(tx: Transaction<DB>, accountId: string, p: { kind: ReminderKind; subject: string; anchor: string }): Promise<Made | null> {
  if (p.kind === 'card_expiring') {
    const pm = await tx.selectFrom('payment_methods as m').innerJoin('customers as c', (j) => j.onRef('c.account_id', '=', 'm.account_id').onRef('c.id', '=', 'm.customer_id'))
      .select(['m.id', 'm.customer_id', 'm.brand', 'm.last4', 'm.exp_month', 'm.exp_year', 'c.default_payment_method_id'])
      .where('m.account_id', '=', accountId).where('m.id', '=', p.subject).executeTakeFirst();
    // Only the card payments are taken from: a replaced card no longer matters.
    if (!pm || pm.default_payment_method_id !== pm.id || `${pm.exp_year}-${pm.exp_month}` !== p.anchor) return null;
    return {
      kind: 'card_expiring', dedupe: `card_expiring:${pm.id}:${p.anchor}`, customer: pm.customer_id, invoice: null,
      vars: { card_brand: pm.brand ?? '', card_last4: pm.last4 ?? '', card_exp_month: String(pm.exp_month).padStart(2, '0'), card_exp_year: String(pm.exp_year) },
    };
  }
  const s = await tx.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).where('id', '=', p.subject).executeTakeFirst();
  if (!s || s.cancel_at_period_end) return null;
  const amount = await listAmount(tx, accountId, s.id, s.currency);
  const common = { customer: s.customer_id, invoice: null, dedupe: `${p.kind}:${s.id}:${p.anchor}` };
  if (p.kind === 'trial_ending') {
    if (s.status !== 'trialing' || s.trial_end?.toISOString() !== new Date(p.anchor).toISOString()) return null;
    return { ...common, kind: 'trial_ending', vars: { subscription_id: s.id, trial_end: day(s.trial_end), amount, currency: s.currency.toUpperCase() } };
  }
  if (!['active', 'past_due'].includes(s.status) || s.current_period_end.toISOString() !== new Date(p.anchor).toISOString()) return null;
  return { ...common, kind: 'upcoming_renewal', vars: { subscription_id: s.id, renewal_date: day(s.current_period_end), amount, currency: s.currency.toUpperCase() } };
}

/** A reminder due by business time (scheduled by reminders.ts): makes its messages, like an event would. */
export const remindNotification = defineJob({
  name: REMIND_JOB,
  payload: Type.Object({
    kind: Type.Union([Type.Literal('upcoming_renewal'), Type.Literal('trial_ending'), Type.Literal('card_expiring')]),
    subject: Type.String(), anchor: Type.String(),
  }, { additionalProperties: false }),
  retry: { maxAttempts: REMIND_MAX_ATTEMPTS, backoffMs: exponentialBackoff(60_000, 3600_000) },
  handler: async (deps, payload, ctx) => {
    const accountId = ctx.job.account_id;
    if (!accountId) return;
    await deps.db.transaction().execute(async (tx) => {
      const made = await reminderOf(tx, accountId, payload);
      if (made) await makeMessages(tx, accountId, null, made, deps.clock.now());
    });
  },
});
