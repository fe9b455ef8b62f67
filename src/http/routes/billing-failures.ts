import { Type } from '@sinclair/typebox';
import { getBillingFailure, listBillingFailures, retryBillingFailure } from '../../app/billing/failures.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

/** Subscriptions whose billing kept failing for an unexpected reason, parked until retried. */
export function billingFailureRoutes(app: App, deps: Deps) {
  const tags = ['billing_failures'];
  app.get('/v1/billing_failures', {
    schema: {
      tags, summary: 'List subscriptions parked after billing them kept failing, newest first', response: replies(R.ListOf(ref('BillingFailure'))),
      querystring: ListQuery({
        status: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('retried')])),
        subscription: Type.Optional(Type.String({ maxLength: 64 })),
      }),
    },
  }, async (req) => await listBillingFailures(deps, actorOf(req).accountId, { ...pageOf(req.query), status: req.query.status, subscription: req.query.subscription }));

  app.get('/v1/billing_failures/:id', { schema: { tags, summary: 'Retrieve a billing failure', params: IdParams, response: replies(ref('BillingFailure')) } },
    async (req) => await getBillingFailure(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/billing_failures/:id/retry', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Send a parked subscription back to billing, due when it was due', params: IdParams,
      body: Type.Object({}, { additionalProperties: false }), response: replies(ref('BillingFailure')),
    },
  }, async (req) => await retryBillingFailure(deps, actorOf(req), req.params.id));
}
