import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import type { Deps } from '../../app/ports.ts';
import { listAudit, listEvents } from '../../app/records/records.ts';
import { actorOf } from '../auth.ts';
import { ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function recordRoutes(app: App, deps: Deps) {
  app.get('/v1/events', {
    schema: { tags: ['events'], summary: 'List events (the outbox), newest first', response: replies(R.ListOf(ref('Event'))), querystring: ListQuery({ type: Type.Optional(Type.String({ maxLength: 100 })), object_id: Type.Optional(Type.String({ maxLength: 64 })) }) },
  }, async (req) => await listEvents(deps, actorOf(req).accountId, { ...pageOf(req.query), type: req.query.type, object_id: req.query.object_id }));

  app.get('/v1/audit_log', {
    schema: { tags: ['audit'], summary: 'The append-only audit trail, newest first', response: replies(R.ListOf(ref('AuditEntry'))), querystring: ListQuery({
      object_id: Type.Optional(Type.String({ maxLength: 64 })),
      request_id: Type.Optional(Type.String({ maxLength: 64, description: 'the Request-Id header of the call that made the changes' })),
    }) },
  }, async (req) => await listAudit(deps, actorOf(req).accountId, { ...pageOf(req.query), object_id: req.query.object_id, request_id: req.query.request_id }));
}
