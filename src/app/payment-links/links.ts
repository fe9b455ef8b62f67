import { DomainError, invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import type { Actor, Deps, NotificationDeps } from '../ports.ts';
import type * as R from '../resources.ts';
import { openToken, PAYMENT_LINK_TOKEN, signToken } from '../signed-tokens.ts';
import { nowFor, type Db } from '../time.ts';
import { command } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

const DAY_MS = 86_400_000;
/** A link lives 7 days unless asked otherwise, and never more than 30 (issue 17, point 4). */
export const LINK_DEFAULT_DAYS = 7;
export const LINK_MAX_DAYS = 30;

/** The token of a link: the page's only credential (see signed-tokens.ts); a resend of a message carries the same one. */
export const linkToken = (n: NotificationDeps, accountId: string, linkId: string) => signToken(n, PAYMENT_LINK_TOKEN, accountId, linkId);

export const linkUrl = (n: NotificationDeps, accountId: string, linkId: string) =>
  `${n.publicUrl.replace(/\/+$/, '')}/pay/update/${linkToken(n, accountId, linkId)}`;

/** The link a token names, or null for anything Rebill did not sign (forged, edited, cut short). */
export function openLinkToken(n: NotificationDeps | undefined, token: string): { accountId: string; linkId: string } | null {
  const opened = openToken(n, PAYMENT_LINK_TOKEN, token);
  return opened && { accountId: opened.accountId, linkId: opened.id };
}

export type LinkStatus = 'active' | 'used' | 'expired';
/** `now` is the customer's business time: a link on a test clock expires when the clock passes it. */
export const linkStatus = (l: Pick<Row<'payment_links'>, 'used_at' | 'expires_at'>, now: Date): LinkStatus =>
  l.used_at ? 'used' : l.expires_at <= now ? 'expired' : 'active';

export function paymentLinkView(n: NotificationDeps | undefined, l: Row<'payment_links'>, testClock: string | null, now: Date): R.PaymentLinkObject {
  return {
    id: l.id, object: 'payment_link', customer: l.customer_id, purpose: 'update_payment_method',
    url: n ? linkUrl(n, l.account_id, l.id) : null, status: linkStatus(l, now), expires_at: l.expires_at.toISOString(),
    used_at: l.used_at?.toISOString() ?? null, return_url: l.return_url, notification: l.made_for, test_clock: testClock,
    created: l.created_at.toISOString(), updated: l.updated_at.toISOString(),
  };
}

/** A return address the page may send a customer to: http(s) only, no user name or password. */
export function checkedReturnUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  let u: URL;
  try { u = new URL(url); } catch { throw invalid('parameter_invalid', 'Invalid return_url: it must be an absolute http or https URL.', 'return_url'); }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password) {
    throw invalid('parameter_invalid', 'Invalid return_url: it must be an http or https URL without a user name or password.', 'return_url');
  }
  return u.toString();
}

/** Writes a link row (in the caller's transaction); `now` is the customer's business time. */
export async function insertLink(tx: Db, accountId: string, customerId: string, o: { expiresAt: Date; returnUrl: string | null; madeFor: string | null; now: Date; id?: string }) {
  return await tx.insertInto('payment_links').values({
    account_id: accountId, id: o.id ?? newId('paymentLink'), customer_id: customerId, purpose: 'update_payment_method', return_url: o.returnUrl,
    made_for: o.madeFor, expires_at: o.expiresAt, used_at: null, created_at: o.now, updated_at: o.now,
  }).returningAll().executeTakeFirstOrThrow();
}

/** Makes a card-update link for one of the account's customers (POST /v1/payment_links/update_payment_method). */
export async function createPaymentLink(deps: Deps, actor: Actor, input: { customer: string; expires_at?: string; return_url?: string }) {
  const returnUrl = checkedReturnUrl(input.return_url);
  return await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', u.accountId).where('id', '=', input.customer).executeTakeFirst();
    if (!c) throw notFound('customer', input.customer, 'customer');
    const now = await nowFor(deps, u.tx, u.accountId, c.test_clock_id);
    const expiresAt = input.expires_at === undefined ? new Date(now.getTime() + LINK_DEFAULT_DAYS * DAY_MS) : new Date(input.expires_at);
    if (expiresAt <= now || expiresAt.getTime() > now.getTime() + LINK_MAX_DAYS * DAY_MS) {
      throw invalid('parameter_invalid', `Invalid expires_at: it must be after now (${now.toISOString()}, the customer's business time) and at most ${LINK_MAX_DAYS} days later.`, 'expires_at');
    }
    // Checked after the input, so a bad request is told what is wrong with it first.
    const n = deps.notifications;
    if (!n) throw new DomainError('payment_links_unavailable', 'Card-update links are signed with REBILL_SECRET_KEY, which this installation does not have.');
    const row = await insertLink(u.tx, u.accountId, c.id, { expiresAt, returnUrl, madeFor: null, now });
    const v = paymentLinkView(n, row, c.test_clock_id, now);
    // The URL is the customer's credential: it goes back to the caller only, not into the audit
    // trail or the event stream (webhooks, retention), where anyone reading those could use it.
    u.audit('payment_link.created', 'payment_link', row.id, null, { ...v, url: null }, now);
    u.emit('payment_link.created', row.id, { ...v, url: null }, now);
    return v;
  });
}

/** A link with its customer's clock, read for the merchant or for the page. */
export async function linkRow(deps: Pick<Deps, 'clock'>, db: Db, accountId: string, id: string) {
  const l = await db.selectFrom('payment_links').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!l) return null;
  const c = await db.selectFrom('customers').select('test_clock_id').where('account_id', '=', accountId).where('id', '=', l.customer_id).executeTakeFirstOrThrow();
  return { link: l, testClock: c.test_clock_id, now: await nowFor(deps, db, accountId, c.test_clock_id) };
}

export async function getPaymentLink(deps: Deps, accountId: string, id: string) {
  const r = await linkRow(deps, deps.db, accountId, id);
  if (!r) throw notFound('payment link', id, 'id');
  return paymentLinkView(deps.notifications, r.link, r.testClock, r.now);
}
