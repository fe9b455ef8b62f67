import { Type } from '@sinclair/typebox';
import { createConfiguration, getConfiguration, listConfigurations, updateConfiguration } from '../../app/billing-portal/configurations.ts';
import { createPortalSession, getPortalSession, listPortalSessions, revokePortalSession } from '../../app/billing-portal/sessions.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { CANCEL_MODES, CANCELLATION_REASONS, PORTAL_PRORATIONS } from '../../domain/billing-portal.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Lit = R.Literals;
const Toggle = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });

/** Every feature and field optional: what a request leaves out keeps its value (a new configuration: off). */
const FeaturesInput = Type.Object({
  invoice_history: Type.Optional(Toggle),
  payment_method_update: Type.Optional(Toggle),
  subscription_pause: Type.Optional(Toggle),
  subscription_cancel: Type.Optional(Type.Object({
    enabled: Type.Optional(Type.Boolean()),
    mode: Type.Optional(Lit(CANCEL_MODES)),
    cancellation_reason: Type.Optional(Type.Object({
      enabled: Type.Boolean(),
      options: Type.Optional(Type.Array(Lit(CANCELLATION_REASONS), { minItems: 1, maxItems: CANCELLATION_REASONS.length, uniqueItems: true })),
    }, { additionalProperties: false })),
    retention: Type.Optional(Type.Union([Type.Object({ coupon: Id('co') }, { additionalProperties: false }), Type.Null()], { description: 'A coupon offered before cancelling; null: no offer' })),
  }, { additionalProperties: false })),
  subscription_update: Type.Optional(Type.Object({
    enabled: Type.Optional(Type.Boolean()),
    products: Type.Optional(Type.Array(Type.Object({
      product: Id('prod'), prices: Type.Array(Id('price'), { minItems: 1, maxItems: 20, description: 'Recurring prices of the product an item may move to' }),
    }, { additionalProperties: false }), { maxItems: 20 })),
    proration_behavior: Type.Optional(Lit(PORTAL_PRORATIONS)),
  }, { additionalProperties: false })),
}, { additionalProperties: false });

const ConfigurationBody = Type.Object({
  features: Type.Optional(FeaturesInput),
  is_default: Type.Optional(Type.Boolean({ description: 'Make it the default (the previous default stops being one)' })),
  metadata: Type.Optional(Metadata),
}, { additionalProperties: false });

/** The merchant's side of the customer billing portal: what it offers, and sessions that open it. */
export function billingPortalRoutes(app: App, deps: Deps) {
  const tags = ['billing portal'];
  // Which prices customers may move to is a catalog decision: the roles that manage prices (admin, finance).
  app.post('/v1/billing_portal/configurations', {
    config: { permission: 'catalog' },
    schema: { tags, summary: 'Make a billing portal configuration: the features the customer portal offers', response: replies(ref('BillingPortalConfiguration')), body: ConfigurationBody },
  }, async (req) => await createConfiguration(deps, actorOf(req), req.body));

  app.get('/v1/billing_portal/configurations', {
    schema: {
      tags, summary: 'List billing portal configurations, newest first', response: replies(R.ListOf(ref('BillingPortalConfiguration'))),
      querystring: ListQuery({ is_default: Type.Optional(Lit(['true', 'false'] as const)) }),
    },
  }, async (req) => await listConfigurations(deps, actorOf(req).accountId, { ...pageOf(req.query), is_default: req.query.is_default === undefined ? undefined : req.query.is_default === 'true' }));

  app.get('/v1/billing_portal/configurations/:id', { schema: { tags, summary: 'Retrieve a billing portal configuration', response: replies(ref('BillingPortalConfiguration')), params: IdParams } },
    async (req) => await getConfiguration(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/billing_portal/configurations/:id', {
    config: { permission: 'catalog' },
    schema: { tags, summary: 'Change a billing portal configuration (features merge field by field; sessions see it at once)', response: replies(ref('BillingPortalConfiguration')), params: IdParams, body: ConfigurationBody },
  }, async (req) => await updateConfiguration(deps, actorOf(req), req.params.id, req.body));

  app.post('/v1/billing_portal/sessions', {
    // The answer holds the portal URL, the customer's credential: an idempotent replay keeps it sealed.
    config: { permission: 'write', secretInAnswer: true },
    schema: {
      tags, summary: 'Open the billing portal for one customer: a URL valid for an hour, for that customer only', response: replies(ref('BillingPortalSession')),
      body: Type.Object({
        customer: Id('cus'),
        return_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) address the portal links back to' })),
        configuration: Type.Optional(Id('bpc')),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createPortalSession(deps, actorOf(req), req.body));

  // Reads never show the URL: it is answered once, at creation.
  app.get('/v1/billing_portal/sessions', {
    schema: {
      tags, summary: 'List billing portal sessions, newest first (without their URLs)', response: replies(R.ListOf(ref('BillingPortalSession'))),
      querystring: ListQuery({ customer: Type.Optional(Id('cus')) }),
    },
  }, async (req) => await listPortalSessions(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer }));

  app.get('/v1/billing_portal/sessions/:id', {
    schema: { tags, summary: 'Retrieve a billing portal session (without its URL)', response: replies(ref('BillingPortalSession')), params: IdParams },
  }, async (req) => await getPortalSession(deps, actorOf(req).accountId, req.params.id));

  // Whoever may open the portal for a customer may close it again.
  app.post('/v1/billing_portal/sessions/:id/revoke', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'End a billing portal session at once: its URL opens nothing from now on', response: replies(ref('BillingPortalSession')),
      params: IdParams, body: Type.Optional(Type.Object({}, { additionalProperties: false })),
    },
  }, async (req) => await revokePortalSession(deps, actorOf(req), req.params.id));
}
