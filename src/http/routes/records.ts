import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import type { Deps } from '../../app/ports.ts';
import { getEvent, listAudit, listEvents } from '../../app/records/records.ts';
import { actorOf } from '../auth.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function recordRoutes(app: App, deps: Deps) {
  app.get('/v1/events', {
    schema: { tags: ['events'], summary: 'List events (the outbox), newest first; or the commit-ordered stream after a sequence', response: replies(R.ListOf(ref('Event'))), querystring: ListQuery({
      type: Type.Optional(Type.String({ maxLength: 100 })), object_id: Type.Optional(Type.String({ maxLength: 64 })),
      after_sequence: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,17})$', description: 'Only sequenced events with a greater sequence, oldest first (0: from the start). Pass the last sequence you saw to follow the stream without missing an event.' })),
    }) },
  }, async (req) => await listEvents(deps, actorOf(req).accountId, {
    ...pageOf(req.query), type: req.query.type, object_id: req.query.object_id,
    after_sequence: req.query.after_sequence === undefined ? undefined : BigInt(req.query.after_sequence),
  }));
  app.get('/v1/events/:id', { schema: { tags: ['events'], summary: 'Retrieve an event', response: replies(ref('Event')), params: IdParams } },
    async (req) => await getEvent(deps, actorOf(req).accountId, req.params.id));

  app.get('/v1/audit_log', {
    schema: { tags: ['audit'], summary: 'The append-only audit trail, newest first', response: replies(R.ListOf(ref('AuditEntry'))), querystring: ListQuery({
      object_id: Type.Optional(Type.String({ maxLength: 64 })),
      request_id: Type.Optional(Type.String({ maxLength: 64, description: 'the Request-Id header of the call that made the changes' })),
    }) },
  }, async (req) => await listAudit(deps, actorOf(req).accountId, { ...pageOf(req.query), object_id: req.query.object_id, request_id: req.query.request_id }));
}
