import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';
import { preferencesOf } from '../../domain/notification-preferences.ts';
import type { Deps, NotificationDeps } from '../ports.ts';
import { command } from '../unit-of-work.ts';

export type Channel = 'email' | 'sms';

// A token names one customer and one channel, signed with the installation's key: it works
// without an API key (RFC 8058 one-click) and cannot be turned into another customer's.
const sign = (key: Buffer, body: string) => createHmac('sha256', key).update(`unsubscribe:${body}`).digest('base64url');

export function unsubscribeToken(key: Buffer, accountId: string, customerId: string, channel: Channel): string {
  const body = Buffer.from(JSON.stringify([accountId, customerId, channel])).toString('base64url');
  return `${body}.${sign(key, body)}`;
}

export const unsubscribeUrl = (n: NotificationDeps, accountId: string, customerId: string, channel: Channel) =>
  `${n.publicUrl.replace(/\/+$/, '')}/v1/unsubscribe/${unsubscribeToken(n.signingKey, accountId, customerId, channel)}`;

function opened(key: Buffer, token: string): [string, string, Channel] | null {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return null;
  const want = Buffer.from(sign(key, body));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  try {
    const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'string' && (v[2] === 'email' || v[2] === 'sms')) return v as [string, string, Channel];
  } catch { /* not ours */ }
  return null;
}

/** One-click unsubscribe: the channel is turned off in the customer's preferences, audited. */
export async function unsubscribe(deps: Deps, token: string) {
  const bad = () => new DomainError('unsubscribe_link_invalid', 'This unsubscribe link is not valid.', 'token');
  const key = deps.notifications?.signingKey;
  const v = key ? opened(key, token) : null;
  if (!v) throw bad();
  const [accountId, customerId, channel] = v;
  return await command(deps, { accountId, actor: `customer:${customerId}`, requestId: null }, async (u) => {
    const c = await u.tx.selectFrom('customers').select(['notification_preferences']).where('account_id', '=', accountId).where('id', '=', customerId).forUpdate().executeTakeFirst();
    if (!c) throw bad();
    const before = preferencesOf(c.notification_preferences);
    const after = { ...before, [channel]: false };
    const now = deps.clock.now();
    await u.tx.updateTable('customers').set({ notification_preferences: JSON.stringify(after), updated_at: now })
      .where('account_id', '=', accountId).where('id', '=', customerId).execute();
    u.audit('customer.unsubscribed', 'customer', customerId, { notification_preferences: before }, { notification_preferences: after }, now);
    return { object: 'unsubscribe' as const, channel, unsubscribed: true };
  });
}

