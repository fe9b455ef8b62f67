import { endedUsageAt } from '../usage/usage-billing.ts';
import type { Recurring } from '../../domain/calendar.ts';
import type { EventType } from '../../domain/event-types.ts';
import { invalid, renameParam } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { phaseSpans, type PhaseSpan } from '../../domain/schedule-phases.ts';
import { isTerminal, transition, type SubscriptionStatus } from '../../domain/subscription-status.ts';
import { loadItems } from '../billing/load.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { sendAttempts, type PendingCharge } from '../payments/collect.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { nowFor } from '../time.ts';
import { atomically, command, retryingStale, StaleWriteError, type UnitOfWork } from '../unit-of-work.ts';
import { iso, type Row } from '../views.ts';
import { loadChangeState, planChange, type ChangeState, type ProrationBehavior, type SubscriptionChange } from './change.ts';
import { loadPrices, parseTime, subscriptionOpening, subscriptionWithItems } from './subscriptions.ts';
import { applyChangePlan } from './update.ts';

export type Schedule = Row<'subscription_schedules'>;
export type StoredPhase = R.SubscriptionScheduleObject['phases'][number];
type PhaseItem = StoredPhase['items'][number];

/** A phase as the API takes it; its dates are computed from the phases before it. */
export type PhaseInput = {
  items: { price: string; quantity?: number | undefined }[];
  iterations?: number | undefined;
  end_date?: string | undefined;
  trial_end?: string | undefined;
  proration_behavior?: ProrationBehavior | undefined;
  billing_cycle_anchor?: 'automatic' | 'phase_start' | undefined;
};

export type ScheduleInput = {
  customer?: string | undefined;
  from_subscription?: string | undefined;
  start_date?: string | undefined;
  end_behavior?: 'release' | 'cancel' | undefined;
  phases?: PhaseInput[] | undefined;
  metadata?: Record<string, string> | undefined;
};

export type ScheduleChange = {
  phases?: PhaseInput[] | undefined;
  end_behavior?: 'release' | 'cancel' | undefined;
  /** How a change to the current phase's items is prorated now. */
  proration_behavior?: ProrationBehavior | undefined;
  metadata?: Record<string, string> | undefined;
};

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
export const phasesOf = (s: Schedule) => json(s.phases) as StoredPhase[];

export function scheduleView(s: Schedule): R.SubscriptionScheduleObject {
  const phases = phasesOf(s);
  const current = s.status === 'active' && s.current_phase !== null ? phases[s.current_phase] : undefined;
  return {
    id: s.id, object: 'subscription_schedule', customer: s.customer_id, subscription: s.subscription_id,
    status: s.status as R.SubscriptionScheduleObject['status'], end_behavior: s.end_behavior as R.SubscriptionScheduleObject['end_behavior'],
    current_phase: current ? { start_date: current.start_date, end_date: current.end_date } : null, phases,
    released_subscription: s.released_subscription_id, released_at: iso(s.released_at), canceled_at: iso(s.canceled_at),
    completed_at: iso(s.completed_at), test_clock: s.test_clock_id, metadata: json(s.metadata) as Record<string, string>,
    created: iso(s.created_at), updated: iso(s.updated_at),
  };
}

/** An error about a field of a subscription's items names it as a field of phase `i`. */
function inPhase<T>(i: number, run: () => Promise<T>): Promise<T> {
  return run().catch((err: unknown) => {
    throw renameParam(err, (head) => (head === 'items' || head === 'trial_end' ? `phases[${i}][${head}]` : null));
  });
}

type CheckedPhase = { input: PhaseInput; prices: { price: Row<'prices'>; quantity: number }[] };

/** Each phase's prices are checked like a new subscription's items; every phase bills in one currency. */
async function checkPhases(u: UnitOfWork, phases: PhaseInput[], currency: string | null): Promise<CheckedPhase[]> {
  const out: CheckedPhase[] = [];
  for (const [i, input] of phases.entries()) {
    const prices = await inPhase(i, () => loadPrices(u, input.items, currency));
    const own = prices[0]!.price.currency;
    if (currency !== null && own !== currency) {
      throw invalid('currency_mismatch', `every phase must bill in ${currency}; this price is in ${own}`, `phases[${i}][items][0][price]`);
    }
    currency = own;
    out.push({ input, prices });
  }
  return out;
}

const recurringOfPrice = (p: Row<'prices'>): Recurring => ({ interval: p.recurring_interval as Recurring['interval'], interval_count: p.recurring_interval_count! });
const timeOf = (value: string | undefined, param: string) => (value === undefined ? undefined : parseTime(value, param));

/** The dates of checked phases from `start`; `trialOfFirst` stands in for a first phase that has begun. */
function spansOf(start: Date, phases: CheckedPhase[], trialOfFirst?: Date): PhaseSpan[] {
  return phaseSpans(start, phases.map(({ input, prices }, i) => ({
    recurring: recurringOfPrice(prices[0]!.price), iterations: input.iterations,
    end_date: timeOf(input.end_date, `phases[${i}][end_date]`),
    trial_end: i === 0 && trialOfFirst ? trialOfFirst : timeOf(input.trial_end, `phases[${i}][trial_end]`),
  })));
}

const storedPhase = ({ input, prices }: CheckedPhase, span: PhaseSpan): StoredPhase => ({
  start_date: span.start.toISOString(), end_date: span.end.toISOString(),
  items: prices.map((p) => ({ price: p.price.id, quantity: p.quantity })),
  trial_end: input.trial_end === undefined ? null : parseTime(input.trial_end, 'trial_end').toISOString(),
  proration_behavior: input.proration_behavior ?? 'create_prorations', billing_cycle_anchor: input.billing_cycle_anchor ?? 'automatic',
});

/** Writes a schedule's changed columns with the command's flush (after what it inserts); returns the row after. */
export function writeSchedule(u: UnitOfWork, s: Schedule, set: Partial<Schedule>, at: Date): Schedule {
  const row = { ...set, failure_count: set.failure_count ?? 0, retry_at: set.retry_at ?? null, updated_at: at };
  u.updateLater('subscription_schedules', [{ account_id: s.account_id, id: s.id, ...row, version: s.version }]);
  return { ...s, ...row, version: s.version + 1 };
}

/** Audit entry and event of a schedule's change. */
export function recordSchedule(u: UnitOfWork, type: EventType, before: Schedule | null, after: Schedule, at: Date) {
  const view = scheduleView(after);
  const previous = before ? changedFields(scheduleView(before), view) : null;
  u.audit(type, 'subscription_schedule', after.id, previous, previous ? pick(view, Object.keys(previous)) : view, at);
  u.emit(type, after.id, view, at, previous ? { previous_attributes: previous } : {});
}

function changedFields(before: R.SubscriptionScheduleObject, after: R.SubscriptionScheduleObject): Record<string, unknown> {
  const keys = (Object.keys(before) as (keyof R.SubscriptionScheduleObject)[]).filter((k) => k !== 'updated' && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return pick(before, keys);
}
const pick = (o: object, keys: string[]) => Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));

// Two adoptions of one subscription at once: the one that loses runs again, and is told why.
const adoptedMeanwhile = (err: unknown) =>
  ((err as { constraint?: string }).constraint === 'subscription_schedules_one_active' ? new StaleWriteError('subscription adopted meanwhile') : err);

/**
 * `POST /v1/subscription_schedules`: phases from `start_date` (now, or later), or the adoption of
 * an existing subscription (`from_subscription`). Starting now creates the subscription with the
 * first phase's items in the same statement as the schedule, then charges its first invoice.
 */
export async function createSchedule(deps: Deps, actor: Actor, input: ScheduleInput) {
  let charges = (): PendingCharge[] => [];
  const row = await retryingStale(() => atomically(deps, actor, async (u) => {
    charges = () => [];
    if (input.from_subscription !== undefined) return await adopt(deps, u, input, input.from_subscription);
    if (input.customer === undefined) throw invalid('parameter_missing', 'give a customer, or from_subscription', 'customer');
    if (input.start_date === undefined) throw invalid('parameter_missing', 'give start_date: now, or when the schedule starts', 'start_date');
    if (input.phases === undefined) throw invalid('parameter_missing', 'give the phases of the schedule', 'phases');
    const customer = await u.tx.selectFrom('customers').select(['id', 'test_clock_id', 'currency']).where('account_id', '=', u.accountId)
      .where('id', '=', input.customer).executeTakeFirst();
    if (!customer) throw notFound('customer', input.customer, 'customer');
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const start = input.start_date === 'now' ? now : parseTime(input.start_date, 'start_date');
    if (start < now) throw invalid('parameter_invalid', `start_date must be now or later (it is ${now.toISOString()})`, 'start_date');
    const checked = await checkPhases(u, input.phases, customer.currency);
    const spans = spansOf(start, checked);
    const id = newId('subscriptionSchedule');
    const startsNow = start.getTime() === now.getTime();
    let subscriptionId: string | null = null;
    if (startsNow) {
      const first = checked[0]!.input;
      const opening = subscriptionOpening(deps, { customer: customer.id, items: first.items, ...(first.trial_end ? { trial_end: first.trial_end } : {}) }, { scheduleId: id, at: now });
      subscriptionId = (await inPhase(0, () => opening.write(u))).sub.id;
      charges = opening.charges;
    }
    const schedule: Schedule = {
      account_id: u.accountId, id, customer_id: customer.id, subscription_id: subscriptionId, test_clock_id: customer.test_clock_id,
      status: startsNow ? 'active' : 'not_started', end_behavior: input.end_behavior ?? 'release',
      phases: checked.map((c, i) => storedPhase(c, spans[i]!)), current_phase: startsNow ? 0 : null,
      next_phase_at: startsNow ? spans[0]!.end : start, failure_count: 0, retry_at: null, released_subscription_id: null,
      released_at: null, canceled_at: null, completed_at: null, metadata: input.metadata ?? {}, created_at: now, updated_at: now, version: 1,
    };
    u.insertLater('subscription_schedules', [schedule]);
    recordSchedule(u, 'subscription_schedule.created', null, schedule, now);
    return schedule;
  }).catch((err: unknown) => { throw adoptedMeanwhile(err); }));
  const pending = charges();
  if (pending.length) await sendAttempts(deps, actor, pending);
  return scheduleView(row);
}

/**
 * A schedule for a subscription that exists: one phase, its current items for its current period,
 * ending with it. Adding phases (`POST /v1/subscription_schedules/:id`) then plans what follows.
 */
async function adopt(deps: Deps, u: UnitOfWork, input: ScheduleInput, subscriptionId: string): Promise<Schedule> {
  for (const field of ['customer', 'start_date', 'phases'] as const) {
    if (input[field] !== undefined) throw invalid('parameters_exclusive', `from_subscription takes the subscription's customer, start and items; ${field} cannot be given with it`, field);
  }
  const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId).where('id', '=', subscriptionId).executeTakeFirst();
  if (!s) throw notFound('subscription', subscriptionId, 'from_subscription');
  if (isTerminal(s.status as SubscriptionStatus)) throw invalid('subscription_status_invalid', `Subscription '${s.id}' is ${s.status}; there is nothing left to schedule.`, 'from_subscription');
  if (s.schedule_id) throw invalid('subscription_has_schedule', `Subscription '${s.id}' already follows schedule '${s.schedule_id}'; release it first.`, 'from_subscription');
  const items = (await loadItems(u.tx, [s])).get(s.id) ?? [];
  const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
  const schedule: Schedule = {
    account_id: u.accountId, id: newId('subscriptionSchedule'), customer_id: s.customer_id, subscription_id: s.id, test_clock_id: s.test_clock_id,
    status: 'active', end_behavior: input.end_behavior ?? 'release', current_phase: 0, next_phase_at: s.current_period_end,
    phases: [{
      start_date: s.current_period_start.toISOString(), end_date: s.current_period_end.toISOString(),
      items: items.map((x) => ({ price: x.price.id, quantity: x.item.quantity })),
      trial_end: s.status === 'trialing' ? iso(s.trial_end) : null, proration_behavior: 'create_prorations', billing_cycle_anchor: 'automatic',
    } satisfies StoredPhase],
    failure_count: 0, retry_at: null, released_subscription_id: null, released_at: null, canceled_at: null, completed_at: null,
    metadata: input.metadata ?? {}, created_at: now, updated_at: now, version: 1,
  };
  u.insertLater('subscription_schedules', [schedule]);
  // Written only if the subscription is still as read: a concurrent adoption makes this run again.
  u.updateLater('subscriptions', [{ account_id: s.account_id, id: s.id, schedule_id: schedule.id, updated_at: now, version: s.version }]);
  recordSchedule(u, 'subscription_schedule.created', null, schedule, now);
  recordAttachment(u, s.id, s.schedule_id, schedule.id, now);
  return schedule;
}

/** The subscription's own record of which schedule it follows. */
function recordAttachment(u: UnitOfWork, subscriptionId: string, from: string | null, to: string | null, at: Date) {
  u.audit('subscription.updated', 'subscription', subscriptionId, { schedule: from }, { schedule: to }, at);
}

export async function lockSchedule(u: UnitOfWork, id: string): Promise<Schedule> {
  const s = await u.tx.selectFrom('subscription_schedules').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!s) throw notFound('subscription schedule', id, 'id');
  return s;
}

function mustBeOpen(s: Schedule, what: string) {
  if (s.status !== 'not_started' && s.status !== 'active') {
    throw invalid('subscription_schedule_status_invalid', `Subscription schedule '${s.id}' is ${s.status}; a ${s.status} schedule cannot be ${what}.`, 'id');
  }
}

/** The change that gives a subscription a phase's items: same prices keep their item, others come and go. */
export function phaseItemsChange(state: ChangeState, items: PhaseItem[]): NonNullable<SubscriptionChange['items']> {
  const byPrice = new Map(state.items.map((x) => [x.price.id, x.item]));
  const wanted = new Set(items.map((i) => i.price));
  return [
    ...state.items.filter((x) => !wanted.has(x.price.id)).map((x) => ({ id: x.item.id, deleted: true })),
    ...items.map((i) => {
      const kept = byPrice.get(i.price);
      return kept ? { id: kept.id, quantity: i.quantity } : { price: i.price, quantity: i.quantity };
    }),
  ];
}

/** Locks a schedule's subscription (and customer) for a change, reading the prices `items` name. */
export async function lockSubscriptionFor(deps: Deps, u: UnitOfWork, s: Schedule, items: PhaseItem[]): Promise<ChangeState> {
  return await loadChangeState(u.tx, deps.clock.now(), u.accountId, s.subscription_id!, { items: items.map((i) => ({ price: i.price })) }, { lock: true, idParam: 'id', taxCalculator: deps.taxCalculator });
}

const sameItems = (a: PhaseItem[], b: PhaseItem[]) =>
  JSON.stringify(a.map((i) => `${i.price}×${i.quantity}`).sort()) === JSON.stringify(b.map((i) => `${i.price}×${i.quantity}`).sort());

/** A phase that has begun keeps how it began: its trial, its billing cycle, how its start was prorated. */
function keepsItsStart(current: StoredPhase, input: PhaseInput) {
  const given = { trial_end: input.trial_end === undefined ? undefined : parseTime(input.trial_end, 'phases[0][trial_end]').toISOString(),
    billing_cycle_anchor: input.billing_cycle_anchor, proration_behavior: input.proration_behavior };
  for (const [field, value] of Object.entries(given)) {
    if (value !== undefined && value !== current[field as keyof typeof given]) {
      throw invalid('parameter_invalid', `the current phase began at ${current.start_date}; its ${field} cannot change`, `phases[0][${field}]`);
    }
  }
}

/**
 * `POST /v1/subscription_schedules/:id`. `phases` replaces the phases still to come: all of a
 * schedule not yet started; of an active one, the current phase (first in the list, its start
 * fixed) and those after it, the past ones staying as they were. A change to the current phase's
 * items applies to the subscription now, prorated per `proration_behavior`; its end may move, but
 * not into the past.
 */
export async function updateSchedule(deps: Deps, actor: Actor, id: string, change: ScheduleChange) {
  let charges: PendingCharge[] = [];
  const after = await command(deps, actor, async (u) => {
    const s = await lockSchedule(u, id);
    mustBeOpen(s, 'updated');
    const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
    const set: Partial<Schedule> = {};
    if (change.phases !== undefined) {
      const old = phasesOf(s);
      if (s.status === 'not_started') {
        const checked = await checkPhases(u, change.phases, null);
        const spans = spansOf(new Date(old[0]!.start_date), checked);
        set.phases = checked.map((c, i) => storedPhase(c, spans[i]!));
        set.next_phase_at = spans[0]!.start;
      } else {
        const k = s.current_phase!;
        const current = old[k]!;
        keepsItsStart(current, change.phases[0]!);
        const state = await lockSubscriptionFor(deps, u, s, change.phases.flatMap((p) => p.items.map((i) => ({ price: i.price, quantity: i.quantity ?? 1 }))));
        const checked = await checkPhases(u, change.phases, state.sub.currency);
        const spans = spansOf(new Date(current.start_date), checked, current.trial_end === null ? undefined : new Date(current.trial_end));
        // An end left as it was may lie in the past: setting the phases again re-arms a parked boundary.
        if (spans[0]!.end.getTime() !== new Date(current.end_date).getTime() && spans[0]!.end <= now) {
          throw invalid('phase_end_invalid', `the current phase cannot end before now (${now.toISOString()})`, `phases[0][${change.phases[0]!.end_date === undefined ? 'iterations' : 'end_date'}]`);
        }
        const fresh = checked.map((c, i) => storedPhase(c, spans[i]!));
        fresh[0] = { ...current, end_date: fresh[0]!.end_date, items: fresh[0]!.items };
        set.phases = [...old.slice(0, k), ...fresh];
        set.next_phase_at = spans[0]!.end;
        if (!sameItems(current.items, fresh[0]!.items)) {
          const items = phaseItemsChange(state, fresh[0]!.items);
          charges = await applyChangePlan(deps, u, planChange(state, { items, proration_behavior: change.proration_behavior ?? 'create_prorations' }));
        }
      }
    }
    if (change.end_behavior !== undefined) set.end_behavior = change.end_behavior;
    if (change.metadata !== undefined) {
      const merged: Record<string, string> = { ...(json(s.metadata) as Record<string, string>) };
      // Stripe's convention: an empty value removes the key.
      for (const [k, v] of Object.entries(change.metadata)) { if (v === '') delete merged[k]; else merged[k] = v; }
      set.metadata = merged;
    }
    const written = writeSchedule(u, s, set, now);
    recordSchedule(u, 'subscription_schedule.updated', s, written, now);
    return written;
  });
  if (charges.length) await sendAttempts(deps, actor, charges);
  return scheduleView(after);
}

/** Ends a schedule's subscription at `at` (a schedule canceled, or ending with end_behavior cancel). */
export async function cancelScheduledSubscription(u: UnitOfWork, subscriptionId: string, at: Date) {
  const s = await u.tx.selectFrom('subscriptions').selectAll().where('account_id', '=', u.accountId).where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
  const from = s.status as SubscriptionStatus;
  if (isTerminal(from)) return;
  const after = await u.tx.updateTable('subscriptions').set({ status: transition(from, 'cancel'), canceled_at: at, ended_at: at, next_action_at: await endedUsageAt(u.tx, s, at), updated_at: at, version: s.version + 1 })
    .where('account_id', '=', u.accountId).where('id', '=', s.id).returningAll().executeTakeFirstOrThrow();
  const before = { status: from, canceled_at: s.canceled_at };
  u.audit('subscription.canceled', 'subscription', s.id, before, { status: after.status, canceled_at: after.canceled_at, schedule: after.schedule_id }, at);
  u.emit('subscription.deleted', s.id, await subscriptionWithItems(u.tx, after), at, { previous_attributes: before });
}

/** The subscription goes on by itself, on the items it has. */
export async function detachSubscription(u: UnitOfWork, subscriptionId: string, scheduleId: string, at: Date) {
  const after = await u.tx.updateTable('subscriptions').set((eb) => ({ schedule_id: null, updated_at: at, version: eb('version', '+', 1) }))
    .where('account_id', '=', u.accountId).where('id', '=', subscriptionId).where('schedule_id', '=', scheduleId).returningAll().executeTakeFirst();
  if (!after) return;
  recordAttachment(u, subscriptionId, scheduleId, null, at);
  u.emit('subscription.updated', subscriptionId, await subscriptionWithItems(u.tx, after), at, { previous_attributes: { schedule: scheduleId } });
}

/** `POST /v1/subscription_schedules/:id/cancel`: the schedule ends now, and its subscription with it. */
export async function cancelSchedule(deps: Deps, actor: Actor, id: string) {
  return scheduleView(await command(deps, actor, async (u) => {
    const s = await lockSchedule(u, id);
    mustBeOpen(s, 'canceled');
    const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
    if (s.subscription_id) await cancelScheduledSubscription(u, s.subscription_id, now);
    const after = writeSchedule(u, s, { status: 'canceled', canceled_at: now, current_phase: null, next_phase_at: null }, now);
    recordSchedule(u, 'subscription_schedule.canceled', s, after, now);
    return after;
  }));
}

/** `POST /v1/subscription_schedules/:id/release`: the schedule ends now; its subscription goes on, on the items it has. */
export async function releaseSchedule(deps: Deps, actor: Actor, id: string) {
  return scheduleView(await command(deps, actor, async (u) => {
    const s = await lockSchedule(u, id);
    mustBeOpen(s, 'released');
    const now = await nowFor(deps, u.tx, u.accountId, s.test_clock_id);
    if (s.subscription_id) await detachSubscription(u, s.subscription_id, s.id, now);
    const after = writeSchedule(u, s, {
      status: 'released', released_at: now, released_subscription_id: s.subscription_id, subscription_id: null, current_phase: null, next_phase_at: null,
    }, now);
    recordSchedule(u, 'subscription_schedule.released', s, after, now);
    return after;
  }));
}

export async function getSchedule(deps: Deps, accountId: string, id: string) {
  const s = await deps.db.selectFrom('subscription_schedules').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!s) throw notFound('subscription schedule', id, 'id');
  return scheduleView(s);
}

/** Newest first; `subscription` finds the schedules a subscription follows or was released from. */
export async function listSchedules(deps: Deps, accountId: string, page: Page & { customer?: string | undefined; subscription?: string | undefined }) {
  let q = deps.db.selectFrom('subscription_schedules').selectAll().where('account_id', '=', accountId);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  const subscription = page.subscription;
  if (subscription) q = q.where((eb) => eb.or([eb('subscription_id', '=', subscription), eb('released_subscription_id', '=', subscription)]));
  return await paginate(q, 'id', page, scheduleView);
}
