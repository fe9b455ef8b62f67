import { Type } from '@sinclair/typebox';
import { getPayment, listPayments } from '../../app/payments/payments.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function paymentRoutes(app: App, deps: Deps) {
  const tags = ['payments'];
  app.get('/v1/payments', {
    schema: {
      tags, summary: 'List payment attempts, newest first', response: replies(R.ListOf(ref('Payment'))),
      querystring: ListQuery({
        invoice: Type.Optional(Type.String({ maxLength: 64 })), customer: Type.Optional(Type.String({ maxLength: 64 })),
        status: Type.Optional(R.PaymentStatus),
      }),
    },
  }, async (req) => await listPayments(deps, actorOf(req).accountId, { ...pageOf(req.query), invoice: req.query.invoice, customer: req.query.customer, status: req.query.status }));

  app.get('/v1/payments/:id', { schema: { tags, summary: 'Retrieve a payment attempt', params: IdParams, response: replies(ref('Payment')) } },
    async (req) => await getPayment(deps, actorOf(req).accountId, req.params.id));
}
