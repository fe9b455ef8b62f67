import { invalid } from '../../domain/errors.ts';
import { notFound } from '../errors.ts';
import { enqueue } from '../jobs/queue.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { notificationView } from '../views.ts';
import { SEND_JOB } from './send-kind.ts';

export type NotificationFilters = { customer?: string | undefined; kind?: string | undefined; status?: string | undefined; channel?: string | undefined };

/** The account's messages, newest first: what went out, what was skipped, what waits for an operator. */
export async function listNotifications(deps: Deps, accountId: string, page: Page & NotificationFilters) {
  let q = deps.db.selectFrom('notifications').selectAll().where('account_id', '=', accountId);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.kind) q = q.where('kind', '=', page.kind);
  if (page.status) q = q.where('status', '=', page.status);
  if (page.channel) q = q.where('channel', '=', page.channel);
  return await paginate(q, 'id', page, notificationView);
}

export async function getNotification(deps: Deps, accountId: string, id: string) {
  const n = await deps.db.selectFrom('notifications').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!n) throw notFound('notification', id, 'id');
  return notificationView(n);
}

/**
 * An operator's decision on a message whose outcome is unknown (or that failed): send it again
 * (same Message-ID, so the customer's mail client can tell it is the same message) or drop it.
 */
export async function decide(deps: Deps, actor: Actor, id: string, decision: 'resend' | 'drop') {
  return await command(deps, actor, async (u) => {
    const n = await u.tx.selectFrom('notifications').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!n) throw notFound('notification', id, 'id');
    if (n.status !== 'unknown' && n.status !== 'failed') {
      throw invalid('notification_not_unknown', `Notification '${id}' is ${n.status}; only an unknown or failed one can be resent or dropped.`, 'id');
    }
    const now = deps.clock.now();
    const status = decision === 'resend' ? 'pending' : 'dropped';
    const after = await u.tx.updateTable('notifications').set({ status, updated_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    if (decision === 'resend') enqueue(deps, u, SEND_JOB, { notification: id });
    u.audit(`notification.${decision === 'resend' ? 'resent' : 'dropped'}`, 'notification', id, { status: n.status }, { status }, now);
    return notificationView(after);
  });
}
