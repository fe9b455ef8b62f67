import { DomainError } from '../../domain/errors.ts';
import { notFound } from '../errors.ts';
import { paginate, type ListResult, type Page } from '../pagination.ts';
import type { Deps } from '../ports.ts';
import type { EventObject } from '../resources.ts';
import { auditView, eventView } from '../views.ts';

type EventFilter = Page & { type?: string | undefined; object_id?: string | undefined; after_sequence?: bigint | undefined };

/**
 * The outbox: newest first by id, or — with `after_sequence` — the commit-ordered stream, oldest
 * first, holding only events the sequencer has reached. Following the stream with the last
 * sequence seen never misses an event; paging by id can (ids are minted before commit).
 */
export async function listEvents(deps: Deps, accountId: string, page: EventFilter): Promise<ListResult<EventObject>> {
  let q = deps.db.selectFrom('events').selectAll().where('account_id', '=', accountId);
  if (page.type) q = q.where('type', '=', page.type);
  if (page.object_id) q = q.where('object_id', '=', page.object_id);
  if (page.after_sequence === undefined) return await paginate(q, 'id', page, eventView);
  if (page.starting_after) throw new DomainError('parameters_exclusive', 'after_sequence pages by itself: pass the last sequence seen, without starting_after', 'starting_after');
  const rows = await q.where('sequence', 'is not', null).where('sequence', '>', page.after_sequence)
    .orderBy('sequence').limit(page.limit + 1).execute();
  return { object: 'list', data: rows.slice(0, page.limit).map(eventView), has_more: rows.length > page.limit };
}

export async function getEvent(deps: Deps, accountId: string, id: string): Promise<EventObject> {
  const row = await deps.db.selectFrom('events').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('event', id, 'id');
  return eventView(row);
}

/** The audit trail, newest first; by object, or by the API request that made the changes. */
export async function listAudit(deps: Deps, accountId: string, page: Page & { object_id?: string | undefined; request_id?: string | undefined }) {
  let q = deps.db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId);
  if (page.object_id) q = q.where('object_id', '=', page.object_id);
  if (page.request_id) q = q.where('request_id', '=', page.request_id);
  return await paginate(q, 'id', page, auditView);
}
