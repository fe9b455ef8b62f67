import { Type } from '@sinclair/typebox';
import { getRefund, listRefunds } from '../../app/payments/refunds.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function refundRoutes(app: App, deps: Deps) {
  const tags = ['refunds'];
  app.get('/v1/refunds', {
    schema: {
      tags, summary: 'List refunds made through the gateway, newest first', response: replies(R.ListOf(ref('Refund'))),
      querystring: ListQuery({ invoice: Type.Optional(Type.String({ maxLength: 64 })), credit_note: Type.Optional(Type.String({ maxLength: 64 })) }),
    },
  }, async (req) => await listRefunds(deps, actorOf(req).accountId, { ...pageOf(req.query), invoice: req.query.invoice, credit_note: req.query.credit_note }));

  app.get('/v1/refunds/:id', { schema: { tags, summary: 'Retrieve a refund', params: IdParams, response: replies(ref('Refund')) } },
    async (req) => await getRefund(deps, actorOf(req).accountId, req.params.id));
}
