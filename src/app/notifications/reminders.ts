import { sql, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { newId } from '../../domain/ids.ts';

/** Events that (re)schedule a reminder due by date: a subscription's period or trial moved, a card was added. */
export const REMINDER_TRIGGERS = ['subscription.created', 'subscription.updated', 'subscription.resumed', 'payment_method.attached'];
export const REMIND_JOB = 'notification.remind';
export const REMIND_MAX_ATTEMPTS = 5;
export type ReminderKind = 'upcoming_renewal' | 'trial_ending' | 'card_expiring';

const DAY = 86_400_000;
/** Days before a renewal its reminder goes out: the account's choice, else a month ahead for yearly plans and a week for the others. */
export const renewalLeadDays = (interval: string, accountDays: number | null) => accountDays ?? (interval === 'year' ? 30 : 7);
export const TRIAL_LEAD_DAYS = 3;

type Sub = { id: string; status: string; test_clock: string | null; current_period_end: string; trial_end: string | null; cancel_at_period_end: boolean; items: { data: { price: { recurring?: { interval: string } | null } | string }[] } };
type Card = { id: string; customer: string; card: { exp_month: number | null; exp_year: number | null } };

/**
 * Schedules the reminder a subscription or card will need, as a job due at its business time
 * (on the customer's test clock when there is one, so advancing the clock sends it on the right
 * day). One job per subject and date (the jobs' unique key): the later events about an unchanged
 * period schedule nothing more. The job checks again when it runs, so a reminder whose period
 * moved, or whose subscription was canceled, sends nothing.
 */
export async function scheduleReminder(tx: Transaction<DB>, accountId: string, type: string, object: Record<string, unknown>, at: Date): Promise<void> {
  if (type === 'payment_method.attached') {
    const pm = object as unknown as Card;
    if (!pm.card?.exp_month || !pm.card.exp_year) return;
    const customer = await tx.selectFrom('customers').select('test_clock_id').where('account_id', '=', accountId).where('id', '=', pm.customer).executeTakeFirst();
    // "Expires next month": on the first day of the month before the card's last month.
    const due = new Date(Date.UTC(pm.card.exp_year, pm.card.exp_month - 2, 1));
    if (customer) await put(tx, accountId, 'card_expiring', pm.id, `${pm.card.exp_year}-${pm.card.exp_month}`, due, at, customer.test_clock_id);
    return;
  }
  const s = object as unknown as Sub;
  if (!['active', 'trialing', 'past_due'].includes(s.status) || s.cancel_at_period_end) return;
  if (s.status === 'trialing' && s.trial_end) {
    await put(tx, accountId, 'trial_ending', s.id, s.trial_end, new Date(Date.parse(s.trial_end) - TRIAL_LEAD_DAYS * DAY), at, s.test_clock);
    return;
  }
  const first = s.items.data[0]?.price;
  const interval = typeof first === 'object' && first?.recurring ? first.recurring.interval : 'month';
  const account = await tx.selectFrom('accounts').select('renewal_reminder_days').where('id', '=', accountId).executeTakeFirst();
  const lead = renewalLeadDays(interval, account?.renewal_reminder_days ?? null);
  await put(tx, accountId, 'upcoming_renewal', s.id, s.current_period_end, new Date(Date.parse(s.current_period_end) - lead * DAY), at, s.test_clock);
}

async function put(tx: Transaction<DB>, accountId: string, kind: ReminderKind, subject: string, anchor: string, due: Date, now: Date, clock: string | null) {
  // A reminder whose day has already passed would arrive too late to be of use.
  if (due <= now) return;
  const payload = { kind, subject, anchor };
  await sql`INSERT INTO jobs (id, account_id, kind, payload, status, attempts, max_attempts, run_at, key, test_clock_id, created_at, updated_at)
    VALUES (${newId('job')}, ${accountId}, ${REMIND_JOB}, ${JSON.stringify(payload)}::jsonb, 'ready', 0, ${REMIND_MAX_ATTEMPTS}, ${due}::timestamptz,
            ${`${kind}:${subject}:${anchor}`}, ${clock}, ${now}::timestamptz, ${now}::timestamptz)
    ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING`.execute(tx);
}
