import { Type } from '@sinclair/typebox';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, rotateSecret, updateEndpoint } from '../../app/webhooks/endpoints.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
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
}
