import { Type } from '@sinclair/typebox';
import { getCohortReport } from '../../app/analytics/cohorts.ts';
import { getLtvReport } from '../../app/analytics/ltv.ts';
import { getMrrReport } from '../../app/analytics/mrr.ts';
import { getSubscribersReport } from '../../app/analytics/subscribers.ts';
import { getRecoveryReport } from '../../app/analytics/recovery.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { replies } from '../schemas.ts';
import type { App } from './types.ts';

// A range bound: RFC 3339 or whole unix seconds, told apart and checked by the service (param `from`/`to`).
const Bound = (what: string) => Type.Optional(Type.String({ maxLength: 40, description: `${what}: RFC 3339 time or unix seconds` }));
const Interval = Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { description: 'Length of each period; default month' }));
const OneCurrency = Type.Optional(Type.String({ pattern: '^[a-zA-Z]{3}$', description: 'The report\'s currency; required when the book has subscriptions in several' }));

/** Figures for finance: read access is enough. */
export function analyticsRoutes(app: App, deps: Deps) {
  app.get('/v1/analytics/recovery', {
    schema: {
      tags: ['analytics'], summary: 'Failed-payment recovery per currency, for dunning cases opened in a range of business time',
      response: replies(ref('RecoveryReport')),
      querystring: Type.Object({
        from: Bound('Start, inclusive; default 30 days before `to`'), to: Bound('End, exclusive; default now'),
        currency: Type.Optional(Type.String({ pattern: '^[a-zA-Z]{3}$', description: 'Only this currency' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await getRecoveryReport(deps, actorOf(req).accountId, req.query));

  app.get('/v1/analytics/mrr', {
    schema: {
      tags: ['analytics'], summary: 'MRR and ARR over business time, per period, with the movements that explain each change and metered revenue beside them',
      response: replies(ref('MrrReport')),
      querystring: Type.Object({
        from: Bound('Start; default the first of the month 12 months before `to`'), to: Bound('End, exclusive; default now'),
        interval: Interval,
        currency: Type.Optional(Type.String({ pattern: '^[a-zA-Z]{3}$', description: 'Reporting currency: every figure converted into it with the uploaded exchange rates; default one series per currency' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await getMrrReport(deps, actorOf(req).accountId, req.query));

  app.get('/v1/analytics/subscribers', {
    schema: {
      tags: ['analytics'], summary: 'Subscriptions by status, new and canceled ones, logo and revenue churn, and trial conversion, per period of business time',
      response: replies(ref('SubscribersReport')),
      querystring: Type.Object({
        from: Bound('Start; default the first of the month 12 months before `to`'), to: Bound('End, exclusive; default now'), interval: Interval,
      }, { additionalProperties: false }),
    },
  }, async (req) => await getSubscribersReport(deps, actorOf(req).accountId, req.query));

  app.get('/v1/analytics/cohorts', {
    schema: {
      tags: ['analytics'], summary: 'Customers by the month they first paid, and the customers and MRR each cohort keeps month after month',
      response: replies(ref('CohortReport')),
      querystring: Type.Object({
        from: Bound('Earliest first payment; default the first of the month 12 months before `to`'), to: Bound('End, exclusive; default now'), currency: OneCurrency,
      }, { additionalProperties: false }),
    },
  }, async (req) => await getCohortReport(deps, actorOf(req).accountId, req.query));

  app.get('/v1/analytics/ltv', {
    schema: {
      tags: ['analytics'], summary: 'ARPU, monthly churn and lifetime value per plan, now',
      response: replies(ref('LtvReport')),
      querystring: Type.Object({
        currency: OneCurrency,
        months: Type.Optional(Type.String({ pattern: '^(120|1[01][0-9]|[1-9][0-9]?)$', description: 'Months of history the churn rate is measured over, 1–120 (default 12)' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await getLtvReport(deps, actorOf(req).accountId, { currency: req.query.currency, months: req.query.months === undefined ? undefined : Number(req.query.months) }));
}
