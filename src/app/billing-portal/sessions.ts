// Billing portal sessions (issue 19, point 3): the merchant's server asks for one for a customer
// and sends the customer to its URL; the token in it is the customer's only credential, for an hour,
// unless the merchant revokes the session sooner.
import { BUILT_IN_FEATURES, type PortalFeatures } from '../../domain/billing-portal.ts';
import { DomainError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { conflict, notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { checkedReturnUrl } from '../payment-links/links.ts';
import type { Actor, Deps, NotificationDeps } from '../ports.ts';
import type * as R from '../resources.ts';
import { openToken, PORTAL_SESSION_TOKEN, signToken } from '../signed-tokens.ts';
import { nowFor, type Db } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { iso, type Row } from '../views.ts';
import { featuresOf } from './configurations.ts';

/** Long enough to fix one's billing, short enough that a URL found in a browser history later opens nothing. */
export const PORTAL_SESSION_MS = 60 * 60 * 1000;

/**
 * The token rides in the URL's fragment, which browsers send to no server: it stays out of access
 * logs and Referer headers. The portal page reads it and sends it as a bearer credential.
 */
export const portalUrl = (n: NotificationDeps, accountId: string, sessionId: string) =>
  `${n.publicUrl.replace(/\/+$/, '')}/portal/#${signToken(n, PORTAL_SESSION_TOKEN, accountId, sessionId)}`;

/** The session as anyone but its creator sees it: without the URL, the customer's credential, answered once at creation. */
const sessionView = (s: Row<'billing_portal_sessions'>): R.BillingPortalSessionObject => ({
  id: s.id, object: 'billing_portal.session', customer: s.customer_id, configuration: s.configuration_id,
  return_url: s.return_url, expires_at: iso(s.expires_at), revoked_at: iso(s.revoked_at), created: iso(s.created_at),
});

export async function createPortalSession(deps: Deps, actor: Actor, input: { customer: string; return_url?: string | undefined; configuration?: string | undefined }) {
  const returnUrl = checkedReturnUrl(input.return_url);
  return await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', u.accountId).where('id', '=', input.customer).executeTakeFirst();
    if (!c) throw notFound('customer', input.customer, 'customer');
    let configurationId: string | null = null;
    if (input.configuration !== undefined) {
      const named = await u.tx.selectFrom('billing_portal_configurations').select('id').where('account_id', '=', u.accountId).where('id', '=', input.configuration).executeTakeFirst();
      if (!named) throw notFound('billing portal configuration', input.configuration, 'configuration');
      configurationId = named.id;
    } else {
      const byDefault = await u.tx.selectFrom('billing_portal_configurations').select('id').where('account_id', '=', u.accountId).where('is_default', '=', true).executeTakeFirst();
      configurationId = byDefault?.id ?? null;
    }
    const n = deps.notifications;
    if (!n) throw new DomainError('billing_portal_unavailable', 'Billing portal sessions are signed with REBILL_SECRET_KEY, which this installation does not have.');
    const now = await nowFor(deps, u.tx, u.accountId, c.test_clock_id);
    const row = await u.tx.insertInto('billing_portal_sessions').values({
      account_id: u.accountId, id: newId('billingPortalSession'), customer_id: c.id, configuration_id: configurationId, return_url: returnUrl,
      expires_at: new Date(now.getTime() + PORTAL_SESSION_MS), created_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    // The URL is the customer's credential: to the caller only, never into the audit trail or the event stream.
    const view = sessionView(row);
    u.audit('portal_session.created', 'billing_portal.session', row.id, null, view, now);
    u.emit('portal_session.created', row.id, view, now);
    return { ...view, url: portalUrl(n, row.account_id, row.id) };
  });
}

const sessionById = (db: Db, accountId: string, id: string) =>
  db.selectFrom('billing_portal_sessions').selectAll().where('account_id', '=', accountId).where('id', '=', id);

export async function listPortalSessions(deps: Deps, accountId: string, page: Page & { customer?: string | undefined }) {
  let q = deps.db.selectFrom('billing_portal_sessions').selectAll().where('account_id', '=', accountId);
  if (page.customer !== undefined) q = q.where('customer_id', '=', page.customer);
  return await paginate(q, 'id', page, sessionView);
}

export async function getPortalSession(deps: Deps, accountId: string, id: string) {
  const s = await sessionById(deps.db, accountId, id).executeTakeFirst();
  if (!s) throw notFound('billing portal session', id, 'id');
  return sessionView(s);
}

/**
 * Ends a session before its hour is up (a customer's device lost, a support call that should not
 * have given a link): from the commit on, its token is refused on every portal route. Its time is
 * the customer's business time, like its expiry, so the two compare on one clock.
 */
export async function revokePortalSession(deps: Deps, actor: Actor, id: string) {
  return await command(deps, actor, async (u) => {
    // Locked, so of two revocations at once the second sees the first's and answers 409.
    const before = await sessionById(u.tx, u.accountId, id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('billing portal session', id, 'id');
    if (before.revoked_at) {
      throw conflict('billing_portal_session_revoked', `Billing portal session '${id}' was already revoked at ${iso(before.revoked_at)}.`, 'id');
    }
    const c = await u.tx.selectFrom('customers').select('test_clock_id')
      .where('account_id', '=', u.accountId).where('id', '=', before.customer_id).executeTakeFirstOrThrow();
    const now = await nowFor(deps, u.tx, u.accountId, c.test_clock_id);
    const after = await u.tx.updateTable('billing_portal_sessions').set({ revoked_at: now })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = sessionView(after);
    u.audit('portal_session.revoked', 'billing_portal.session', id, { revoked_at: null }, { revoked_at: view.revoked_at }, now);
    u.emit('portal_session.revoked', id, view, now);
    return view;
  });
}

/** An open portal session: whose it is, what it offers, and who the audit trail says acts. */
export type PortalContext = {
  accountId: string; sessionId: string; customerId: string; testClockId: string | null;
  returnUrl: string | null; expiresAt: Date; features: PortalFeatures; actor: Actor;
};

const invalidSession = () => new DomainError('portal_session_invalid', 'This billing portal link is not valid: it was not made by the merchant, or it was changed on the way.');
// Only a token Rebill signed gets this far, so saying that it was revoked tells its bearer nothing new.
const revokedSession = () => new DomainError('portal_session_revoked', 'This billing portal session was ended by the merchant; go back to the merchant for a new link.');

/**
 * The session a bearer token opens, or a 401: `portal_session_invalid` for anything Rebill did not
 * sign as a portal session (an API key, a card-update link's token, an edited one), and
 * `portal_session_expired` once the customer's business time (their test clock's, if any) passes
 * its expiry. The features are read afresh, so a configuration's change applies at once.
 */
export async function openPortalSession(deps: Deps, token: string, requestId: string | null): Promise<PortalContext> {
  const opened = openToken(deps.notifications, PORTAL_SESSION_TOKEN, token);
  if (!opened) throw invalidSession();
  const s = await sessionById(deps.db, opened.accountId, opened.id).executeTakeFirst();
  if (!s) throw invalidSession();
  if (s.revoked_at) throw revokedSession();
  const c = await deps.db.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', s.account_id).where('id', '=', s.customer_id).executeTakeFirstOrThrow();
  const now = await nowFor(deps, deps.db, s.account_id, c.test_clock_id);
  if (s.expires_at <= now) throw new DomainError('portal_session_expired', 'This billing portal session has expired; go back to the merchant for a new link.');
  const configuration = s.configuration_id === null ? null
    : await deps.db.selectFrom('billing_portal_configurations').selectAll().where('account_id', '=', s.account_id).where('id', '=', s.configuration_id).executeTakeFirstOrThrow();
  return {
    accountId: s.account_id, sessionId: s.id, customerId: s.customer_id, testClockId: c.test_clock_id, returnUrl: s.return_url, expiresAt: s.expires_at,
    features: configuration ? featuresOf(configuration) : BUILT_IN_FEATURES,
    // The customer acts for themself, through this session: the audit trail says both.
    actor: { accountId: s.account_id, actor: `customer:${s.customer_id}/billing_portal_session:${s.id}`, requestId },
  };
}
