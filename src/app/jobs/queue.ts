import { sql } from 'kysely';
import { newId } from '../../domain/ids.ts';
import type { Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { backoffAfter, checkPayload, DEFAULT_LEASE_MS, type JobKind } from './catalogue.ts';
import { catalogueOf } from './registry.ts';

const MAX_ERROR_LENGTH = 500;
const later = (t: Date, ms: number) => new Date(t.getTime() + ms);

/**
 * Adds a job to the caller's transaction: it is written with the state change that causes it,
 * so it exists iff that change committed. `runAt` is business time: for a job on a test clock,
 * the clock's time at which it falls due (its advance runs it); real time otherwise.
 * Throws on an unknown kind or a payload that does not fit it: both are bugs of the caller.
 */
export function enqueue(deps: Deps, u: UnitOfWork, kindName: string, payload: unknown, opts: { runAt?: Date; testClockId?: string | null } = {}): string {
  const kind = catalogueOf(deps).get(kindName);
  if (!kind) throw new Error(`unknown job kind '${kindName}'`);
  if (opts.testClockId && !opts.runAt) throw new Error('a job on a test clock needs its runAt in the clock\'s time');
  const problem = checkPayload(kind, payload);
  if (problem) throw new Error(`payload of a '${kindName}' job: ${problem}`);
  const now = deps.clock.now();
  const id = newId('job');
  u.insertLater('jobs', [{
    id, account_id: u.accountId, kind: kind.name, payload, status: 'ready', attempts: 0, max_attempts: kind.retry.maxAttempts,
    run_at: opts.runAt ?? now, locked_by: null, locked_until: null, last_error: null, key: null,
    test_clock_id: opts.testClockId ?? null, created_at: now, updated_at: now, finished_at: null,
  }]);
  return id;
}

/**
 * Claims the earliest due real-time job a worker may run now, or null: one statement, the row
 * taken with SKIP LOCKED, among the kinds not already at their concurrency limit. Two workers may
 * still race for a kind's last free slot, so a limited kind's claim is then checked under a
 * transaction-scoped advisory lock of that kind (checks of one kind happen one at a time across
 * every process): a claim that finds more of its kind running than the limit allows, its own
 * included, hands its job back and skips the kind. Only a checked claim's handler runs, so the
 * limit holds for running handlers.
 */
export async function claimNext(deps: Deps, owner: string): Promise<Row<'jobs'> | null> {
  const catalogue = catalogueOf(deps);
  const now = deps.clock.now();
  const saturated = await saturatedKinds(deps, catalogue.all(), now);
  for (;;) {
    const kinds = catalogue.all().map((k) => k.name).filter((k) => !saturated.includes(k));
    if (kinds.length === 0) return null;
    const r = await sql<Row<'jobs'>>`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ${owner}, updated_at = ${now}::timestamptz,
        locked_until = ${now}::timestamptz + make_interval(secs => ${leaseSecondsSql(catalogue.all())})
      WHERE id = (SELECT id FROM jobs WHERE status = 'ready' AND test_clock_id IS NULL AND run_at <= ${now}::timestamptz
                    AND kind = ANY(${kinds}::text[]) ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(deps.db);
    const job = r.rows[0];
    if (!job) return null;
    const kind = catalogue.get(job.kind)!;
    if (kind.concurrency === undefined || await withinLimit(deps, kind, job, owner, now)) return job;
    saturated.push(kind.name);
  }
}

/** Kinds with as many jobs running as their limit allows. */
async function saturatedKinds(deps: Deps, kinds: JobKind[], now: Date): Promise<string[]> {
  const limited = kinds.filter((k) => k.concurrency !== undefined);
  if (limited.length === 0) return [];
  const rows = await deps.db.selectFrom('jobs').select((eb) => ['kind', eb.fn.countAll<string>().as('n')])
    .where('status', '=', 'running').where('kind', 'in', limited.map((k) => k.name)).where('locked_until', '>', now)
    .groupBy('kind').execute();
  return rows.filter((r) => Number(r.n) >= limited.find((k) => k.name === r.kind)!.concurrency!).map((r) => r.kind);
}

// The lease of the claimed row's kind, chosen in SQL since the row is only known there.
function leaseSecondsSql(kinds: JobKind[]) {
  const custom = kinds.filter((k) => k.leaseMs !== undefined);
  if (custom.length === 0) return sql`${DEFAULT_LEASE_MS / 1000}::float8`;
  const whens = custom.map((k) => sql`WHEN ${k.name} THEN ${k.leaseMs! / 1000}::float8`);
  return sql`(CASE jobs.kind ${sql.join(whens, sql` `)} ELSE ${DEFAULT_LEASE_MS / 1000}::float8 END)`;
}

async function withinLimit(deps: Deps, kind: JobKind, job: Row<'jobs'>, owner: string, now: Date): Promise<boolean> {
  return await deps.db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('rebill.jobs'), hashtext(${kind.name}))`.execute(tx);
    const running = await tx.selectFrom('jobs').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('kind', '=', kind.name).where('status', '=', 'running').where('locked_until', '>', now).executeTakeFirstOrThrow();
    if (Number(running.n) <= kind.concurrency!) return true;
    await tx.updateTable('jobs').set((eb) => ({ status: 'ready', attempts: eb('attempts', '-', 1), locked_by: null, locked_until: null }))
      .where('id', '=', job.id).where('locked_by', '=', owner).execute();
    return false;
  });
}

async function take(db: Deps['db'], kind: JobKind, id: string, owner: string, now: Date) {
  return await db.updateTable('jobs')
    .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), locked_by: owner, locked_until: later(now, kind.leaseMs ?? DEFAULT_LEASE_MS), updated_at: now }))
    .where('id', '=', id).where('status', '=', 'ready').returningAll().executeTakeFirst() ?? null;
}

/** Claims one given job of a test clock (its advance found it due), or null if it is not ready. */
export async function claimClockJob(deps: Deps, accountId: string, id: string, owner: string): Promise<Row<'jobs'> | null> {
  const job = await deps.db.selectFrom('jobs').select('kind').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  const kind = job && catalogueOf(deps).get(job.kind);
  if (!kind) return null;
  return await take(deps.db, kind, id, owner, deps.clock.now());
}

/** Done: kept as `succeeded` until the cleanup kind deletes it. A worker that lost its lease writes nothing. */
export async function complete(deps: Deps, job: Row<'jobs'>, owner: string): Promise<void> {
  const now = deps.clock.now();
  await deps.db.updateTable('jobs').set({ status: 'succeeded', locked_by: null, locked_until: null, finished_at: now, updated_at: now })
    .where('id', '=', job.id).where('status', '=', 'running').where('locked_by', '=', owner).execute();
}

/**
 * A try failed: ready again after the kind's backoff (in the job's business time), or `failed`
 * for good after its last allowed try, or at once when `final` (the job can never succeed).
 */
export async function fail(deps: Deps, job: Row<'jobs'>, owner: string, err: unknown, opts: { kind?: JobKind; final?: boolean } = {}): Promise<void> {
  const now = deps.clock.now();
  const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_LENGTH);
  const dead = opts.final || !opts.kind || job.attempts >= job.max_attempts;
  const base = job.test_clock_id && job.account_id ? await nowFor(deps, deps.db, job.account_id, job.test_clock_id) : now;
  await deps.db.updateTable('jobs').set({
    status: dead ? 'failed' : 'ready', last_error: message, locked_by: null, locked_until: null, updated_at: now,
    ...(dead ? { finished_at: now } : { run_at: later(base, backoffAfter(opts.kind!, job.attempts)) }),
  }).where('id', '=', job.id).where('status', '=', 'running').where('locked_by', '=', owner).execute();
}

/** Renews a claim's lease from now; false when the job is no longer `owner`'s. */
export async function extendLease(deps: Deps, job: Row<'jobs'>, owner: string, kind: JobKind): Promise<boolean> {
  const r = await deps.db.updateTable('jobs').set({ locked_until: later(deps.clock.now(), kind.leaseMs ?? DEFAULT_LEASE_MS) })
    .where('id', '=', job.id).where('status', '=', 'running').where('locked_by', '=', owner).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Gives jobs in hand back unfinished (shutdown): ready at once for another worker, the try not counted. */
export async function release(deps: Deps, ids: string[], owner: string): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await deps.db.updateTable('jobs')
    .set((eb) => ({ status: 'ready', attempts: sql<number>`greatest(${eb.ref('attempts')} - 1, 0)`, locked_by: null, locked_until: null, updated_at: deps.clock.now() }))
    .where('id', 'in', ids).where('status', '=', 'running').where('locked_by', '=', owner).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Jobs whose lease ran out before their worker finished (it died, or hung past the kind's
 * `leaseMs`): ready again at once, or failed if that was their last allowed try. Answers how many.
 */
export async function reclaimExpired(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const r = await sql`
    UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'ready' END,
      finished_at = CASE WHEN attempts >= max_attempts THEN ${now}::timestamptz END,
      run_at = CASE WHEN attempts >= max_attempts OR test_clock_id IS NOT NULL THEN run_at ELSE ${now}::timestamptz END,
      last_error = 'the worker running it stopped before finishing (lease expired)',
      locked_by = NULL, locked_until = NULL, updated_at = ${now}::timestamptz
    WHERE status = 'running' AND locked_until <= ${now}::timestamptz`.execute(deps.db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Makes sure the next slot of every recurring kind has its job. The unique (kind, key) lets any
 * number of workers do this at the same time and still write one row per slot.
 */
export async function scheduleRecurring(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  let created = 0;
  for (const kind of catalogueOf(deps).recurring()) {
    const slot = new Date((Math.floor(now.getTime() / kind.every!) + 1) * kind.every!);
    const r = await sql`
      INSERT INTO jobs (id, account_id, kind, payload, status, attempts, max_attempts, run_at, key, created_at, updated_at)
      VALUES (${newId('job')}, NULL, ${kind.name}, '{}'::jsonb, 'ready', 0, ${kind.retry.maxAttempts}, ${slot}::timestamptz, ${slot.toISOString()}, ${now}::timestamptz, ${now}::timestamptz)
      ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING`.execute(deps.db);
    created += Number(r.numAffectedRows ?? 0);
  }
  return created;
}
