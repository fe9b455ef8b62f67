import { Type } from '@sinclair/typebox';
import { createRoutingRule, deleteRoutingRule, getRoutingRule, listRoutingRules, updateRoutingRule } from '../../app/gateways/routing-rules.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Amount, IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const Country = Type.String({ minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' });
const fields = {
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Tried from the lowest up; default after the last rule' })),
  currency: Nullable(Type.String({ minLength: 3, maxLength: 3 })),
  amount_gte: Nullable(Amount), amount_lte: Nullable(Amount),
  brand: Nullable(Type.String({ minLength: 1, maxLength: 32 })),
  card_country: Nullable(Country), customer_country: Nullable(Country),
  customer_metadata: Type.Optional(Metadata), active: Type.Optional(Type.Boolean()),
  description: Nullable(Type.String({ minLength: 1, maxLength: 500 })),
};
const Gateway = Type.String({ minLength: 1, maxLength: 64, description: 'A gateway id (gw_…) or sandbox' });

/** Per-account ordered rules that choose which gateway (and so which payment method) a charge goes to. */
export function routingRuleRoutes(app: App, deps: Deps) {
  const tags = ['routing rules'];
  app.post('/v1/routing_rules', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Add a routing rule', response: replies(ref('RoutingRule')), body: Type.Object({ gateway: Gateway, ...fields }, { additionalProperties: false }) },
  }, async (req) => await createRoutingRule(deps, actorOf(req), req.body));

  app.get('/v1/routing_rules', { schema: { tags, summary: 'List routing rules', response: replies(R.ListOf(ref('RoutingRule'))), querystring: ListQuery() } },
    async (req) => await listRoutingRules(deps, actorOf(req).accountId, pageOf(req.query)));

  app.get('/v1/routing_rules/:id', { schema: { tags, summary: 'Retrieve a routing rule', response: replies(ref('RoutingRule')), params: IdParams } },
    async (req) => await getRoutingRule(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/routing_rules/:id', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Change a routing rule', response: replies(ref('RoutingRule')), params: IdParams, body: Type.Object({ gateway: Type.Optional(Gateway), ...fields }, { additionalProperties: false }) },
  }, async (req) => await updateRoutingRule(deps, actorOf(req), req.params.id, req.body));

  app.delete('/v1/routing_rules/:id', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Delete a routing rule', response: replies(R.DeletedObject), params: IdParams },
  }, async (req) => await deleteRoutingRule(deps, actorOf(req), req.params.id));
}
