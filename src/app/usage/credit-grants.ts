import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { nowFor } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

export type CreditGrantInput = {
  customer: string;
  amount: { type: 'monetary'; monetary: { value: number; currency: string } };
  applicability_config: { scope: { price_type: 'metered' } };
  category: 'paid' | 'promotional';
  name?: string | undefined; effective_at?: string | undefined; expires_at?: string | null | undefined;
  priority?: number | undefined; metadata?: Record<string, string> | undefined;
};

export const creditGrantView = (g: Row<'credit_grants'>): R.CreditGrantObject => ({
  id: g.id, object: 'billing.credit_grant', customer: g.customer_id,
  amount: { type: 'monetary', monetary: { currency: g.currency, value: Number(g.amount) } },
  applicability_config: g.applicability as R.CreditGrantObject['applicability_config'],
  category: g.category as R.CreditGrantObject['category'], name: g.name, priority: g.priority,
  effective_at: g.effective_at.toISOString(), expires_at: g.expires_at?.toISOString() ?? null, voided_at: g.voided_at?.toISOString() ?? null,
  metadata: g.metadata as Record<string, string>, test_clock: g.test_clock_id, created: g.created_at.toISOString(), updated: g.updated_at.toISOString(),
});

/** An expiry must lie ahead, in the customer's business time, and after the grant takes effect. */
function checkExpiry(expiresAt: Date | null, effectiveAt: Date, now: Date): void {
  if (expiresAt === null) return;
  if (expiresAt <= now) throw invalid('parameter_invalid', `expires_at must be in the future (it is now ${now.toISOString()} for this customer).`, 'expires_at');
  if (expiresAt <= effectiveAt) throw invalid('parameter_invalid', 'expires_at must be after effective_at.', 'expires_at');
}

export async function createCreditGrant(deps: Deps, actor: Actor, input: CreditGrantInput) {
  const currency = normalizeCurrency(input.amount.monetary.currency, 'amount[monetary][currency]');
  return await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('customers').select(['id', 'currency', 'test_clock_id'])
      .where('account_id', '=', u.accountId).where('id', '=', input.customer).executeTakeFirst();
    if (!c) throw notFound('customer', input.customer, 'customer');
    // Credit only ever pays invoices in its own currency: in any other it would sit there unusable.
    if (c.currency !== null && c.currency !== currency) {
      throw invalid('customer_currency_mismatch', `customer '${c.id}' bills in ${c.currency}, not ${currency}`, 'amount[monetary][currency]');
    }
    const now = await nowFor(deps, u.tx, u.accountId, c.test_clock_id);
    const effectiveAt = input.effective_at !== undefined ? new Date(input.effective_at) : now;
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    checkExpiry(expiresAt, effectiveAt, now);
    const amount = BigInt(input.amount.monetary.value);
    const row = await u.tx.insertInto('credit_grants').values({
      account_id: u.accountId, id: newId('creditGrant'), customer_id: c.id, currency, amount, balance: amount, name: input.name ?? null,
      category: input.category, applicability: JSON.stringify({ scope: { price_type: input.applicability_config.scope.price_type } }),
      priority: input.priority ?? 50, effective_at: effectiveAt, expires_at: expiresAt, metadata: JSON.stringify(input.metadata ?? {}),
      test_clock_id: c.test_clock_id, created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = creditGrantView(row);
    u.audit('credit_grant.created', 'credit_grant', row.id, null, view, now);
    u.emit('credit_grant.created', row.id, view, now);
    return view;
  });
}

async function lockedGrant(u: UnitOfWork, id: string) {
  const row = await u.tx.selectFrom('credit_grants').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw notFound('credit grant', id, 'id');
  return row;
}

/** Writes a locked grant's change with its audit record and event. */
async function writeGrant(u: UnitOfWork, before: Row<'credit_grants'>, set: { expires_at?: Date | null; metadata?: string; voided_at?: Date },
  type: 'credit_grant.updated' | 'credit_grant.voided', now: Date) {
  const after = await u.tx.updateTable('credit_grants').set({ ...set, updated_at: now, version: before.version + 1 })
    .where('account_id', '=', u.accountId).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
  const view = creditGrantView(after);
  u.audit(type, 'credit_grant', before.id, creditGrantView(before), view, now);
  u.emit(type, before.id, view, now);
  return view;
}

/** Metadata (merged; an empty value removes a key) and the expiry (null: never) of a grant. */
export async function updateCreditGrant(deps: Deps, actor: Actor, id: string, input: { metadata?: Record<string, string> | undefined; expires_at?: string | null | undefined }) {
  return await command(deps, actor, async (u) => {
    const before = await lockedGrant(u, id);
    const now = await nowFor(deps, u.tx, u.accountId, before.test_clock_id);
    let expiresAt = before.expires_at;
    if (input.expires_at !== undefined) {
      if (before.voided_at) throw invalid('credit_grant_voided', `credit grant '${id}' is voided`, 'expires_at');
      if (before.expires_at && before.expires_at <= now) throw invalid('credit_grant_expired', `credit grant '${id}' expired at ${before.expires_at.toISOString()}`, 'expires_at');
      expiresAt = input.expires_at === null ? null : new Date(input.expires_at);
      checkExpiry(expiresAt, before.effective_at, now);
    }
    const metadata = { ...(before.metadata as Record<string, string>) };
    for (const [k, v] of Object.entries(input.metadata ?? {})) {
      if (v === '') delete metadata[k]; else metadata[k] = v;
    }
    return await writeGrant(u, before, { expires_at: expiresAt, metadata: JSON.stringify(metadata) }, 'credit_grant.updated', now);
  });
}

/**
 * Voids a grant: what is left of it can no longer be used. What invoices already consumed stays
 * consumed; an invoice voided later still gets its share back in the ledger, unusable like the rest.
 */
export async function voidCreditGrant(deps: Deps, actor: Actor, id: string) {
  return await command(deps, actor, async (u) => {
    const before = await lockedGrant(u, id);
    if (before.voided_at) throw invalid('credit_grant_voided', `credit grant '${id}' was voided at ${before.voided_at.toISOString()}`, 'id');
    const now = await nowFor(deps, u.tx, u.accountId, before.test_clock_id);
    return await writeGrant(u, before, { voided_at: now }, 'credit_grant.voided', now);
  });
}

export async function getCreditGrant(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('credit_grants').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('credit grant', id, 'id');
  return creditGrantView(row);
}

export async function listCreditGrants(deps: Deps, accountId: string, page: Page & { customer?: string | undefined }) {
  let q = deps.db.selectFrom('credit_grants').selectAll().where('account_id', '=', accountId);
  if (page.customer !== undefined) q = q.where('customer_id', '=', page.customer);
  return await paginate(q, 'id', page, creditGrantView);
}
