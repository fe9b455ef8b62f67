import { Type } from '@sinclair/typebox';
import { customerEntitlements } from '../../app/entitlements/derive.ts';
import { attachFeature, createFeature, detachFeature, getFeature, listFeatures, listProductFeatures, updateFeature } from '../../app/entitlements/features.ts';
import { createOverride, listOverrides } from '../../app/entitlements/overrides.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, Metadata, pageOf, replies, Timestamp } from '../schemas.ts';
import type { App } from './types.ts';

const LookupKey = Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Stable machine name: letters, digits, _ . : - (at most 80)' });
const Name = Type.String({ minLength: 1, maxLength: 256 });

/** Features, the products that grant them, and what customers are entitled to (issue 17, point 3). */
export function entitlementRoutes(app: App, deps: Deps) {
  const tags = ['entitlements'];
  app.post('/v1/features', {
    config: { permission: 'catalog' },
    schema: { tags, summary: 'Create a feature', response: replies(ref('Feature')), body: Type.Object({ lookup_key: LookupKey, name: Name, metadata: Type.Optional(Metadata) }, { additionalProperties: false }) },
  }, async (req) => await createFeature(deps, actorOf(req), req.body));

  app.get('/v1/features', {
    schema: { tags, summary: 'List features, newest first', response: replies(R.ListOf(ref('Feature'))), querystring: ListQuery({ lookup_key: Type.Optional(Type.String({ maxLength: 80 })) }) },
  }, async (req) => await listFeatures(deps, actorOf(req).accountId, { ...pageOf(req.query), lookup_key: req.query.lookup_key }));

  app.get('/v1/features/:id', { schema: { tags, summary: 'Retrieve a feature', response: replies(ref('Feature')), params: IdParams } },
    async (req) => await getFeature(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/features/:id', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Rename, archive (active: false) or restore a feature; its lookup_key does not change', response: replies(ref('Feature')), params: IdParams,
      body: Type.Object({ name: Type.Optional(Name), active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata) }, { additionalProperties: false }),
    },
  }, async (req) => await updateFeature(deps, actorOf(req), req.params.id, req.body));

  app.post('/v1/products/:id/features', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: "Attach a feature to a product: its subscribers are entitled to it", response: replies(ref('ProductFeature')), params: IdParams,
      body: Type.Object({ feature: Id('feat') }, { additionalProperties: false }),
    },
  }, async (req) => await attachFeature(deps, actorOf(req), req.params.id, req.body.feature));

  app.get('/v1/products/:id/features', {
    schema: { tags, summary: "List a product's features, by lookup key", response: replies(R.ListOf(ref('ProductFeature'))), params: IdParams },
  }, async (req) => await listProductFeatures(deps, actorOf(req).accountId, req.params.id));

  app.delete('/v1/products/:id/features/:feature', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Detach a feature from a product', response: replies(R.DeletedObject),
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), feature: Type.String({ minLength: 1, maxLength: 64 }) }),
    },
  }, async (req) => await detachFeature(deps, actorOf(req), req.params.id, req.params.feature));

  app.get('/v1/customers/:id/entitlements', {
    schema: { tags, summary: "The features a customer is entitled to now, derived from their subscriptions' status, grace periods and overrides", response: replies(R.ListOf(ref('Entitlement'))), params: IdParams },
  }, async (req) => await customerEntitlements(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/customers/:id/entitlement_overrides', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Grant (grant: true) or revoke (grant: false) a feature for a customer until expires_at', response: replies(ref('EntitlementOverride')), params: IdParams,
      body: Type.Object({
        feature: Id('feat'), grant: Type.Boolean(),
        expires_at: { ...Timestamp, description: "When the override stops counting; after the customer's current (business) time" },
        reason: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createOverride(deps, actorOf(req), req.params.id, req.body));

  app.get('/v1/customers/:id/entitlement_overrides', {
    schema: { tags, summary: "List a customer's entitlement overrides, newest first (expired ones too)", response: replies(R.ListOf(ref('EntitlementOverride'))), params: IdParams, querystring: ListQuery() },
  }, async (req) => await listOverrides(deps, actorOf(req).accountId, req.params.id, pageOf(req.query)));
}
