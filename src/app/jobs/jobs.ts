import { sql } from 'kysely';
import { invalid } from '../../domain/errors.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { jobView } from '../views.ts';

/** An account's jobs, newest first. System jobs (no account) are only seen through the CLI. */
export async function listJobs(deps: Deps, accountId: string, page: Page & { status?: string | undefined; kind?: string | undefined }) {
  let q = deps.db.selectFrom('jobs').selectAll().where('account_id', '=', accountId);
  if (page.status) q = q.where('status', '=', page.status);
  if (page.kind) q = q.where('kind', '=', page.kind);
  return await paginate(q, 'id', page, jobView);
}

export async function getJob(deps: Deps, accountId: string, id: string) {
  const j = await deps.db.selectFrom('jobs').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!j) throw notFound('job', id, 'id');
  return jobView(j);
}

/**
 * Sends a failed (dead) job back to the queue, due now and with a fresh count of attempts:
 * once whatever made it fail is fixed, this is how its work gets done. `actor` null: the
 * operator on the command line, who may retry any account's jobs and the system's own.
 */
export async function retryJob(deps: Deps, actor: Actor | null, id: string) {
  const run = async (accountId: string | null) => await command(deps, actor ?? { accountId: accountId ?? '', actor: 'operator:cli', requestId: null }, async (u) => {
    let q = u.tx.selectFrom('jobs').selectAll().where('id', '=', id);
    if (actor) q = q.where('account_id', '=', actor.accountId);
    const j = await q.forUpdate().executeTakeFirst();
    if (!j || (!actor && j.account_id !== accountId)) throw notFound('job', id, 'id');
    if (j.status !== 'failed') throw invalid('job_not_failed', `Job '${id}' is ${j.status}; only a failed job can be retried.`, 'id');
    const now = deps.clock.now();
    const due = j.test_clock_id && j.account_id ? await nowFor(deps, u.tx, j.account_id, j.test_clock_id) : now;
    const after = await u.tx.updateTable('jobs').set({ status: 'ready', attempts: 0, run_at: due, finished_at: null, updated_at: now })
      .where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = jobView(after);
    if (j.account_id) u.audit('job.retried', 'job', id, { status: j.status, attempts: j.attempts, last_error: j.last_error }, { status: after.status, run_at: view.run_at }, now);
    return view;
  });
  if (actor) return await run(actor.accountId);
  const owner = await deps.db.selectFrom('jobs').select('account_id').where('id', '=', id).executeTakeFirst();
  if (!owner) throw notFound('job', id, 'id');
  return await run(owner.account_id);
}

export type QueueCounts = { kind: string; ready: number; retrying: number; running: number; succeeded: number; failed: number };

/**
 * Jobs per kind and status across every account: the operator's view (`rebill jobs`). Webhook
 * deliveries keep their own queue (webhook_deliveries) and are shown as `webhook.deliver`.
 */
export async function queueCounts(deps: Pick<Deps, 'db' | 'clock'>): Promise<QueueCounts[]> {
  return [...await jobCounts(deps), ...await deliveryCounts(deps)];
}

// A batch in flight holds its rows in its transaction (row locks, invisible to a count), so
// deliveries being sent count as ready or retrying until their outcome commits.
async function deliveryCounts(deps: Pick<Deps, 'db' | 'clock'>): Promise<QueueCounts[]> {
  const r = await sql<{ [K in Exclude<keyof QueueCounts, 'kind'>]: string }>`
    SELECT count(*) FILTER (WHERE status = 'pending' AND attempts = 0) AS ready,
           count(*) FILTER (WHERE status = 'pending' AND attempts > 0) AS retrying,
           0 AS running,
           count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
           count(*) FILTER (WHERE status = 'failed') AS failed
    FROM webhook_deliveries`.execute(deps.db);
  const c = r.rows[0]!;
  const counts = { kind: 'webhook.deliver', ready: Number(c.ready), retrying: Number(c.retrying), running: Number(c.running), succeeded: Number(c.succeeded), failed: Number(c.failed) };
  return counts.ready + counts.retrying + counts.running + counts.succeeded + counts.failed > 0 ? [counts] : [];
}

async function jobCounts(deps: Pick<Deps, 'db'>): Promise<QueueCounts[]> {
  const rows = await deps.db.selectFrom('jobs')
    .select((eb) => ['kind', 'status', eb.fn.countAll<string>().as('n'), eb.fn.count<string>(eb.case().when('attempts', '>', 0).then(1).end()).as('retried')])
    .groupBy(['kind', 'status']).orderBy('kind').execute();
  const byKind = new Map<string, QueueCounts>();
  for (const r of rows) {
    const c = byKind.get(r.kind) ?? { kind: r.kind, ready: 0, retrying: 0, running: 0, succeeded: 0, failed: 0 };
    if (r.status === 'ready' || r.status === 'running' || r.status === 'succeeded' || r.status === 'failed') c[r.status] += Number(r.n);
    if (r.status === 'ready') c.retrying += Number(r.retried);
    byKind.set(r.kind, c);
  }
  return [...byKind.values()];
}

/** Every account's failed (dead) jobs, most recent first. */
export async function listAllFailedJobs(deps: Pick<Deps, 'db'>, limit = 100) {
  return await deps.db.selectFrom('jobs').selectAll().where('status', '=', 'failed').orderBy('finished_at', 'desc').limit(limit).execute();
}
