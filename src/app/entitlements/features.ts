import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { noteChanged } from './derive.ts';
import { featureView, productFeatureView } from './view.ts';

export type FeatureInput = { lookup_key: string; name: string; metadata?: Record<string, string> };

export async function createFeature(deps: Deps, actor: Actor, input: FeatureInput) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    // The unique index decides, so two requests for one lookup key cannot both have it.
    const row = await u.tx.insertInto('features').values({
      account_id: u.accountId, id: newId('feature'), lookup_key: input.lookup_key, name: input.name,
      metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).onConflict((oc) => oc.doNothing()).returningAll().executeTakeFirst();
    if (!row) throw invalid('feature_lookup_key_taken', `another feature already has the lookup_key '${input.lookup_key}'`, 'lookup_key');
    const view = featureView(row);
    u.audit('feature.created', 'feature', row.id, null, view, now);
    u.emit('feature.created', row.id, view, now);
    return view;
  });
}

async function lockedFeature(u: UnitOfWork, id: string, param: string) {
  const row = await u.tx.selectFrom('features').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw notFound('feature', id, param);
  return row;
}

/** Renames, re-tags, archives or restores a feature. The lookup key is its stable name and does not change. */
export async function updateFeature(deps: Deps, actor: Actor, id: string, input: { name?: string; active?: boolean; metadata?: Record<string, string> }) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await lockedFeature(u, id, 'id');
    const after = await u.tx.updateTable('features').set({
      name: input.name ?? before.name, active: input.active ?? before.active, metadata: JSON.stringify(input.metadata ?? before.metadata),
      updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    // Archiving a feature takes it from everyone who has it; restoring gives it back.
    if (after.active !== before.active) await noteChanged(u, { features: [id] });
    const view = featureView(after);
    u.audit('feature.updated', 'feature', id, featureView(before), view, now);
    u.emit('feature.updated', id, view, now);
    return view;
  });
}

export async function getFeature(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('features').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('feature', id, 'id');
  return featureView(row);
}

export async function listFeatures(deps: Deps, accountId: string, page: Page & { lookup_key?: string | undefined; active?: boolean | undefined }) {
  let q = deps.db.selectFrom('features').selectAll().where('account_id', '=', accountId);
  if (page.lookup_key !== undefined) q = q.where('lookup_key', '=', page.lookup_key);
  if (page.active !== undefined) q = q.where('active', '=', page.active);
  return await paginate(q, 'id', page, featureView);
}

async function productExists(u: UnitOfWork, id: string) {
  // The product row serializes changes of its features.
  const p = await u.tx.selectFrom('products').select('id').where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!p) throw notFound('product', id, 'id');
}

/** Attaches a feature to a product: every live subscription to the product grants it. Attaching it again changes nothing. */
export async function attachFeature(deps: Deps, actor: Actor, productId: string, featureId: string) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    await productExists(u, productId);
    const feature = await lockedFeature(u, featureId, 'feature');
    if (!feature.active) throw invalid('feature_inactive', `feature '${featureId}' is archived`, 'feature');
    const inserted = await u.tx.insertInto('product_features').values({ account_id: u.accountId, product_id: productId, feature_id: featureId, created_at: now })
      .onConflict((oc) => oc.doNothing()).returningAll().executeTakeFirst();
    const row = inserted ?? await u.tx.selectFrom('product_features').selectAll().where('account_id', '=', u.accountId)
      .where('product_id', '=', productId).where('feature_id', '=', featureId).executeTakeFirstOrThrow();
    const view = productFeatureView(row, feature);
    if (inserted) {
      await noteChanged(u, { products: [productId] });
      u.audit('product_feature.attached', 'product', productId, null, { feature: featureId, lookup_key: feature.lookup_key }, now);
    }
    return view;
  });
}

export async function detachFeature(deps: Deps, actor: Actor, productId: string, featureId: string) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    await productExists(u, productId);
    const gone = await u.tx.deleteFrom('product_features').where('account_id', '=', u.accountId).where('product_id', '=', productId)
      .where('feature_id', '=', featureId).returningAll().executeTakeFirst();
    if (!gone) throw notFound('feature of the product', featureId, 'feature');
    await noteChanged(u, { products: [productId] });
    u.audit('product_feature.detached', 'product', productId, { feature: featureId }, null, now);
    return { id: featureId, object: 'product_feature', deleted: true as const };
  });
}

export async function listProductFeatures(deps: Deps, accountId: string, productId: string) {
  const product = await deps.db.selectFrom('products').select('id').where('account_id', '=', accountId).where('id', '=', productId).executeTakeFirst();
  if (!product) throw notFound('product', productId, 'id');
  const rows = await deps.db.selectFrom('product_features as pf')
    .innerJoin('features as f', (j) => j.onRef('f.account_id', '=', 'pf.account_id').onRef('f.id', '=', 'pf.feature_id'))
    .selectAll('f').select(['pf.product_id', 'pf.feature_id', 'pf.created_at as attached_at'])
    .where('pf.account_id', '=', accountId).where('pf.product_id', '=', productId).orderBy('f.lookup_key').execute();
  return {
    object: 'list' as const, has_more: false,
    data: rows.map((r) => productFeatureView({ account_id: accountId, product_id: r.product_id, feature_id: r.feature_id, created_at: r.attached_at }, r)),
  };
}
