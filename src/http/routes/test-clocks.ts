import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import type { Deps } from '../../app/ports.ts';
import { advanceTestClock, createTestClock, getTestClock, listTestClocks } from '../../app/test-clocks/test-clocks.ts';
import { actorOf } from '../auth.ts';
import { IdParams, ListQuery, Timestamp, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function testClockRoutes(app: App, deps: Deps) {
  const tags = ['test_clocks'];
  app.post('/v1/test_clocks', {
    config: { permission: 'write' },
    schema: { tags, summary: 'Create a test clock', response: replies(ref('TestClock')), body: Type.Object({ frozen_time: Timestamp, name: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false }) },
  }, async (req) => await createTestClock(deps, actorOf(req), { frozen_time: new Date(req.body.frozen_time), name: req.body.name ?? null }));

  app.get('/v1/test_clocks', { schema: { tags, summary: 'List test clocks', response: replies(R.ListOf(ref('TestClock'))), querystring: ListQuery() } },
    async (req) => await listTestClocks(deps, actorOf(req).accountId, pageOf(req.query)));
  app.get('/v1/test_clocks/:id', { schema: { tags, summary: 'Retrieve a test clock', response: replies(ref('TestClock')), params: IdParams } },
    async (req) => await getTestClock(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/test_clocks/:id/advance', {
    config: { permission: 'write' },
    schema: { tags, summary: 'Advance a test clock, processing everything due on the way', response: replies(ref('TestClock')), params: IdParams, body: Type.Object({ frozen_time: Timestamp }, { additionalProperties: false }) },
  }, async (req) => await advanceTestClock(deps, actorOf(req), req.params.id, { frozen_time: new Date(req.body.frozen_time) }));
}
