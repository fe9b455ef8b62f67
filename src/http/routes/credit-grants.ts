import { Type } from '@sinclair/typebox';
import { createCreditGrant, getCreditGrant, listCreditGrants, updateCreditGrant, voidCreditGrant } from '../../app/usage/credit-grants.ts';
import { creditBalanceSummary } from '../../app/usage/credits.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, Metadata, pageOf, replies, Timestamp } from '../schemas.ts';
import type { App } from './types.ts';

const ExpiresAt = Type.Union([Timestamp, Type.Null()], { description: 'When the credit stops being usable (exclusive); null: never' });

/** Credit grants and the credit balance summary (issue 18, point 5). */
export function creditGrantRoutes(app: App, deps: Deps) {
  const tags = ['usage'];
  app.post('/v1/billing/credit_grants', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Grant a customer prepaid or promotional credit, consumed by metered lines of their invoices before payment', response: replies(ref('CreditGrant')),
      body: Type.Object({
        customer: Id('cus'),
        amount: Type.Object({
          type: Type.Literal('monetary'),
          monetary: Type.Object({
            value: Type.Integer({ minimum: 1, maximum: 1e15, description: 'Minor units of the currency, 1 to 10^15' }),
            currency: Type.String({ minLength: 3, maxLength: 3, description: 'ISO 4217; the customer\'s own currency once they have one' }),
          }, { additionalProperties: false }),
        }, { additionalProperties: false }),
        applicability_config: Type.Object({
          scope: Type.Object({ price_type: Type.Literal('metered') }, { additionalProperties: false }),
        }, { additionalProperties: false, description: 'What the credit pays for; metered prices are the only scope' }),
        category: Type.Union(R.CREDIT_GRANT_CATEGORIES.map((c) => Type.Literal(c)), { description: 'paid (the customer bought it) or promotional (given away)' }),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        effective_at: Type.Optional({ ...Timestamp, description: 'When the credit becomes usable; default now (the customer\'s business time)' }),
        expires_at: Type.Optional(ExpiresAt),
        priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'Lower is consumed first (default 50); then the soonest to expire, then the oldest' })),
        metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createCreditGrant(deps, actorOf(req), req.body));

  app.get('/v1/billing/credit_grants', {
    schema: {
      tags, summary: 'List credit grants, newest first', response: replies(R.ListOf(ref('CreditGrant'))),
      querystring: ListQuery({ customer: Type.Optional(Type.String({ maxLength: 64 })) }),
    },
  }, async (req) => await listCreditGrants(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer }));

  app.get('/v1/billing/credit_grants/:id', { schema: { tags, summary: 'Retrieve a credit grant', response: replies(ref('CreditGrant')), params: IdParams } },
    async (req) => await getCreditGrant(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/billing/credit_grants/:id', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Change a credit grant\'s expiry or metadata', response: replies(ref('CreditGrant')), params: IdParams,
      body: Type.Object({
        expires_at: Type.Optional(ExpiresAt),
        metadata: Type.Optional({ ...Metadata, description: 'Merged into the metadata; an empty value removes the key' }),
      }, { additionalProperties: false }),
    },
  }, async (req) => await updateCreditGrant(deps, actorOf(req), req.params.id, req.body ?? {}));

  app.post('/v1/billing/credit_grants/:id/void', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Void a credit grant: what is left of it can no longer be used', response: replies(ref('CreditGrant')), params: IdParams,
      body: Type.Optional(Type.Object({}, { additionalProperties: false })),
    },
  }, async (req) => await voidCreditGrant(deps, actorOf(req), req.params.id));

  app.get('/v1/billing/credit_balance_summary', {
    schema: {
      tags, summary: 'A customer\'s credit per currency: available now, and in the ledger', response: replies(ref('CreditBalanceSummary')),
      querystring: Type.Object({
        customer: Type.String({ maxLength: 64 }),
        'filter[type]': Type.Optional(Type.Union([Type.Literal('applicability_scope'), Type.Literal('credit_grant')], { description: 'applicability_scope (the default): all grants of that scope; credit_grant: one grant' })),
        'filter[applicability_scope][price_type]': Type.Optional(Type.Literal('metered')),
        'filter[credit_grant]': Type.Optional(Type.String({ maxLength: 64, description: 'With filter[type]=credit_grant: that grant only' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await creditBalanceSummary(deps, actorOf(req).accountId, req.query));
}
