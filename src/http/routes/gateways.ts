import { Type } from '@sinclair/typebox';
import { createGateway, getGateway, listGateways, updateGateway } from '../../app/gateways/gateways.ts';
import { getGatewayHealth } from '../../app/gateways/health.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { GATEWAY_TYPES } from '../../domain/gateway-types.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Name = Type.String({ minLength: 1, maxLength: 100 });
const ApiBase = Type.String({ minLength: 1, maxLength: 2048, description: "The processor's base URL (regional endpoint, proxy, local test server); default its public one" });
// Each type's fields are checked by the service (src/domain/gateway-types.ts); here only their form.
const Credentials = Type.Record(Type.String({ maxLength: 64 }), Type.String({ minLength: 1, maxLength: 512 }), {
  description: 'Stripe {secret_key, webhook_secret}; Razorpay {key_id, key_secret, webhook_secret}; custom_http {api_key, signing_secret}. Stored sealed, never returned',
});

/** Payment gateways as account configuration: where the account's payment methods are charged. */
export function gatewayRoutes(app: App, deps: Deps) {
  const tags = ['gateways'];
  app.post('/v1/gateways', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Configure a payment gateway (its credentials are stored sealed and never shown again)', response: replies(ref('Gateway')),
      body: Type.Object({
        type: Type.Union(GATEWAY_TYPES.map((t) => Type.Literal(t))), name: Name, api_base: Type.Optional(ApiBase),
        credentials: Type.Optional(Credentials), active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createGateway(deps, actorOf(req), req.body));

  app.get('/v1/gateways', { schema: { tags, summary: "List the account's gateways", response: replies(R.ListOf(ref('Gateway'))), querystring: ListQuery() } },
    async (req) => await listGateways(deps, actorOf(req).accountId, pageOf(req.query)));

  app.get('/v1/gateways/:id', { schema: { tags, summary: 'Retrieve a gateway', response: replies(ref('Gateway')), params: IdParams } },
    async (req) => await getGateway(deps, actorOf(req).accountId, req.params.id));

  app.get('/v1/gateways/:id/health', {
    schema: { tags, summary: "A gateway's last hour (sandbox too): charges, declines, gateway errors, latency, and whether routing skips it", response: replies(ref('GatewayHealth')), params: IdParams },
  }, async (req) => await getGatewayHealth(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/gateways/:id', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Change a gateway: name, api_base, credentials (those given replace the stored ones), active', response: replies(ref('Gateway')), params: IdParams,
      body: Type.Object({
        name: Type.Optional(Name), api_base: Type.Optional(Type.Union([ApiBase, Type.Null()])), credentials: Type.Optional(Credentials),
        active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await updateGateway(deps, actorOf(req), req.params.id, req.body));
}
