import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import type { Deps } from '../../app/ports.ts';
import { cancelSubscription, createSubscription, getSubscription, listSubscriptions } from '../../app/subscriptions/subscriptions.ts';
import { updateSubscription } from '../../app/subscriptions/update.ts';
import { resumeSubscription } from '../../app/subscriptions/resume.ts';
import { SUBSCRIPTION_STATUSES } from '../../domain/subscription-status.ts';
import { actorOf } from '../auth.ts';
import { AutomaticTax, BillingThresholds, ItemTaxRates, MinimumAmount } from '../schemas.ts';
import { Id, IdParams, ListQuery, Metadata, DefaultTaxRates, Discounts, SubscriptionChangeBody, Timestamp, TrialSettings, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function subscriptionRoutes(app: App, deps: Deps) {
  const tags = ['subscriptions'];
  app.post('/v1/subscriptions', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Subscribe a customer', response: replies(ref('Subscription')),
      body: Type.Object({
        customer: Id('cus'),
        items: Type.Array(Type.Object({
          price: Id('price'), quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })), tax_rates: Type.Optional(ItemTaxRates),
        }, { additionalProperties: false }), { minItems: 1, maxItems: 20 }),
        trial_period_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 730 })),
        trial_end: Type.Optional(Timestamp),
        billing_cycle_anchor: Type.Optional(Timestamp),
        default_payment_method: Type.Optional(Id('pm')),
        dunning_policy: Type.Optional(Id('dpol')),
        metadata: Type.Optional(Metadata),
        trial_settings: Type.Optional(TrialSettings),
        default_tax_rates: Type.Optional(DefaultTaxRates),
        automatic_tax: Type.Optional(AutomaticTax),
        discounts: Type.Optional(Discounts),
        minimum_amount: Type.Optional(MinimumAmount),
        billing_thresholds: Type.Optional(BillingThresholds),
        currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3, description: 'Bill in this currency (one every price offers); default: the customer\'s, else the first price\'s' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createSubscription(deps, actorOf(req), req.body));

  app.get('/v1/subscriptions', {
    schema: {
      tags, summary: 'List subscriptions', response: replies(R.ListOf(ref('Subscription'))),
      querystring: ListQuery({ customer: Type.Optional(Type.String({ maxLength: 64 })), status: Type.Optional(Type.Union(SUBSCRIPTION_STATUSES.map((s) => Type.Literal(s)))) }),
    },
  }, async (req) => await listSubscriptions(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer, status: req.query.status }));

  app.get('/v1/subscriptions/:id', { schema: { tags, summary: 'Retrieve a subscription', response: replies(ref('Subscription')), params: IdParams } },
    async (req) => await getSubscription(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/subscriptions/:id', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Change a subscription: items with proration, billing cycle, trial, cancellation at period end, pause, metadata',
      response: replies(ref('Subscription')), params: IdParams, body: SubscriptionChangeBody,
    },
  }, async (req) => await updateSubscription(deps, actorOf(req), req.params.id, req.body));

  app.post('/v1/subscriptions/:id/resume', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Resume a paused subscription', response: replies(ref('Subscription')), params: IdParams,
      body: Type.Optional(Type.Object({
        billing_cycle_anchor: Type.Optional(Type.Union([Type.Literal('now'), Type.Literal('unchanged')], { description: 'now (default): a new period starts now and is invoiced; unchanged: the old cycle continues' })),
        proration_behavior: Type.Optional(Type.Union([Type.Literal('create_prorations'), Type.Literal('always_invoice'), Type.Literal('none')], { description: 'With unchanged: none skips invoicing the rest of the current period' })),
      }, { additionalProperties: false })),
    },
  }, async (req) => await resumeSubscription(deps, actorOf(req), req.params.id, req.body ?? {}));

  app.post('/v1/subscriptions/:id/cancel', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Cancel now, or at the end of the current period', response: replies(ref('Subscription')), params: IdParams,
      body: Type.Optional(Type.Object({ at_period_end: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    },
  }, async (req) => await cancelSubscription(deps, actorOf(req), req.params.id, req.body ?? {}));
}
