// Billing portal configurations (issue 19, point 3): which features the customer portal offers,
// with the products, prices and retention coupon they name checked against the account.
import { EMPTY_FEATURES, mergeFeatures, type PortalFeatures, type PortalFeaturesInput } from '../../domain/billing-portal.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import type { Db } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

export type ConfigurationInput = { features?: PortalFeaturesInput | undefined; is_default?: boolean | undefined; metadata?: Record<string, string> | undefined };

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
export const featuresOf = (c: Row<'billing_portal_configurations'>) => json(c.features) as PortalFeatures;

export const configurationView = (c: Row<'billing_portal_configurations'>): R.BillingPortalConfigurationObject => ({
  id: c.id, object: 'billing_portal.configuration', is_default: c.is_default, features: featuresOf(c),
  metadata: json(c.metadata) as Record<string, string>, created: c.created_at.toISOString(), updated: c.updated_at.toISOString(),
});

/**
 * Every id the features name belongs to the account (another account's is as unknown as a made-up
 * one, 404 naming the field), each price to its product and recurring, and an offer of plan
 * changes names at least one price to move to.
 */
async function checkFeatures(db: Db, accountId: string, f: PortalFeatures) {
  const update = f.subscription_update;
  const productIds = update.products.map((p) => p.product);
  const priceIds = update.products.flatMap((p) => p.prices);
  const products = productIds.length ? await db.selectFrom('products').select('id').where('account_id', '=', accountId).where('id', 'in', productIds).execute() : [];
  const prices = priceIds.length ? await db.selectFrom('prices').select(['id', 'product_id', 'recurring_interval']).where('account_id', '=', accountId).where('id', 'in', priceIds).execute() : [];
  const knownProducts = new Set(products.map((p) => p.id));
  const priceById = new Map(prices.map((p) => [p.id, p]));
  update.products.forEach((entry, i) => {
    const at = `features[subscription_update][products][${i}]`;
    if (!knownProducts.has(entry.product)) throw notFound('product', entry.product, `${at}[product]`);
    entry.prices.forEach((priceId, j) => {
      const price = priceById.get(priceId);
      if (!price) throw notFound('price', priceId, `${at}[prices][${j}]`);
      if (price.product_id !== entry.product) throw invalid('parameter_invalid', `Price '${priceId}' is a price of product '${price.product_id}', not of '${entry.product}'.`, `${at}[prices][${j}]`);
      if (price.recurring_interval === null) throw invalid('price_not_recurring', `Price '${priceId}' is not recurring; a subscription cannot move to it.`, `${at}[prices][${j}]`);
    });
  });
  if (new Set(productIds).size !== productIds.length) throw invalid('parameter_invalid', 'Each product may appear once.', 'features[subscription_update][products]');
  if (update.enabled && update.products.length === 0) {
    throw invalid('parameter_missing', 'Plan changes need at least one product with the prices a customer may move to.', 'features[subscription_update][products]');
  }
  const coupon = f.subscription_cancel.retention?.coupon;
  if (coupon !== undefined) {
    const found = await db.selectFrom('coupons').select('id').where('account_id', '=', accountId).where('id', '=', coupon).executeTakeFirst();
    if (!found) throw notFound('coupon', coupon, 'features[subscription_cancel][retention][coupon]');
  }
}

/** Makes this configuration the account's only default (the partial unique index allows one). */
async function clearDefault(u: UnitOfWork, exceptId: string | null, now: Date) {
  let q = u.tx.updateTable('billing_portal_configurations').set({ is_default: false, updated_at: now })
    .where('account_id', '=', u.accountId).where('is_default', '=', true);
  if (exceptId) q = q.where('id', '<>', exceptId);
  await q.execute();
}

export async function createConfiguration(deps: Deps, actor: Actor, input: ConfigurationInput) {
  const features = mergeFeatures(EMPTY_FEATURES, input.features ?? {});
  return await command(deps, actor, async (u) => {
    await checkFeatures(u.tx, u.accountId, features);
    const now = deps.clock.now();
    // Taken first, so two concurrent "make me the default" requests queue instead of one failing on the index.
    if (input.is_default) {
      await u.tx.selectFrom('accounts').select('id').where('id', '=', u.accountId).forUpdate().execute();
      await clearDefault(u, null, now);
    }
    const row = await u.tx.insertInto('billing_portal_configurations').values({
      account_id: u.accountId, id: newId('billingPortalConfiguration'), is_default: input.is_default ?? false,
      features: JSON.stringify(features), metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = configurationView(row);
    u.audit('portal_configuration.created', 'billing_portal.configuration', row.id, null, view, now);
    u.emit('portal_configuration.created', row.id, view, now);
    return view;
  });
}

export async function updateConfiguration(deps: Deps, actor: Actor, id: string, input: ConfigurationInput) {
  return await command(deps, actor, async (u) => {
    if (input.is_default) await u.tx.selectFrom('accounts').select('id').where('id', '=', u.accountId).forUpdate().execute();
    const before = await u.tx.selectFrom('billing_portal_configurations').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('billing portal configuration', id, 'id');
    const features = mergeFeatures(featuresOf(before), input.features ?? {});
    await checkFeatures(u.tx, u.accountId, features);
    const now = deps.clock.now();
    if (input.is_default) await clearDefault(u, id, now);
    const after = await u.tx.updateTable('billing_portal_configurations').set({
      features: JSON.stringify(features), is_default: input.is_default ?? before.is_default,
      metadata: JSON.stringify({ ...(json(before.metadata) as object), ...(input.metadata ?? {}) }), updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = configurationView(after);
    const was = configurationView(before);
    u.audit('portal_configuration.updated', 'billing_portal.configuration', id, { features: was.features, is_default: was.is_default }, { features: view.features, is_default: view.is_default }, now);
    u.emit('portal_configuration.updated', id, view, now, { previous_attributes: { features: was.features, is_default: was.is_default } });
    return view;
  });
}

export async function getConfiguration(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('billing_portal_configurations').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('billing portal configuration', id, 'id');
  return configurationView(row);
}

export async function listConfigurations(deps: Deps, accountId: string, page: Page & { is_default?: boolean | undefined }) {
  let q = deps.db.selectFrom('billing_portal_configurations').selectAll().where('account_id', '=', accountId);
  if (page.is_default !== undefined) q = q.where('is_default', '=', page.is_default);
  return await paginate(q, 'id', page, configurationView);
}
