import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { refreshEntitlements } from './derive.ts';
import { overrideView } from './view.ts';

export type OverrideInput = { feature: string; grant: boolean; expires_at: string; reason?: string | null };

/**
 * A manual grant or revoke of one feature for one customer until `expires_at` (which must be
 * in the future of the customer's business time: their test clock's, if any). Audited as the
 * caller's action; the customer's set is recomputed, and announced if it changed, in the same
 * transaction. Expiry is the duty's: the snapshot's recheck_at points at it.
 */
export async function createOverride(deps: Deps, actor: Actor, customerId: string, input: OverrideInput) {
  const expiresAt = new Date(input.expires_at);
  return await command(deps, actor, async (u) => {
    const customer = await u.tx.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', u.accountId).where('id', '=', customerId).executeTakeFirst();
    if (!customer) throw notFound('customer', customerId, 'id');
    const feature = await u.tx.selectFrom('features').selectAll().where('account_id', '=', u.accountId).where('id', '=', input.feature).executeTakeFirst();
    if (!feature) throw notFound('feature', input.feature, 'feature');
    if (!feature.active) throw invalid('feature_inactive', `feature '${input.feature}' is archived`, 'feature');
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    if (expiresAt <= now) throw invalid('parameter_invalid', `expires_at must be after the customer's current time (${now.toISOString()})`, 'expires_at');
    const row = await u.tx.insertInto('entitlement_overrides').values({
      account_id: u.accountId, id: newId('entitlementOverride'), customer_id: customer.id, feature_id: feature.id, is_grant: input.grant,
      expires_at: expiresAt, test_clock_id: customer.test_clock_id, reason: input.reason ?? null, created_by: u.actor.actor, created_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = overrideView(row, feature.lookup_key, now);
    u.audit(input.grant ? 'entitlement_override.granted' : 'entitlement_override.revoked', 'entitlement_override', row.id, null, view, now);
    await refreshEntitlements(deps, u, customer.id);
    return view;
  });
}

export async function listOverrides(deps: Deps, accountId: string, customerId: string, page: Page) {
  const customer = await deps.db.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', accountId).where('id', '=', customerId).executeTakeFirst();
  if (!customer) throw notFound('customer', customerId, 'id');
  const now = await nowFor(deps, deps.db, accountId, customer.test_clock_id);
  // The lookup keys of the features the customer's overrides name, read once for the page.
  const keys = new Map((await deps.db.selectFrom('features').select(['id', 'lookup_key']).where('account_id', '=', accountId)
    .where('id', 'in', (eb) => eb.selectFrom('entitlement_overrides').select('feature_id').where('account_id', '=', accountId).where('customer_id', '=', customerId))
    .execute()).map((f) => [f.id, f.lookup_key]));
  const q = deps.db.selectFrom('entitlement_overrides').selectAll().where('account_id', '=', accountId).where('customer_id', '=', customerId);
  return await paginate(q, 'id', page, (r) => overrideView(r, keys.get(r.feature_id) ?? '', now));
}
