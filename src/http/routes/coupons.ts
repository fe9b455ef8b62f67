import { Type } from '@sinclair/typebox';
import { createCoupon, getCoupon, listCoupons } from '../../app/catalog/coupons.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, Metadata, Timestamp, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function couponRoutes(app: App, deps: Deps) {
  const tags = ['coupons'];
  app.post('/v1/coupons', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Create a coupon: a percentage or a fixed amount off, once, for some months, or forever', response: replies(ref('Coupon')),
      body: Type.Object({
        name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
        percent_off: Type.Optional(Type.Union([Type.String({ maxLength: 8 }), Type.Number()], { description: 'Up to 2 decimals, more than 0, at most 100' })),
        amount_off: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e12, description: 'Minor units of currency' })),
        currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3 })),
        duration: Type.Union([Type.Literal('once'), Type.Literal('repeating'), Type.Literal('forever')]),
        duration_in_months: Type.Optional(Type.Integer({ minimum: 1, maximum: 120 })),
        max_redemptions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e9 })),
        redeem_by: Type.Optional(Timestamp),
        applies_to: Type.Optional(Type.Object({ products: Type.Array(Id('prod'), { minItems: 1, maxItems: 50 }) }, { additionalProperties: false })),
        metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createCoupon(deps, actorOf(req), req.body));

  app.get('/v1/coupons', { schema: { tags, summary: 'List coupons', response: replies(R.ListOf(ref('Coupon'))), querystring: ListQuery() } },
    async (req) => await listCoupons(deps, actorOf(req).accountId, pageOf(req.query)));
  app.get('/v1/coupons/:id', { schema: { tags, summary: 'Retrieve a coupon', response: replies(ref('Coupon')), params: IdParams } },
    async (req) => await getCoupon(deps, actorOf(req).accountId, req.params.id));
}
