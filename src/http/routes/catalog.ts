import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import { createPrice, createProduct, getPrice, getProduct, listPrices, listProducts } from '../../app/catalog/catalog.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { Amount, DecimalAmount, Id, IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Tier = Type.Object({
  up_to: Type.Union([Type.Integer({ minimum: 1, maximum: 1e12 }), Type.Literal('inf'), Type.Null()]),
  unit_amount: Type.Optional(Amount), unit_amount_decimal: Type.Optional(DecimalAmount),
  flat_amount: Type.Optional(Amount), flat_amount_decimal: Type.Optional(DecimalAmount),
}, { additionalProperties: false });

export function catalogRoutes(app: App, deps: Deps) {
  app.post('/v1/products', {
    config: { permission: 'catalog' },
    schema: {
      tags: ['products'], summary: 'Create a product', response: replies(ref('Product')),
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 256 }), description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
        active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createProduct(deps, actorOf(req), req.body));

  app.get('/v1/products', { schema: { tags: ['products'], summary: 'List products', response: replies(R.ListOf(ref('Product'))), querystring: ListQuery() } },
    async (req) => await listProducts(deps, actorOf(req).accountId, pageOf(req.query)));
  app.get('/v1/products/:id', { schema: { tags: ['products'], summary: 'Retrieve a product', response: replies(ref('Product')), params: IdParams } },
    async (req) => await getProduct(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/prices', {
    config: { permission: 'catalog' },
    schema: {
      tags: ['prices'], summary: 'Create a price', response: replies(ref('Price')),
      body: Type.Object({
        product: Id('prod'), currency: Type.String({ minLength: 3, maxLength: 3 }),
        unit_amount: Type.Optional(Amount), unit_amount_decimal: Type.Optional(DecimalAmount),
        billing_scheme: Type.Optional(Type.Union([Type.Literal('per_unit'), Type.Literal('tiered'), Type.Literal('percentage')])),
        percentage: Type.Optional(Type.Object({
          rate: Type.Union([Type.String({ maxLength: 12 }), Type.Number()], { description: 'Percent of each event\'s value, e.g. "1.3"' }),
          fixed_amount: Type.Optional(Type.Union([DecimalAmount, Amount, Type.Null()])),
          free_units_per_events: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1e9 }), Type.Null()])),
          free_units_per_total_aggregation: Type.Optional(Type.Union([DecimalAmount, Amount, Type.Null()])),
          per_event_min: Type.Optional(Type.Union([DecimalAmount, Amount, Type.Null()])),
          per_event_max: Type.Optional(Type.Union([DecimalAmount, Amount, Type.Null()])),
        }, { additionalProperties: false, description: 'The percentage model of a metered price (billing_scheme=percentage); amounts in minor units' })),
        tiers_mode: Type.Optional(Type.Union([Type.Literal('graduated'), Type.Literal('volume')])),
        tiers: Type.Optional(Type.Array(Tier, { minItems: 1, maxItems: 50 })),
        transform_quantity: Type.Optional(Type.Object({
          divide_by: Type.Integer({ minimum: 1, maximum: 1e9 }), round: Type.Union([Type.Literal('up'), Type.Literal('down')]),
        }, { additionalProperties: false })),
        recurring: Type.Optional(Type.Object({
          interval: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('year')]),
          interval_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          usage_type: Type.Optional(Type.Union([Type.Literal('licensed'), Type.Literal('metered')])),
          meter: Type.Optional(Id('mtr')),
        }, { additionalProperties: false })),
        nickname: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
        metadata: Type.Optional(Metadata),
        currency_options: Type.Optional(Type.Record(Type.String({ minLength: 3, maxLength: 3 }), Type.Object({
          unit_amount: Type.Optional(Amount), unit_amount_decimal: Type.Optional(DecimalAmount),
          tiers: Type.Optional(Type.Array(Tier, { minItems: 1, maxItems: 50 })),
        }, { additionalProperties: false }), { maxProperties: 50, description: 'The price in further currencies: per currency, its unit amount or tiers' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createPrice(deps, actorOf(req), req.body));

  app.get('/v1/prices', {
    schema: { tags: ['prices'], summary: 'List prices', response: replies(R.ListOf(ref('Price'))), querystring: ListQuery({ product: Type.Optional(Type.String({ maxLength: 64 })) }) },
  }, async (req) => await listPrices(deps, actorOf(req).accountId, { ...pageOf(req.query), product: req.query.product }));
  app.get('/v1/prices/:id', { schema: { tags: ['prices'], summary: 'Retrieve a price', response: replies(ref('Price')), params: IdParams } },
    async (req) => await getPrice(deps, actorOf(req).accountId, req.params.id));
}
