import { Type } from '@sinclair/typebox';
import { getMrrReport } from '../../app/analytics/mrr.ts';
import { getRecoveryReport } from '../../app/analytics/recovery.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { replies } from '../schemas.ts';
import type { App } from './types.ts';

// A range bound: RFC 3339 or whole unix seconds, told apart and checked by the service (param `from`/`to`).
const Bound = (what: string) => Type.Optional(Type.String({ maxLength: 40, description: `${what}: RFC 3339 time or unix seconds` }));

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
        interval: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { description: 'Length of each period; default month' })),
        currency: Type.Optional(Type.String({ pattern: '^[a-zA-Z]{3}$', description: 'Reporting currency: every figure converted into it with the uploaded exchange rates; default one series per currency' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await getMrrReport(deps, actorOf(req).accountId, req.query));
}
