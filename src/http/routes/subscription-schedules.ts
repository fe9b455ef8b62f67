import { Type } from '@sinclair/typebox';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import {
  cancelSchedule, createSchedule, getSchedule, listSchedules, releaseSchedule, updateSchedule,
} from '../../app/subscriptions/schedules.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, Metadata, Timestamp, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Phase = Type.Object({
  items: Type.Array(Type.Object({
    price: Id('price'), quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  }, { additionalProperties: false }), { minItems: 1, maxItems: 20 }),
  iterations: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'The phase lasts this many billing periods of its prices, from its start' })),
  end_date: Type.Optional(Type.Union([Timestamp], { description: 'The phase ends here; give this or iterations (the last phase defaults to 1 iteration)' })),
  trial_end: Type.Optional(Type.Union([Timestamp], { description: 'A trial until then: the first phase starts one; a later phase can extend one running until it starts' })),
  proration_behavior: Type.Optional(Type.Union(R.ProrationBehavior.anyOf, { description: 'How the change at the phase\'s start is prorated (at a period boundary nothing is)' })),
  billing_cycle_anchor: Type.Optional(Type.Union(R.PhaseBillingCycleAnchor.anyOf, { description: 'phase_start: a new billing period starts with the phase and is invoiced then' })),
}, { additionalProperties: false });
const Phases = Type.Array(Phase, { minItems: 1, maxItems: 10 });
const EndBehavior = Type.Union(R.ScheduleEndBehavior.anyOf, { description: 'After the last phase, release (default): the subscription goes on alone; cancel: it ends' });

export function subscriptionScheduleRoutes(app: App, deps: Deps) {
  const tags = ['subscription_schedules'];
  app.post('/v1/subscription_schedules', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Schedule a subscription\'s phases, or adopt an existing subscription (from_subscription)', response: replies(ref('SubscriptionSchedule')),
      body: Type.Object({
        customer: Type.Optional(Id('cus')),
        from_subscription: Type.Optional(Id('sub')),
        start_date: Type.Optional(Type.Union([Type.Literal('now'), Timestamp], { description: 'now, or a later time: the subscription is created then' })),
        end_behavior: Type.Optional(EndBehavior),
        phases: Type.Optional(Phases),
        metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createSchedule(deps, actorOf(req), req.body));

  app.get('/v1/subscription_schedules', {
    schema: {
      tags, summary: 'List subscription schedules, newest first', response: replies(R.ListOf(ref('SubscriptionSchedule'))),
      querystring: ListQuery({ customer: Type.Optional(Type.String({ maxLength: 64 })), subscription: Type.Optional(Type.String({ maxLength: 64 })) }),
    },
  }, async (req) => await listSchedules(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer, subscription: req.query.subscription }));

  app.get('/v1/subscription_schedules/:id', { schema: { tags, summary: 'Retrieve a subscription schedule', params: IdParams, response: replies(ref('SubscriptionSchedule')) } },
    async (req) => await getSchedule(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/subscription_schedules/:id', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Change the phases to come (the current one first), the end behavior or metadata', params: IdParams, response: replies(ref('SubscriptionSchedule')),
      body: Type.Object({
        phases: Type.Optional(Phases),
        end_behavior: Type.Optional(EndBehavior),
        proration_behavior: Type.Optional(Type.Union(R.ProrationBehavior.anyOf, { description: 'How a change to the current phase\'s items is prorated now' })),
        metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await updateSchedule(deps, actorOf(req), req.params.id, req.body));

  const endings = [
    ['cancel', 'Cancel the schedule and its subscription now', cancelSchedule],
    ['release', 'End the schedule now; its subscription goes on, on the items it has', releaseSchedule],
  ] as const;
  for (const [action, summary, run] of endings) {
    app.post(`/v1/subscription_schedules/:id/${action}`, {
      config: { permission: 'write' },
      schema: { tags, summary, params: IdParams, response: replies(ref('SubscriptionSchedule')), body: Type.Optional(Type.Object({}, { additionalProperties: false })) },
    }, async (req) => await run(deps, actorOf(req), req.params.id));
  }
}
