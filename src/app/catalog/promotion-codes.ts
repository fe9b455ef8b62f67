import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { promotionCodeView } from '../views.ts';

export type PromotionCodeInput = {
  coupon: string; code?: string; active?: boolean; max_redemptions?: number; expires_at?: string; customer?: string;
  restrictions?: { first_time_transaction?: boolean; minimum_amount?: number; minimum_amount_currency?: string };
  metadata?: Record<string, string>;
};

// Read aloud and typed by people: no 0/O or 1/I/L to confuse.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const generatedCode = () => Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');

const taken = (code: string) => invalid('promotion_code_taken', `another promotion code is already '${code}' (codes are compared case-insensitively)`, 'code');

export async function createPromotionCode(deps: Deps, actor: Actor, input: PromotionCodeInput) {
  const r = input.restrictions ?? {};
  if ((r.minimum_amount === undefined) !== (r.minimum_amount_currency === undefined)) {
    const param = r.minimum_amount === undefined ? 'minimum_amount' : 'minimum_amount_currency';
    throw invalid('parameter_missing', 'minimum_amount and minimum_amount_currency go together', `restrictions[${param}]`);
  }
  const minCurrency = r.minimum_amount_currency === undefined ? null : normalizeCurrency(r.minimum_amount_currency, 'restrictions[minimum_amount_currency]');
  const now = deps.clock.now();
  const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at);
  if (expiresAt && expiresAt <= now) throw invalid('parameter_invalid', 'expires_at must be in the future', 'expires_at');
  return await command(deps, actor, async (u) => {
    const coupon = await u.tx.selectFrom('coupons').select(['id', 'redeem_by']).where('account_id', '=', u.accountId).where('id', '=', input.coupon).executeTakeFirst();
    if (!coupon) throw notFound('coupon', input.coupon, 'coupon');
    if (input.customer) {
      const customer = await u.tx.selectFrom('customers').select('id').where('account_id', '=', u.accountId).where('id', '=', input.customer).executeTakeFirst();
      if (!customer) throw notFound('customer', input.customer, 'customer');
    }
    // The unique index on lower(code) decides, so two requests for one code cannot both have it.
    const insert = (code: string) => u.tx.insertInto('promotion_codes').values({
      account_id: u.accountId, id: newId('promotionCode'), coupon_id: coupon.id, code, active: input.active ?? true,
      max_redemptions: input.max_redemptions ?? null, expires_at: expiresAt, customer_id: input.customer ?? null,
      first_time_transaction: r.first_time_transaction ?? false, minimum_amount: r.minimum_amount === undefined ? null : BigInt(r.minimum_amount),
      minimum_amount_currency: minCurrency, metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).onConflict((oc) => oc.doNothing()).returningAll().executeTakeFirst();
    let row = await insert(input.code ?? generatedCode());
    if (!row && input.code !== undefined) throw taken(input.code);
    // A generated code someone already has: draw again (31^8, about 10^12, codes).
    for (let i = 0; !row && i < 5; i++) row = await insert(generatedCode());
    if (!row) throw new Error('could not find a free promotion code');
    const view = promotionCodeView(row);
    u.audit('promotion_code.created', 'promotion_code', row.id, null, view, now);
    u.emit('promotion_code.created', row.id, view, now);
    return view;
  });
}

export async function updatePromotionCode(deps: Deps, actor: Actor, id: string, input: { active?: boolean; metadata?: Record<string, string> }) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await u.tx.selectFrom('promotion_codes').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('promotion code', id, 'id');
    const after = await u.tx.updateTable('promotion_codes').set({
      active: input.active ?? before.active, metadata: JSON.stringify({ ...(before.metadata as Record<string, string>), ...(input.metadata ?? {}) }),
      updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = promotionCodeView(after);
    u.audit('promotion_code.updated', 'promotion_code', id, promotionCodeView(before), view, now);
    u.emit('promotion_code.updated', id, view, now);
    return view;
  });
}

export async function getPromotionCode(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('promotion_codes').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('promotion code', id, 'id');
  return promotionCodeView(row);
}

export type PromotionCodeFilters = { code?: string | undefined; coupon?: string | undefined; active?: boolean | undefined; customer?: string | undefined };

export async function listPromotionCodes(deps: Deps, accountId: string, page: Page & PromotionCodeFilters) {
  let q = deps.db.selectFrom('promotion_codes').selectAll().where('account_id', '=', accountId);
  if (page.code !== undefined) q = q.where(sql<string>`lower(code)`, '=', page.code.toLowerCase());
  if (page.coupon !== undefined) q = q.where('coupon_id', '=', page.coupon);
  if (page.active !== undefined) q = q.where('active', '=', page.active);
  if (page.customer !== undefined) q = q.where('customer_id', '=', page.customer);
  return await paginate(q, 'id', page, promotionCodeView);
}
