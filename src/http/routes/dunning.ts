import { Type } from '@sinclair/typebox';
import { createDunningPolicy, getDunningCase, getDunningPolicy, listDunningCases, listDunningPolicies, updateDunningPolicy } from '../../app/dunning/policies.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { CATEGORY_ACTIONS, END_ACTIONS, RETRY_STRATEGIES } from '../../domain/dunning/policy.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Action = Type.Union(CATEGORY_ACTIONS.map((a) => Type.Literal(a)));
// Whole numbers only; the ranges and the schedule's order are checked by the domain, which names the field.
const fields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  is_default: Type.Optional(Type.Boolean({ description: "Make it the account's default (the former default stops being one)" })),
  retry_schedule_days: Type.Optional(Type.Array(Type.Integer(), { minItems: 1, maxItems: 15, description: 'Days after the first failure, strictly increasing, 1 to 60' })),
  preferred_hour: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: "0-23 in the customer's time zone; null: the failure's time of day" })),
  max_retries: Type.Optional(Type.Integer({ description: '0 to 15; default: as many as the schedule has days' })),
  category_actions: Type.Optional(Type.Object({ soft: Type.Optional(Action), hard: Type.Optional(Action), fraud: Type.Optional(Action), config: Type.Optional(Action) }, { additionalProperties: false })),
  grace_period_days: Type.Optional(Type.Integer({ description: '0 to 90' })),
  end_action: Type.Optional(Type.Union(END_ACTIONS.map((a) => Type.Literal(a)))),
  mark_uncollectible: Type.Optional(Type.Boolean()),
  retry_strategy: Type.Optional(Type.Union(RETRY_STRATEGIES.map((a) => Type.Literal(a)), { description: 'fixed_schedule (default) or payday_aware' })),
  metadata: Type.Optional(Metadata),
};

/** Dunning policies (how failed renewals are retried) and the cases they drive. */
export function dunningRoutes(app: App, deps: Deps) {
  const tags = ['dunning'];
  app.post('/v1/dunning_policies', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Create a dunning policy', response: replies(ref('DunningPolicy')), body: Type.Object({ ...fields, name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }) },
  }, async (req) => await createDunningPolicy(deps, actorOf(req), req.body));

  app.get('/v1/dunning_policies', { schema: { tags, summary: 'List dunning policies', response: replies(R.ListOf(ref('DunningPolicy'))), querystring: ListQuery() } },
    async (req) => await listDunningPolicies(deps, actorOf(req).accountId, pageOf(req.query)));

  app.get('/v1/dunning_policies/:id', { schema: { tags, summary: 'Retrieve a dunning policy', response: replies(ref('DunningPolicy')), params: IdParams } },
    async (req) => await getDunningPolicy(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/dunning_policies/:id', {
    config: { permission: 'billing' },
    schema: { tags, summary: 'Change a dunning policy (running cases keep the rules they opened with)', response: replies(ref('DunningPolicy')), params: IdParams, body: Type.Object(fields, { additionalProperties: false }) },
  }, async (req) => await updateDunningPolicy(deps, actorOf(req), req.params.id, req.body));

  app.get('/v1/dunning_cases', {
    schema: {
      tags, summary: 'List dunning cases, newest first', response: replies(R.ListOf(ref('DunningCase'))),
      querystring: ListQuery({
        customer: Type.Optional(Type.String({ maxLength: 64 })), invoice: Type.Optional(Type.String({ maxLength: 64 })),
        status: Type.Optional(Type.Union(R.DUNNING_CASE_STATUSES.map((s) => Type.Literal(s)))),
      }),
    },
  }, async (req) => await listDunningCases(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer, invoice: req.query.invoice, status: req.query.status }));

  app.get('/v1/dunning_cases/:id', { schema: { tags, summary: 'Retrieve a dunning case', response: replies(ref('DunningCase')), params: IdParams } },
    async (req) => await getDunningCase(deps, actorOf(req).accountId, req.params.id));
}
