import { Type } from '@sinclair/typebox';
import { createAlert, getAlert, listAlerts, setAlertStatus, type AlertStatus } from '../../app/usage/alerts.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Gte = Type.Union([Type.Number(), Type.String({ maxLength: 40 })], { description: 'The threshold, greater than 0: a number or a decimal string (at most 20 digits before the point and 12 after)' });

/** Usage threshold alerts (issue 18, point 6): Stripe's billing alerts, on one customer's usage of one meter. */
export function alertRoutes(app: App, deps: Deps) {
  const tags = ['usage'];
  app.post('/v1/billing/alerts', {
    config: { permission: 'write' },
    schema: {
      tags, summary: "Create a usage alert: billing.alert.triggered when a customer's usage of a meter in the current period reaches a threshold",
      response: replies(ref('BillingAlert')),
      body: Type.Object({
        alert_type: Type.Literal('usage_threshold'),
        title: Type.String({ minLength: 1, maxLength: 256 }),
        usage_threshold: Type.Object({
          gte: Gte, meter: Id('mtr'),
          filters: Type.Array(Type.Object({ type: Type.Literal('customer'), customer: Id('cus') }, { additionalProperties: false }),
            { minItems: 1, maxItems: 1, description: 'The customer whose usage is watched: exactly one filter of type customer' }),
          recurrence: Type.Optional(Type.Union([Type.Literal('one_time'), Type.Literal('per_period')], { description: 'per_period (default): once in each billing period; one_time: once ever' })),
        }, { additionalProperties: false }),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createAlert(deps, actorOf(req), req.body));

  app.get('/v1/billing/alerts', {
    schema: {
      tags, summary: 'List alerts, newest first; archived ones are left out', response: replies(R.ListOf(ref('BillingAlert'))),
      querystring: ListQuery({ meter: Type.Optional(Type.String({ maxLength: 64 })), customer: Type.Optional(Type.String({ maxLength: 64 })) }),
    },
  }, async (req) => await listAlerts(deps, actorOf(req).accountId, { ...pageOf(req.query), meter: req.query.meter, customer: req.query.customer }));

  app.get('/v1/billing/alerts/:id', { schema: { tags, summary: 'Retrieve an alert', response: replies(ref('BillingAlert')), params: IdParams } },
    async (req) => await getAlert(deps, actorOf(req).accountId, req.params.id));

  const actions: [string, AlertStatus, string][] = [
    ['activate', 'active', 'Activate an alert: it may fire again'],
    ['deactivate', 'inactive', 'Deactivate an alert: it does not fire until activated'],
    ['archive', 'archived', 'Archive an alert, for good: it never fires again and leaves the list'],
  ];
  for (const [action, status, summary] of actions) {
    app.post(`/v1/billing/alerts/:id/${action}`, {
      config: { permission: 'write' },
      schema: { tags, summary, response: replies(ref('BillingAlert')), params: IdParams, body: Type.Optional(Type.Object({}, { additionalProperties: false })) },
    }, async (req) => await setAlertStatus(deps, actorOf(req), req.params.id, status));
  }
}
