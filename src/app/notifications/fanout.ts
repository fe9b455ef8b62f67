import { sql, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { formatMoney } from '../../domain/format-money.ts';
import { newId } from '../../domain/ids.ts';
import type { NotificationKind } from '../../domain/notification-templates.ts';
import type { InvoiceObject } from '../resources.ts';
import type { SequencedEvent } from '../webhooks/fanout.ts';
import { preferencesOf } from '../../domain/notification-preferences.ts';
import type { Channel } from './unsubscribe.ts';
import { SEND_JOB, SEND_MAX_ATTEMPTS } from './send-kind.ts';
import { REMINDER_TRIGGERS, scheduleReminder } from './reminders.ts';
import { insertLink, LINK_DEFAULT_DAYS } from '../payment-links/links.ts';
import { nowFor } from '../time.ts';

/** The event types that make a message; time-based kinds (renewal reminders, …) come from a recurring job. */
const TRIGGERS = ['invoice.payment_failed', 'invoice.payment_action_required', 'invoice.paid', 'subscription.deleted', ...REMINDER_TRIGGERS];

export type Made = { kind: NotificationKind; dedupe: string; customer: string; invoice: string | null; vars: Record<string, string> };
type Data = { object: Record<string, unknown>; payment?: string; decline_code?: string; next_action?: { url: string | null } | null };

const day = (t: unknown) => (typeof t === 'string' ? t.slice(0, 10) : '');

function invoiceVars(i: InvoiceObject): Record<string, string> {
  const m = (n: number) => formatMoney(BigInt(n), i.currency);
  return {
    invoice_id: i.id, invoice_number: i.number ?? i.id, amount_due: m(i.amount_due), amount_paid: m(i.amount_paid), total: m(i.total),
    currency: i.currency.toUpperCase(), period_start: day(i.period_start), period_end: day(i.period_end),
  };
}

/**
 * Turns sequenced events into messages: one row per (what it is about, channel), with a send
 * job for each one to go out. Runs in the sequencer's transaction, like the webhook fan-out, so
 * each event is turned into its messages once; the unique (dedupe_key, channel) makes a second
 * event about the same thing (a duplicated gateway webhook, a replay) make no second message.
 */
export async function fanOutNotifications(tx: Transaction<DB>, events: readonly SequencedEvent[], now: Date): Promise<number> {
  const relevant = events.filter((e) => TRIGGERS.includes(e.type));
  if (relevant.length === 0) return 0;
  // By the primary key, account first: by id alone PostgreSQL reads the whole events table, once per batch.
  const rows = await tx.selectFrom('events').select(['account_id', 'id', 'type', 'data', 'created_at'])
    .where('account_id', 'in', [...new Set(relevant.map((e) => e.account_id))]).where('id', 'in', relevant.map((e) => e.id)).execute();
  let made = 0;
  for (const ev of rows) {
    const data = (typeof ev.data === 'string' ? JSON.parse(ev.data) : ev.data) as Data;
    if (REMINDER_TRIGGERS.includes(ev.type)) { await scheduleReminder(tx, ev.account_id, ev.type, data.object, ev.created_at); continue; }
    const m = await messageOf(tx, ev.account_id, ev.type, data);
    if (m) made += await makeMessages(tx, ev.account_id, ev.id, m, now);
  }
  return made;
}

async function messageOf(tx: Transaction<DB>, accountId: string, type: string, data: Data): Promise<Made | null> {
  if (type === 'subscription.deleted') {
    const s = data.object;
    return {
      kind: 'subscription_canceled', dedupe: `subscription_canceled:${String(s.id)}`, customer: String(s.customer), invoice: null,
      vars: { subscription_id: String(s.id), canceled_at: day(s.canceled_at ?? s.ended_at), ended_at: day(s.ended_at) },
    };
  }
  const inv = data.object as unknown as InvoiceObject;
  const base = { customer: inv.customer, invoice: inv.id };
  if (type === 'invoice.payment_failed') {
    const attempt = data.payment ? await tx.selectFrom('payment_attempts').select('failure_message')
      .where('account_id', '=', accountId).where('id', '=', data.payment).executeTakeFirst() : undefined;
    const reason = attempt?.failure_message ?? (data.decline_code === 'no_payment_method' ? 'There is no payment method on file.' : 'The payment was declined.');
    return { ...base, kind: 'payment_failed', dedupe: `payment_failed:${data.payment ?? inv.id}`, vars: { ...invoiceVars(inv), failure_reason: reason } };
  }
  if (type === 'invoice.payment_action_required') {
    return { ...base, kind: 'payment_action_required', dedupe: `payment_action_required:${data.payment ?? inv.id}`, vars: { ...invoiceVars(inv), action_url: data.next_action?.url ?? '' } };
  }
  // invoice.paid: nothing was collected for a zero invoice (a trial's), so there is nothing to confirm.
  if (inv.amount_paid <= 0) return null;
  const failed = await tx.selectFrom('payment_attempts').select('id').where('account_id', '=', accountId).where('invoice_id', '=', inv.id)
    .where('status', '=', 'failed').limit(1).executeTakeFirst();
  const kind = failed ? 'payment_recovered' : 'receipt';
  return { ...base, kind, dedupe: `${kind}:${inv.id}`, vars: invoiceVars(inv) };
}

/** Writes a message per channel the customer has an address for (skipped where turned off), each pending one with its send job. */
export async function makeMessages(tx: Transaction<DB>, accountId: string, eventId: string | null, m: Made, now: Date): Promise<number> {
  const c = await tx.selectFrom('customers').select(['email', 'phone', 'name', 'notification_preferences'])
    .where('account_id', '=', accountId).where('id', '=', m.customer).executeTakeFirst();
  const account = await tx.selectFrom('accounts').select('name').where('id', '=', accountId).executeTakeFirst();
  if (!c) return 0;
  const prefs = preferencesOf(c.notification_preferences);
  const vars: Record<string, string> = { ...m.vars, customer_name: c.name ?? '', customer_email: c.email ?? '', merchant_name: account?.name ?? '' };
  // The card-update link is made once, with the message (both channels share it); the variables
  // keep its id, and the send job signs it into the URL, so a resend carries the same link.
  const linkId = LINK_KINDS.has(m.kind) ? newId('paymentLink') : null;
  if (linkId) vars.payment_link = linkId;
  let made = 0;
  let wrote = false;
  for (const channel of ['email', 'sms'] as Channel[]) {
    const recipient = channel === 'email' ? c.email : c.phone;
    // An opted-out channel is logged as skipped only when it could have been used: a customer
    // without a phone has no SMS to skip.
    if (!recipient) continue;
    const id = newId('notification');
    const status = prefs[channel] ? 'pending' : 'skipped';
    const r = await tx.insertInto('notifications').values({
      account_id: accountId, id, customer_id: m.customer, kind: m.kind, channel, event_id: eventId, dedupe_key: m.dedupe, status,
      recipient, variables: JSON.stringify(vars), invoice_id: m.invoice, last_error: status === 'skipped' ? `the customer turned ${channel} off` : null,
      created_at: now, updated_at: now,
    }).onConflict((oc) => oc.columns(['account_id', 'dedupe_key', 'channel']).doNothing()).returning('id').executeTakeFirst();
    wrote ||= r !== undefined;
    if (!r || status !== 'pending') continue;
    await sql`INSERT INTO jobs (id, account_id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
      VALUES (${newId('job')}, ${accountId}, ${SEND_JOB}, ${JSON.stringify({ notification: id })}::jsonb, 'ready', 0, ${SEND_MAX_ATTEMPTS},
              ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz)`.execute(tx);
    made++;
  }
  if (linkId && wrote) await linkForMessage(tx, accountId, m, linkId, now);
  return made;
}

/** The messages that ask the customer for a new card carry a card-update link (update_payment_method_url). */
const LINK_KINDS: ReadonlySet<NotificationKind> = new Set(['payment_failed', 'card_expiring', 'payment_action_required']);

async function linkForMessage(tx: Transaction<DB>, accountId: string, m: Made, linkId: string, now: Date) {
  const c = await tx.selectFrom('customers').select('test_clock_id').where('account_id', '=', accountId).where('id', '=', m.customer).executeTakeFirstOrThrow();
  const at = await nowFor({ clock: { now: () => now } }, tx, accountId, c.test_clock_id);
  await insertLink(tx, accountId, m.customer, { id: linkId, expiresAt: new Date(at.getTime() + LINK_DEFAULT_DAYS * 86_400_000), returnUrl: null, madeFor: m.dedupe, now: at });
}
