import { Type } from '@sinclair/typebox';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from '../../app/webhooks/endpoints.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { getDelivery, listDeliveries, replay, retryDelivery } from '../../app/webhooks/deliveries.ts';
import { IdParams, ListQuery, Metadata, pageOf, replies, Timestamp } from '../schemas.ts';
import type { App } from './types.ts';

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https; http only to a loopback host with REBILL_WEBHOOKS_ALLOW_HTTP=1' });
const EnabledEvents = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100, description: 'Event types to deliver, or ["*"] for all' });
const Description = Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()]));

export function webhookEndpointRoutes(app: App, deps: Deps) {
  const tags = ['webhook endpoints'];
  app.post('/v1/webhook_endpoints', {
    config: { permission: 'billing', secretInAnswer: true },
    schema: {
      tags, summary: 'Create a webhook endpoint (its signing secret is in this answer only)', response: replies(ref('WebhookEndpoint')),
      body: Type.Object({ url: Url, enabled_events: EnabledEvents, description: Description, disabled: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata) }, { additionalProperties: false }),
    },
  }, async (req) => await createEndpoint(deps, actorOf(req), req.body));

  app.get('/v1/webhook_endpoints', { schema: { tags, summary: 'List webhook endpoints', response: replies(R.ListOf(ref('WebhookEndpoint'))), querystring: ListQuery() } },
    async (req) => await listEndpoints(deps, actorOf(req).accountId, pageOf(req.query)));

  app.get('/v1/webhook_endpoints/:id', { schema: { tags, summary: 'Retrieve a webhook endpoint', response: replies(ref('WebhookEndpoint')), params: IdParams } },
    async (req) => await getEndpoint(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/webhook_endpoints/:id', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Change a webhook endpoint (disabled: false enables it again)', response: replies(ref('WebhookEndpoint')), params: IdParams,
      body: Type.Object({ url: Type.Optional(Url), enabled_events: Type.Optional(EnabledEvents), description: Description, disabled: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata) }, { additionalProperties: false }),
    },
  }, async (req) => await updateEndpoint(deps, actorOf(req), req.params.id, req.body));

  app.delete('/v1/webhook_endpoints/:id', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Delete a webhook endpoint: nothing more is delivered to it', response: replies(R.DeletedObject), params: IdParams },
  }, async (req) => await deleteEndpoint(deps, actorOf(req), req.params.id));

  app.post('/v1/webhook_endpoints/:id/rotate_secret', {
    config: { permission: 'billing', secretInAnswer: true },
    schema: {
      tags, summary: 'Roll the signing secret; the previous one signs too until expires_in seconds have passed', response: replies(ref('WebhookEndpoint')), params: IdParams,
      body: Type.Object({ expires_in: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800, description: 'Seconds the previous secret keeps signing; default 86400' })) }, { additionalProperties: false }),
    },
  }, async (req) => await rotateSecret(deps, actorOf(req), req.params.id, req.body ?? {}));

  app.get('/v1/webhook_endpoints/:id/deliveries', {
    schema: {
      tags, summary: "An endpoint's deliveries, newest first, each with every attempt (status code, duration, error) and the next one due",
      response: replies(R.ListOf(ref('WebhookDelivery'))), params: IdParams,
      querystring: ListQuery({
        status: Type.Optional(Type.Union(R.WEBHOOK_DELIVERY_STATUSES.map((s) => Type.Literal(s)))),
        event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only the delivery of this event' })),
      }),
    },
  }, async (req) => await listDeliveries(deps, actorOf(req).accountId, req.params.id, pageOf(req.query), { status: req.query.status, event: req.query.event }));

  app.post('/v1/webhook_endpoints/:id/replay', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Send matching events to the endpoint again (e.g. after an outage on the receiving side)', response: replies(R.WebhookReplay), params: IdParams,
      body: Type.Object({
        types: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100, description: 'Only events of these types' })),
        created: Type.Optional(Type.Object({ gte: Type.Optional(Timestamp), lte: Type.Optional(Timestamp) }, { additionalProperties: false, description: 'Only events created in this range' })),
        status: Type.Optional(Type.Literal('failed', { description: 'Only events whose delivery to this endpoint was given up' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => {
    const b = req.body ?? {};
    const created = b.created && { gte: b.created.gte ? new Date(b.created.gte) : undefined, lte: b.created.lte ? new Date(b.created.lte) : undefined };
    return await replay(deps, actorOf(req), req.params.id, { types: b.types, created, status: b.status });
  });

  const deliveryTags = ['webhook deliveries'];
  app.get('/v1/webhook_deliveries/:id', { schema: { tags: deliveryTags, summary: 'Retrieve a webhook delivery', response: replies(ref('WebhookDelivery')), params: IdParams } },
    async (req) => await getDelivery(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/webhook_deliveries/:id/retry', {
    config: { permission: 'billing' },
    schema: {
      tags: deliveryTags, summary: 'Send a delivery again now, on a fresh retry schedule', response: replies(ref('WebhookDelivery')), params: IdParams,
      body: Type.Object({}, { additionalProperties: false }),
    },
  }, async (req) => await retryDelivery(deps, actorOf(req), req.params.id));
}
