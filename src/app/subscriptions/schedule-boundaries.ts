import { isTerminal, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import { systemActor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, retryingStale, UnitOfWork } from '../unit-of-work.ts';
import { planChange } from './change.ts';
import {
  cancelScheduledSubscription, detachSubscription, lockSubscriptionFor, phaseItemsChange, phasesOf, recordSchedule, scheduleView, writeSchedule,
  type Schedule, type StoredPhase,
} from './schedules.ts';
import { subscriptionOpening } from './subscriptions.ts';
import { applyChangePlan } from './update.ts';

/**
 * What a schedule does at its next boundary, `next_phase_at`, in the caller's transaction (the
 * schedule row locked): start (create the subscription with the first phase's items), move on to
 * the next phase (its items replace the current ones like an update at that instant), or end
 * (release the subscription, or cancel it). Everything happens at the boundary's business time,
 * however late a worker gets to it. Returns the charges to send after commit.
 */
async function crossBoundary(deps: Deps, u: UnitOfWork, s: Schedule): Promise<PendingCharge[]> {
  const at = s.next_phase_at!;
  const phases = phasesOf(s);
  if (s.status === 'not_started') {
    const first = phases[0]!;
    const opening = subscriptionOpening(deps, { customer: s.customer_id, items: first.items, ...(first.trial_end ? { trial_end: first.trial_end } : {}) },
      { scheduleId: s.id, at });
    const { sub } = await opening.write(u);
    const after = writeSchedule(u, s, { status: 'active', subscription_id: sub.id, current_phase: 0, next_phase_at: new Date(first.end_date) }, at);
    recordSchedule(u, 'subscription_schedule.updated', s, after, at);
    return opening.charges();
  }
  const k = s.current_phase!;
  const next = phases[k + 1];
  const state = await lockSubscriptionFor(deps, u, s, next?.items ?? []);
  if (isTerminal(state.sub.status as SubscriptionStatus)) {
    // The subscription was canceled by hand meanwhile: nothing is left to schedule.
    const after = writeSchedule(u, s, { status: 'canceled', canceled_at: at, current_phase: null, next_phase_at: null }, at);
    recordSchedule(u, 'subscription_schedule.canceled', s, after, at);
    return [];
  }
  if (!next) return await end(u, s, at);
  // A boundary re-armed after it failed may come after periods billed on the old items: those
  // stay as they were, and the phase applies from now.
  if (at >= state.sub.current_period_start) state.now = at;
  const charges = await applyChangePlan(deps, u, planChange(state, phaseChange(state.sub.status as SubscriptionStatus, next, phaseItemsChange(state, next.items))));
  const after = writeSchedule(u, s, { current_phase: k + 1, next_phase_at: new Date(next.end_date) }, state.now);
  recordSchedule(u, 'subscription_schedule.updated', s, after, state.now);
  return charges;
}

/** A phase's start as a subscription change; a trial is moved only while the subscription still trials. */
function phaseChange(status: SubscriptionStatus, phase: StoredPhase, items: ReturnType<typeof phaseItemsChange>) {
  return {
    items, proration_behavior: phase.proration_behavior,
    ...(phase.billing_cycle_anchor === 'phase_start' ? { billing_cycle_anchor: 'now' as const } : {}),
    ...(phase.trial_end && status === 'trialing' ? { trial_end: phase.trial_end } : {}),
  };
}

/** The last phase is over: end_behavior release leaves the subscription running on its items, cancel ends it. */
async function end(u: UnitOfWork, s: Schedule, at: Date): Promise<PendingCharge[]> {
  if (s.end_behavior === 'cancel') {
    await cancelScheduledSubscription(u, s.subscription_id!, at);
    const after = writeSchedule(u, s, { status: 'canceled', canceled_at: at, current_phase: null, next_phase_at: null }, at);
    recordSchedule(u, 'subscription_schedule.canceled', s, after, at);
  } else {
    await detachSubscription(u, s.subscription_id!, s.id, at);
    const after = writeSchedule(u, s, { status: 'completed', completed_at: at, current_phase: null, next_phase_at: null }, at);
    recordSchedule(u, 'subscription_schedule.completed', s, after, at);
  }
  return [];
}

/**
 * Real time: claims one schedule whose boundary is due that no other worker holds (SKIP LOCKED)
 * and crosses it in one transaction, then sends its charges. Returns how many it claimed (0 or
 * 1). A failure is counted on the schedule and tried again later (see recordScheduleFailure).
 */
export async function processNextPhase(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const held: { schedule?: Schedule } = {};
  let charges: PendingCharge[];
  try {
    charges = await retryingStale(() => deps.db.transaction().execute(async (tx) => {
      const s = await tx.selectFrom('subscription_schedules').selectAll()
        .where('next_phase_at', '<=', now).where('test_clock_id', 'is', null)
        .where((eb) => eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', now)]))
        .orderBy('next_phase_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
      held.schedule = s;
      if (!s) return [];
      const u = new UnitOfWork(tx, systemActor(s.account_id, deps.workerId));
      const c = await crossBoundary(deps, u, s);
      await u.flush();
      return c;
    }));
  } catch (err) {
    if (!held.schedule) throw err;
    await recordScheduleFailure(deps, held.schedule.account_id, held.schedule.id, err, { onClock: false });
    return 1;
  }
  if (!held.schedule) return 0;
  if (charges.length) await sendAttempts(deps, systemActor(held.schedule.account_id, deps.workerId), charges);
  return 1;
}

/**
 * A test clock's advance: crosses one schedule's due boundary at the clock's time. A failure is
 * counted rather than thrown, so the clock goes on; `stuck` (the same boundary due twice in a
 * row) counts as one. Returns whether it failed.
 */
export async function crossDueBoundary(deps: Deps, accountId: string, id: string, stuck: boolean): Promise<boolean> {
  const actor = systemActor(accountId, deps.workerId);
  try {
    if (stuck) throw new Error(`schedule ${id} made no progress at its boundary`);
    const charges = await retryingStale(() => command(deps, actor, async (u) => {
      const s = await u.tx.selectFrom('subscription_schedules').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!s?.next_phase_at || s.next_phase_at > (await nowFor(deps, u.tx, accountId, s.test_clock_id))) return [];
      return await crossBoundary(deps, u, s);
    }));
    if (charges.length) await sendAttempts(deps, actor, charges);
    return false;
  } catch (err) {
    const r = await recordScheduleFailure(deps, accountId, id, err, { onClock: true });
    deps.log.error({ err, schedule: id, attempts: r?.attempts }, 'crossing a subscription schedule boundary on a test clock failed');
    return true;
  }
}

// Like a renewal's: three tries, 1 and then 5 minutes apart in real time, at once on a test clock.
const MAX_TRIES = 3;
const RETRY_DELAYS_MS = [60_000, 300_000];

/**
 * Counts a failed try at a schedule's boundary (in its own transaction, after the failed one
 * rolled back). After the last try the schedule is parked — `next_phase_at` cleared, so the
 * subscription is billed on as it is — with an audit entry and a `subscription_schedule.phase_failed`
 * event; updating its phases sets the boundary again.
 */
export async function recordScheduleFailure(deps: Deps, accountId: string, id: string, err: unknown, opts: { onClock: boolean }) {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
  deps.log.warn({ err, schedule: id }, 'a subscription schedule boundary failed');
  return await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const s = await u.tx.selectFrom('subscription_schedules').selectAll().where('account_id', '=', accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!s?.next_phase_at) return null;
    const attempts = s.failure_count + 1;
    const parked = attempts >= MAX_TRIES;
    const now = await nowFor(deps, u.tx, accountId, s.test_clock_id);
    const retryAt = parked || opts.onClock ? null : new Date(deps.clock.now().getTime() + RETRY_DELAYS_MS[attempts - 1]!);
    const after = writeSchedule(u, s, parked ? { next_phase_at: null } : { failure_count: attempts, retry_at: retryAt }, now);
    u.audit(parked ? 'subscription_schedule.phase_failed' : 'subscription_schedule.phase_deferred', 'subscription_schedule', id,
      { next_phase_at: s.next_phase_at, failure_count: s.failure_count }, { next_phase_at: after.next_phase_at, failure_count: attempts, retry_at: retryAt, error: message }, now);
    if (parked) u.emit('subscription_schedule.phase_failed', id, scheduleView(after), now, { boundary: s.next_phase_at, error: message });
    return { parked, attempts };
  });
}
