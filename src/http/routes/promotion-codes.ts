import { Type } from '@sinclair/typebox';
import { createPromotionCode, getPromotionCode, listPromotionCodes, updatePromotionCode } from '../../app/catalog/promotion-codes.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, Metadata, Timestamp, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);

export function promotionCodeRoutes(app: App, deps: Deps) {
  const tags = ['promotion codes'];
  app.post('/v1/promotion_codes', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Create a promotion code: a code customers type to redeem a coupon, with limits of its own', response: replies(ref('PromotionCode')),
      body: Type.Object({
        coupon: Id('co'),
        code: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Letters, digits, - and _; unique per account, case-insensitively. Omitted: a readable one is made up' })),
        active: Type.Optional(Type.Boolean()),
        max_redemptions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e9 })),
        expires_at: Type.Optional(Timestamp),
        customer: Type.Optional(Id('cus')),
        restrictions: Type.Optional(Type.Object({
          first_time_transaction: Type.Optional(Type.Boolean({ description: 'Only customers without a finalized invoice of a non-zero total' })),
          minimum_amount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e12, description: 'The first invoice\'s subtotal must reach it (minor units)' })),
          minimum_amount_currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3 })),
        }, { additionalProperties: false })),
        metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createPromotionCode(deps, actorOf(req), req.body));

  app.get('/v1/promotion_codes', {
    schema: {
      tags, summary: 'List promotion codes', response: replies(R.ListOf(ref('PromotionCode'))),
      querystring: ListQuery({
        code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Case-insensitive' })), coupon: Type.Optional(Id('co')),
        active: Type.Optional(Bool), customer: Type.Optional(Id('cus')),
      }),
    },
  }, async (req) => {
    const { code, coupon, customer, active } = req.query;
    return await listPromotionCodes(deps, actorOf(req).accountId, { ...pageOf(req.query), code, coupon, customer, active: active === undefined ? undefined : active === 'true' });
  });

  app.get('/v1/promotion_codes/:id', { schema: { tags, summary: 'Retrieve a promotion code', response: replies(ref('PromotionCode')), params: IdParams } },
    async (req) => await getPromotionCode(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/promotion_codes/:id', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Deactivate or reactivate a promotion code, or change its metadata', response: replies(ref('PromotionCode')), params: IdParams,
      body: Type.Object({ active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata) }, { additionalProperties: false }),
    },
  }, async (req) => await updatePromotionCode(deps, actorOf(req), req.params.id, req.body));
}
