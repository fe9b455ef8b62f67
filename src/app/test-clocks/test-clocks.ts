import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { recordBillingFailure } from '../billing/failures.ts';
import { processDueSubscription } from '../billing/process-due.ts';
import { claimClockJob } from '../jobs/queue.ts';
import { catalogueOf } from '../jobs/registry.ts';
import { runJob } from '../jobs/run.ts';
import { OPEN_ATTEMPT_STATUSES_SQL } from '../payments/in-flight.ts';
import { retryCase } from '../dunning/retry-due.ts';
import { recheckCustomer } from '../entitlements/recheck-due.ts';
import { recoverAttempt } from '../payments/recover.ts';
import { runClockUsageCheck } from '../usage/checks.ts';
import { crossDueBoundary } from '../subscriptions/schedule-boundaries.ts';
import { conflict, notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { systemActor, type Actor, type Deps } from '../ports.ts';
import { command, UnitOfWork } from '../unit-of-work.ts';
import { testClockView, type Row } from '../views.ts';

const MAX_ADVANCE_MS = 2 * 366 * 24 * 3600 * 1000;

export async function createTestClock(deps: Deps, actor: Actor, input: { frozen_time: Date; name?: string | null }) {
  return await command(deps, actor, async (u) => {
    const row = await u.tx.insertInto('test_clocks').values({
      account_id: u.accountId, id: newId('testClock'), name: input.name ?? null, frozen_time: input.frozen_time,
      status: 'ready', created_at: deps.clock.now(), updated_at: deps.clock.now(),
    }).returningAll().executeTakeFirstOrThrow();
    const view = testClockView(row);
    u.audit('test_clock.created', 'test_clock', row.id, null, view, deps.clock.now());
    u.emit('test_clock.created', row.id, view, deps.clock.now());
    return view;
  });
}

export async function getTestClock(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('test_clocks').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('test clock', id, 'id');
  return testClockView(row);
}

export async function listTestClocks(deps: Deps, accountId: string, page: Page) {
  return await paginate(deps.db.selectFrom('test_clocks').selectAll().where('account_id', '=', accountId), 'id', page, testClockView);
}

/**
 * The earliest thing due on this clock at or before `until`: a subscription action, an
 * unsettled payment, a job, a dunning retry, an entitlements recheck or a usage check of one of its customers. `silent`: attempts the gateway did not answer about during this advance,
 * left for a later one rather than asked again at every step.
 */
async function nextDue(deps: Deps, accountId: string, clockId: string, until: Date, silent: string[]) {
  const kinds = catalogueOf(deps).all().map((k) => k.name);
  // At one instant, kind DESC puts a schedule's phase before the renewal that must bill it.
  // customer_entitlements: a customer with a change noted is recomputed at once (at 'epoch', i.e. now);
  // one whose grace or override ends sorts last at its instant, after that instant's status changes.
  const r = await sql<{ kind: 'subscription_schedule' | 'subscription' | 'payment' | 'job' | 'dunning_case' | 'customer_entitlements' | 'usage_check'; id: string; at: Date }>`
    (SELECT 'subscription_schedule' AS kind, id, next_phase_at AS at FROM subscription_schedules
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND next_phase_at <= ${until})
    UNION ALL
    (SELECT 'subscription' AS kind, id, next_action_at AS at FROM subscriptions
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND next_action_at <= ${until})
    UNION ALL
    (SELECT 'payment' AS kind, id, recover_at AS at FROM payment_attempts
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND status IN ${OPEN_ATTEMPT_STATUSES_SQL} AND recover_at <= ${until}
        AND id <> ALL(${silent}::text[]))
    UNION ALL
    (SELECT 'job' AS kind, id, run_at AS at FROM jobs
      WHERE test_clock_id = ${clockId} AND status = 'ready' AND run_at <= ${until} AND account_id = ${accountId}
        AND kind = ANY(${kinds}::text[]) AND id <> ALL(${silent}::text[]))
    UNION ALL
    (SELECT 'dunning_case' AS kind, id, next_attempt_at AS at FROM dunning_cases
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND status = 'active' AND next_attempt_at <= ${until}
        AND id <> ALL(${silent}::text[]))
    UNION ALL
    (SELECT 'customer_entitlements' AS kind, customer_id AS id, 'epoch'::timestamptz AS at FROM entitlement_changes
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND customer_id <> ALL(${silent}::text[]) LIMIT 1)
    UNION ALL
    (SELECT 'customer_entitlements' AS kind, customer_id AS id, recheck_at AS at FROM customer_entitlements
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND recheck_at <= ${until} AND customer_id <> ALL(${silent}::text[]))
    UNION ALL
    (SELECT 'usage_check' AS kind, customer_id AS id, check_at AS at FROM usage_checks
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND check_at <= ${until} AND customer_id <> ALL(${silent}::text[]))
    ORDER BY at, kind DESC, id LIMIT 1`.execute(deps.db);
  return r.rows[0];
}

/** Real time until which the process running an advance holds it; past it, anyone may take over. */
const leaseEnd = (deps: Deps) => new Date(deps.clock.now().getTime() + deps.recoveryDelayMs);
const leaseOwner = (deps: Deps) => `${deps.workerId ?? 'rebill'}:${randomUUID()}`;
const stalled = (deps: Deps, c: Row<'test_clocks'>) => c.status === 'advancing' && (!c.lease_until || c.lease_until <= deps.clock.now());

/**
 * Moves a test clock forward to `frozen_time`, processing in time order everything that falls
 * due for its customers on the way (trial ends, renewals, scheduled cancellations, expiries,
 * payment recovery). The clock reads `advancing` meanwhile and `ready` when done.
 *
 * The advance survives the death of the process running it: that process holds a lease it
 * renews at every step, and once the lease has run out a worker (resumeStalledAdvance) or
 * another call of this takes the advance over and carries it on. Every step is idempotent
 * (an invoiced period is never invoiced again, a charge is sent under its attempt's key), so
 * picking up where a dead process stopped bills nothing twice.
 */
export async function advanceTestClock(deps: Deps, actor: Actor, id: string, input: { frozen_time: Date }) {
  const target = input.frozen_time;
  const owner = leaseOwner(deps);
  await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('test_clocks').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!c) throw notFound('test clock', id, 'id');
    const takeOver = stalled(deps, c);
    if (c.status === 'advancing' && !takeOver) throw conflict('test_clock_advancing', `Test clock '${id}' is already advancing.`);
    // Taking over a stalled advance, the clock may already stand at the target: that finishes it.
    if (takeOver ? target < c.frozen_time : target <= c.frozen_time) throw invalid('parameter_invalid', 'frozen_time must be later than the clock\'s current time', 'frozen_time');
    if (target.getTime() - c.frozen_time.getTime() > MAX_ADVANCE_MS) throw invalid('parameter_invalid', 'a clock can advance at most two years at a time', 'frozen_time');
    await u.tx.updateTable('test_clocks').set({ status: 'advancing', advance_target: target, lease_owner: owner, lease_until: leaseEnd(deps), updated_at: deps.clock.now() })
      .where('account_id', '=', u.accountId).where('id', '=', id).execute();
    u.audit(takeOver ? 'test_clock.advance_resumed' : 'test_clock.advance_started', 'test_clock', id, { frozen_time: c.frozen_time }, { frozen_time: target }, deps.clock.now());
  });
  return await runAdvance(deps, actor, id, owner);
}

/**
 * Real time: takes over one advance whose process stopped renewing its lease (it crashed, or
 * lost its database connection) and runs it to its target. Returns whether there was one.
 */
export async function resumeStalledAdvance(deps: Deps): Promise<boolean> {
  const owner = leaseOwner(deps);
  const now = deps.clock.now();
  const taken = await deps.db.transaction().execute(async (tx) => {
    const c = await tx.selectFrom('test_clocks').selectAll().where('status', '=', 'advancing')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('lease_until').limit(1).forUpdate().skipLocked().executeTakeFirst();
    if (!c) return undefined;
    const u = new UnitOfWork(tx, systemActor(c.account_id, deps.workerId));
    await tx.updateTable('test_clocks').set({ lease_owner: owner, lease_until: leaseEnd(deps) })
      .where('account_id', '=', c.account_id).where('id', '=', c.id).execute();
    u.audit('test_clock.advance_resumed', 'test_clock', c.id, { frozen_time: c.frozen_time }, { frozen_time: c.advance_target ?? c.frozen_time }, now);
    await u.flush();
    return c;
  });
  if (!taken) return false;
  await runAdvance(deps, systemActor(taken.account_id, deps.workerId), taken.id, owner);
  return true;
}

/**
 * Renews the lease and moves the clock's time up to `at` (never back), if `owner` still holds
 * the advance. Null when someone else took it over: the caller must stop.
 */
async function step(deps: Deps, accountId: string, id: string, owner: string, at: Date | null) {
  return await deps.db.updateTable('test_clocks')
    .set((eb) => ({ lease_until: leaseEnd(deps), ...(at ? { frozen_time: sql<Date>`greatest(${eb.ref('frozen_time')}, ${at}::timestamptz)` } : {}) }))
    .where('account_id', '=', accountId).where('id', '=', id).where('status', '=', 'advancing').where('lease_owner', '=', owner)
    .returningAll().executeTakeFirst();
}

/**
 * The advance itself, by the lease's owner. A subscription whose billing throws is counted as a
 * billing failure and, failing again, parked (failures.ts): it never stops the clock or the
 * other customers on it. Anything else that throws (the database gone) leaves the advance to be
 * resumed, with the lease released so that can happen at once.
 */
async function runAdvance(deps: Deps, actor: Actor, id: string, owner: string) {
  const accountId = actor.accountId;
  const silent: string[] = [];
  let previous = '';
  try {
    // One write per item: it renews the lease and moves the clock to the item's time.
    let c = await step(deps, accountId, id, owner, null);
    for (;;) {
      if (!c) return await getTestClock(deps, accountId, id); // taken over: the new owner finishes it
      const due = await nextDue(deps, accountId, id, c.advance_target ?? c.frozen_time, silent);
      if (!due) break;
      c = await step(deps, accountId, id, owner, due.at > c.frozen_time ? due.at : null);
      if (!c) return await getTestClock(deps, accountId, id);
      // Each step must move something on; the same item due twice in a row is a bug, and it is
      // that item's failure, not a loop to spin in nor a reason to stop the clock.
      const key = `${due.kind}:${due.id}:${due.at.toISOString()}`;
      const stuck = key === previous;
      previous = key;
      if (due.kind === 'subscription_schedule') {
        if (await crossDueBoundary(deps, accountId, due.id, stuck)) previous = '';
        continue;
      }
      if (due.kind === 'job') {
        // Its retries fall due later in the clock's time, when this advance or a later one reaches them.
        const job = stuck ? null : await claimClockJob(deps, accountId, due.id, owner);
        if (job) await runJob(deps, job, owner, new AbortController().signal); else silent.push(due.id);
        continue;
      }
      if (due.kind === 'dunning_case') {
        // A case that did not move (a bug) is left for a later advance rather than spun on.
        if (stuck) { deps.log.error({ case: due.id, clock: id }, 'dunning made no progress on a case'); silent.push(due.id); } else await retryCase(deps, accountId, due.id);
        continue;
      }
      if (due.kind === 'customer_entitlements') {
        if (stuck) { deps.log.error({ customer: due.id, clock: id }, 'entitlements made no progress on a customer'); silent.push(due.id); } else await recheckCustomer(deps, accountId, due.id);
        continue;
      }
      if (due.kind === 'usage_check') {
        // A check that failed keeps its row: seen again at once, it is set aside for a later advance.
        if (stuck) { deps.log.error({ customer: due.id, clock: id }, 'a usage check made no progress on a customer'); silent.push(due.id); } else await runClockUsageCheck(deps, accountId, due.id);
        continue;
      }
      if (due.kind === 'payment') {
        if (stuck || (await recoverAttempt(deps, accountId, due.id)) === 'unknown') silent.push(due.id);
        continue;
      }
      try {
        if (stuck) throw new Error(`billing made no progress on subscription ${due.id} due at ${due.at.toISOString()}`);
        await processDueSubscription(deps, accountId, due.id);
      } catch (err) {
        const r = await recordBillingFailure(deps, accountId, due.id, err, { onClock: true });
        deps.log.error({ err, subscription: due.id, clock: id, attempts: r?.attempts }, 'billing a subscription on a test clock failed');
        previous = '';
      }
    }
  } catch (err) {
    await deps.db.updateTable('test_clocks').set({ lease_until: deps.clock.now() })
      .where('account_id', '=', accountId).where('id', '=', id).where('lease_owner', '=', owner).execute().catch(() => undefined);
    throw err;
  }
  return await command(deps, actor, async (u) => {
    const row = await u.tx.updateTable('test_clocks')
      .set((eb) => ({ status: 'ready', frozen_time: eb.fn.coalesce('advance_target', 'frozen_time'), advance_target: null, lease_owner: null, lease_until: null, updated_at: deps.clock.now() }))
      .where('account_id', '=', accountId).where('id', '=', id).where('lease_owner', '=', owner).returningAll().executeTakeFirst();
    if (!row) return await getTestClock(deps, accountId, id);
    const view = testClockView(row);
    u.emit('test_clock.ready', id, view, deps.clock.now());
    return view;
  });
}
