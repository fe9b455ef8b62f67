import { paginate, type Page } from '../pagination.ts';
import type { Deps } from '../ports.ts';
import { auditView, eventView } from '../views.ts';

/** The outbox, newest first. */
export async function listEvents(deps: Deps, accountId: string, page: Page & { type?: string | undefined; object_id?: string | undefined }) {
  let q = deps.db.selectFrom('events').selectAll().where('account_id', '=', accountId);
  if (page.type) q = q.where('type', '=', page.type);
  if (page.object_id) q = q.where('object_id', '=', page.object_id);
  return await paginate(q, 'id', page, eventView);
}

/** The audit trail, newest first; by object, or by the API request that made the changes. */
export async function listAudit(deps: Deps, accountId: string, page: Page & { object_id?: string | undefined; request_id?: string | undefined }) {
  let q = deps.db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId);
  if (page.object_id) q = q.where('object_id', '=', page.object_id);
  if (page.request_id) q = q.where('request_id', '=', page.request_id);
  return await paginate(q, 'id', page, auditView);
}
