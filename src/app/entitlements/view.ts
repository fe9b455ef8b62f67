import type { Entitlement } from '../../domain/entitlements.ts';
import type * as R from '../resources.ts';
import type { Row } from '../views.ts';

const parsed = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export const featureView = (f: Row<'features'>): R.FeatureObject => ({
  id: f.id, object: 'feature', lookup_key: f.lookup_key, name: f.name, active: f.active,
  metadata: parsed<Record<string, string>>(f.metadata), created: f.created_at.toISOString(), updated: f.updated_at.toISOString(),
});

export const productFeatureView = (pf: Row<'product_features'>, f: Row<'features'>): R.ProductFeatureObject => ({
  object: 'product_feature', product: pf.product_id, feature: featureView(f), created: pf.created_at.toISOString(),
});

export const entitlementView = (e: Entitlement): R.EntitlementObject => ({
  object: 'entitlement', feature: e.feature, lookup_key: e.lookupKey, source: e.source,
});

/** The list kept in customer_entitlements, as announced in events (API shape). */
export const storedEntitlements = (snapshot: Row<'customer_entitlements'> | undefined): R.EntitlementObject[] =>
  snapshot ? parsed<R.EntitlementObject[]>(snapshot.entitlements) : [];

export const overrideView = (o: Row<'entitlement_overrides'>, lookupKey: string, now: Date): R.EntitlementOverrideObject => ({
  id: o.id, object: 'entitlement_override', customer: o.customer_id, feature: o.feature_id, lookup_key: lookupKey, grant: o.is_grant,
  expires_at: o.expires_at.toISOString(), expired: o.expires_at <= now, reason: o.reason, created_by: o.created_by, created: o.created_at.toISOString(),
});
