import { Type } from '@sinclair/typebox';
import { getDispute, listDisputes } from '../../app/gateway-events/disputes.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { DISPUTE_STATUSES } from '../../domain/dispute-status.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function disputeRoutes(app: App, deps: Deps) {
  const tags = ['disputes'];
  app.get('/v1/disputes', {
    schema: {
      tags, summary: 'List disputes (chargebacks) reported by gateway webhooks, newest first', response: replies(R.ListOf(ref('Dispute'))),
      querystring: ListQuery({
        customer: Type.Optional(Type.String({ maxLength: 64 })), invoice: Type.Optional(Type.String({ maxLength: 64 })),
        status: Type.Optional(Type.Union(DISPUTE_STATUSES.map((s) => Type.Literal(s)))),
      }),
    },
  }, async (req) => await listDisputes(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer, invoice: req.query.invoice, status: req.query.status }));

  app.get('/v1/disputes/:id', { schema: { tags, summary: 'Retrieve a dispute', params: IdParams, response: replies(ref('Dispute')) } },
    async (req) => await getDispute(deps, actorOf(req).accountId, req.params.id));
}
