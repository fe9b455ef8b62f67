import { Type } from '@sinclair/typebox';
import { getJob, listJobs, retryJob } from '../../app/jobs/jobs.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

/** The account's background jobs (e.g. webhook deliveries): what is queued, what failed for good, and retrying it. */
export function jobRoutes(app: App, deps: Deps) {
  const tags = ['jobs'];
  app.get('/v1/jobs', {
    schema: {
      tags, summary: 'List the account\'s background jobs, newest first', response: replies(R.ListOf(ref('Job'))),
      querystring: ListQuery({
        status: Type.Optional(Type.Union(R.JOB_STATUSES.map((s) => Type.Literal(s)))),
        kind: Type.Optional(Type.String({ maxLength: 100 })),
      }),
    },
  }, async (req) => await listJobs(deps, actorOf(req).accountId, { ...pageOf(req.query), status: req.query.status, kind: req.query.kind }));

  app.get('/v1/jobs/:id', { schema: { tags, summary: 'Retrieve a job', params: IdParams, response: replies(ref('Job')) } },
    async (req) => await getJob(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/jobs/:id/retry', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Send a failed job back to the queue, due now with a fresh count of attempts', params: IdParams,
      body: Type.Object({}, { additionalProperties: false }), response: replies(ref('Job')),
    },
  }, async (req) => await retryJob(deps, actorOf(req), req.params.id));
}
