import type { PriceModel } from '../../domain/pricing.ts';
import { parsePriceModel } from '../../domain/pricing.ts';
import type { PercentageModel } from '../../domain/usage/percentage.ts';
import { parsePercentage, percentageJson, percentageOf, type PercentageJson, type UsagePricing } from '../../domain/usage/metered-price.ts';
import { normalizeCurrency } from '../../domain/currency.ts';
import { parseCurrencyOptions, storedOptions } from './price-currencies.ts';
import { validateRecurring } from '../../domain/calendar.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { priceView, productView, type Row } from '../views.ts';

export type ProductInput = { name: string; description?: string | null; active?: boolean; metadata?: Record<string, string> };

export async function createProduct(deps: Deps, actor: Actor, input: ProductInput) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const row = await u.tx.insertInto('products').values({
      account_id: u.accountId, id: newId('product'), name: input.name, description: input.description ?? null,
      active: input.active ?? true, metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = productView(row);
    u.audit('product.created', 'product', row.id, null, view, now);
    u.emit('product.created', row.id, view, now);
    return view;
  });
}

export async function getProduct(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('products').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('product', id, 'id');
  return productView(row);
}

export async function listProducts(deps: Deps, accountId: string, page: Page) {
  return await paginate(deps.db.selectFrom('products').selectAll().where('account_id', '=', accountId), 'id', page, productView);
}

export type PriceInput = Record<string, unknown> & {
  product: string; currency: string; recurring?: unknown; nickname?: string | null; metadata?: Record<string, string>;
  currency_options?: unknown;
};

/** Tiers are stored with amounts as strings so values beyond 2^53 would survive JSON. */
function storedTiers(model: PriceModel): string | null {
  if (!model.tiers) return null;
  return JSON.stringify(model.tiers.map((t) => ({
    up_to: t.up_to, unit_amount: t.unit_amount?.toString() ?? null, unit_amount_decimal: t.unit_amount_decimal,
    flat_amount: t.flat_amount?.toString() ?? null, flat_amount_decimal: t.flat_amount_decimal,
  })));
}

/** `recurring[usage_type]` and `recurring[meter]`: a metered price bills a meter's usage in arrears. */
function usageOf(recurring: unknown): { metered: boolean; meter: string | null } {
  const o = (recurring ?? {}) as Record<string, unknown>;
  const type = o.usage_type ?? 'licensed';
  if (type !== 'licensed' && type !== 'metered') throw invalid('parameter_invalid', 'recurring[usage_type] must be licensed or metered.', 'recurring[usage_type]');
  if (type === 'licensed') {
    if (o.meter !== undefined && o.meter !== null) throw invalid('parameter_invalid', 'recurring[meter] requires recurring[usage_type]=metered.', 'recurring[meter]');
    return { metered: false, meter: null };
  }
  if (typeof o.meter !== 'string' || o.meter.length === 0) throw invalid('parameter_missing', 'Missing required param: recurring[meter] (a metered price bills a meter).', 'recurring[meter]');
  return { metered: true, meter: o.meter };
}

/** The charge model: the catalog's, or for a metered price also the percentage model. */
function chargeOf(input: PriceInput, metered: boolean): { model: PriceModel; percentage: PercentageModel | null } {
  if (input.billing_scheme !== 'percentage') {
    if (input.percentage !== undefined && input.percentage !== null) throw invalid('parameter_invalid', 'percentage requires billing_scheme=percentage.', 'percentage');
    return { model: parsePriceModel(input), percentage: null };
  }
  if (!metered) throw invalid('parameter_invalid', 'billing_scheme=percentage requires recurring[usage_type]=metered.', 'billing_scheme');
  for (const k of ['unit_amount', 'unit_amount_decimal', 'tiers', 'tiers_mode', 'transform_quantity', 'currency_options'] as const) {
    if (input[k] !== undefined && input[k] !== null) throw invalid('parameter_invalid', `${k} cannot be used with billing_scheme=percentage.`, k);
  }
  return {
    model: { billing_scheme: 'per_unit', unit_amount: null, unit_amount_decimal: null, tiers_mode: null, tiers: null, transform_quantity: null },
    percentage: parsePercentage(input.percentage),
  };
}

export async function createPrice(deps: Deps, actor: Actor, input: PriceInput) {
  const currency = normalizeCurrency(input.currency);
  const recurring = input.recurring === undefined || input.recurring === null ? null : validateRecurring(input.recurring);
  const usage = usageOf(input.recurring);
  const { model, percentage } = chargeOf(input, usage.metered);
  const options = parseCurrencyOptions(input.currency_options, { currency, model });
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const product = await u.tx.selectFrom('products').select(['id', 'active'])
      .where('account_id', '=', u.accountId).where('id', '=', input.product).executeTakeFirst();
    if (!product) throw notFound('product', input.product, 'product');
    if (!product.active) throw invalid('product_inactive', `Product '${input.product}' is archived.`, 'product');
    if (usage.meter) {
      const meter = await u.tx.selectFrom('meters').select(['id', 'status', 'formula'])
        .where('account_id', '=', u.accountId).where('id', '=', usage.meter).executeTakeFirst();
      if (!meter) throw notFound('meter', usage.meter, 'recurring[meter]');
      if (meter.status !== 'active') throw invalid('meter_inactive', `Meter '${usage.meter}' is inactive.`, 'recurring[meter]');
      // The percentage model prices each event's value: it needs values that add up.
      if (percentage && meter.formula !== 'sum') throw invalid('parameter_invalid', 'billing_scheme=percentage needs a meter whose formula is sum.', 'recurring[meter]');
    }
    const row = await u.tx.insertInto('prices').values({
      account_id: u.accountId, id: newId('price'), product_id: product.id, currency,
      billing_scheme: percentage ? 'percentage' : model.billing_scheme, unit_amount: model.unit_amount, unit_amount_decimal: model.unit_amount_decimal,
      tiers_mode: model.tiers_mode, tiers: storedTiers(model),
      transform_quantity: model.transform_quantity ? JSON.stringify(model.transform_quantity) : null,
      recurring_interval: recurring?.interval ?? null, recurring_interval_count: recurring?.interval_count ?? null,
      nickname: input.nickname ?? null, metadata: JSON.stringify(input.metadata ?? {}), created_at: now,
      currency_options: storedOptions(options, storedTiers),
      usage_type: usage.metered ? 'metered' : 'licensed', meter_id: usage.meter, percentage: percentage ? JSON.stringify(percentageJson(percentage)) : null,
    }).returningAll().executeTakeFirstOrThrow();
    const view = priceView(row);
    u.audit('price.created', 'price', row.id, null, view, now);
    u.emit('price.created', row.id, view, now);
    return view;
  });
}

export async function getPrice(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('prices').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('price', id, 'id');
  return priceView(row);
}

export async function listPrices(deps: Deps, accountId: string, page: Page & { product?: string | undefined }) {
  let q = deps.db.selectFrom('prices').selectAll().where('account_id', '=', accountId);
  if (page.product) q = q.where('product_id', '=', page.product);
  return await paginate(q, 'id', page, priceView);
}

/** How a metered price turns a period's usage into an amount. */
export function usagePricingOf(p: Row<'prices'>): UsagePricing {
  if (p.billing_scheme === 'percentage') return { kind: 'percentage', model: percentageOf(json(p.percentage) as PercentageJson) };
  return { kind: 'aggregate', model: priceModelOf(p) };
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as unknown;

/** The stored price as the pricing functions take it. */
// A price row is never changed once read (prices are immutable but for `active`), so its model
// is built once per row object: a billing batch prices the same rows many times.
const models = new WeakMap<Row<'prices'>, PriceModel>();

/** The charge model of a stored price. */
export function priceModelOf(p: Row<'prices'>): PriceModel {
  let m = models.get(p);
  if (!m) { m = readPriceModel(p); models.set(p, m); }
  return m;
}

function readPriceModel(p: Row<'prices'>): PriceModel {
  const tiers = p.tiers === null ? null : (JSON.parse(typeof p.tiers === 'string' ? p.tiers : JSON.stringify(p.tiers)) as {
    up_to: number | null; unit_amount: string | null; unit_amount_decimal: string | null; flat_amount: string | null; flat_amount_decimal: string | null;
  }[]).map((t) => ({
    up_to: t.up_to, unit_amount: t.unit_amount === null ? null : BigInt(t.unit_amount), unit_amount_decimal: t.unit_amount_decimal,
    flat_amount: t.flat_amount === null ? null : BigInt(t.flat_amount), flat_amount_decimal: t.flat_amount_decimal,
  }));
  const tq = p.transform_quantity === null ? null : (typeof p.transform_quantity === 'string' ? JSON.parse(p.transform_quantity) : p.transform_quantity);
  return {
    billing_scheme: p.billing_scheme as PriceModel['billing_scheme'], unit_amount: p.unit_amount,
    unit_amount_decimal: p.unit_amount_decimal, tiers_mode: p.tiers_mode as PriceModel['tiers_mode'], tiers,
    transform_quantity: tq as PriceModel['transform_quantity'],
  };
}
