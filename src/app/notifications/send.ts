import { Type } from '@sinclair/typebox';
import { messageIdOf } from '../../domain/notification-preferences.ts';
import { isNotificationKind, render } from '../../domain/notification-templates.ts';
import { invoicePdf } from '../invoicing/pdf.ts';
import { defineJob, exponentialBackoff } from '../jobs/catalogue.ts';
import { SendError, type Deps, type MailMessage } from '../ports.ts';
import type { Row } from '../views.ts';
import { SEND_JOB, SEND_MAX_ATTEMPTS } from './send-kind.ts';
import { linkUrl } from '../payment-links/links.ts';
import { templateOf } from './templates.ts';
import { unsubscribeUrl, type Channel } from './unsubscribe.ts';

/**
 * Takes the message from `pending` to `sending` in its own transaction before anything is
 * handed to a server. Finding it already `sending` means a worker died between that commit and
 * the answer: whether it went out is unknown, so it becomes `unknown` for an operator instead of
 * going out a second time.
 */
async function claim(deps: Deps, accountId: string, id: string): Promise<Row<'notifications'> | null> {
  return await deps.db.transaction().execute(async (tx) => {
    const n = await tx.selectFrom('notifications').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!n) return null;
    const now = deps.clock.now();
    if (n.status === 'sending') {
      await tx.updateTable('notifications').set({ status: 'unknown', last_error: 'the worker sending it stopped before the server answered', updated_at: now })
        .where('account_id', '=', accountId).where('id', '=', id).execute();
      deps.log.warn({ notification: id }, 'notification outcome unknown: left for an operator to resend or drop');
      return null;
    }
    if (n.status !== 'pending') return null;
    return await tx.updateTable('notifications').set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  });
}

async function settle(deps: Deps, n: Row<'notifications'>, set: { status: string; last_error?: string | null; sent_at?: Date }) {
  await deps.db.updateTable('notifications').set({ ...set, updated_at: deps.clock.now() })
    .where('account_id', '=', n.account_id).where('id', '=', n.id).where('status', '=', 'sending').execute();
}

async function deliver(deps: Deps, n: Row<'notifications'>): Promise<void> {
  const cfg = deps.notifications;
  const kind = n.kind;
  if (!isNotificationKind(kind)) throw new SendError('refused', `unknown kind ${kind}`);
  const channel = n.channel as Channel;
  // Not configured: failed at once rather than retried for hours; an operator resends it once it is.
  if (!cfg) throw new SendError('refused', 'notifications are not configured in this process (REBILL_SECRET_KEY)');
  const stored = (typeof n.variables === 'string' ? JSON.parse(n.variables) : n.variables) as Record<string, string>;
  // The message's card-update link was made with it (fanout.ts); its URL is signed here, the same on every resend.
  const vars: Record<string, string> = { ...stored, update_payment_method_url: stored.payment_link ? linkUrl(cfg, n.account_id, stored.payment_link) : '' };
  const unsubscribe = unsubscribeUrl(cfg, n.account_id, n.customer_id, channel);
  const { template } = await templateOf(deps.db, n.account_id, kind);
  const text = render(template, { ...vars, unsubscribe_url: unsubscribe });
  if (channel === 'sms') {
    if (!cfg.sms) throw new SendError('refused', 'no SMS sender is configured (TWILIO_*)');
    await cfg.sms.send({ to: n.recipient!, body: text.sms, idempotencyKey: n.id });
    return;
  }
  if (!cfg.mailer) throw new SendError('refused', 'no mailer is configured (SMTP_URL)');
  const attachments: MailMessage['attachments'] = [];
  if (kind === 'receipt' && n.invoice_id) {
    const pdf = await invoicePdf(deps, n.account_id, n.invoice_id);
    attachments.push({ filename: `${vars.invoice_number || n.invoice_id}.pdf`, contentType: 'application/pdf', content: pdf });
  }
  await cfg.mailer.send({
    messageId: messageIdOf(n.id), from: cfg.from, to: n.recipient!, subject: text.subject, text: text.text, html: text.html, attachments,
    // RFC 8058: mail clients show one-click unsubscribe, POSTing "List-Unsubscribe=One-Click" to the https URL.
    headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  });
}

/**
 * Sends one message. Refused for good: `failed`. Nothing handed over (no connection, "try
 * later"): back to `pending`, and the job tries again after its backoff with the same
 * Message-ID. Answer lost after handing it over: `unknown`, for an operator; never sent again silently.
 */
export const sendNotification = defineJob({
  name: SEND_JOB,
  payload: Type.Object({ notification: Type.String() }, { additionalProperties: false }),
  retry: { maxAttempts: SEND_MAX_ATTEMPTS, backoffMs: exponentialBackoff(30_000, 3600_000) },
  concurrency: 4,
  handler: async (deps, payload, ctx) => {
    const accountId = ctx.job.account_id;
    if (!accountId) return;
    const n = await claim(deps, accountId, payload.notification);
    if (!n) return;
    try {
      await deliver(deps, n);
    } catch (err) {
      const e = err instanceof SendError ? err : new SendError('unavailable', (err as Error).message);
      if (e.kind === 'refused') { await settle(deps, n, { status: 'failed', last_error: e.message }); return; }
      if (e.kind === 'unknown') { await settle(deps, n, { status: 'unknown', last_error: e.message }); return; }
      const last = ctx.job.attempts >= ctx.job.max_attempts;
      await settle(deps, n, { status: last ? 'failed' : 'pending', last_error: e.message });
      if (last) return;
      throw e;
    }
    await settle(deps, n, { status: 'sent', sent_at: deps.clock.now(), last_error: null });
    deps.log.info({ notification: n.id, kind: n.kind, channel: n.channel }, 'notification sent');
  },
});
