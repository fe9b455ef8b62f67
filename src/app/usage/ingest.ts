import { sql } from 'kysely';
import { DomainError } from '../../domain/errors.ts';
import type { ErrorCode } from '../../domain/error-catalogue.ts';
import { eventTime, usageValue, withinWindow } from '../../domain/usage/event-input.ts';
import type { Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { clockTimes } from '../time.ts';
import type { Row } from '../views.ts';
import { queueUsageChecks } from './queue.ts';
import { PostgresUsageStore, type NewUsageEvent, type UsageStore } from './store.ts';

/** An event as sent: checked here field by field, so one bad event never spoils its batch. */
export type RawMeterEvent = { event_name?: unknown; identifier?: unknown; timestamp?: unknown; payload?: unknown };
type Rejection = { code: ErrorCode; message: string; param: string };
type Checked = { kind: 'ok'; event: NewUsageEvent } | { kind: 'rejected'; why: Rejection };

export const usageStoreOf = (deps: Deps): UsageStore => deps.usageStore ?? new PostgresUsageStore(deps.db);

const reject = (code: ErrorCode, message: string, param: string): Checked => ({ kind: 'rejected', why: { code, message, param } });
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** The shape of one event: what can be told without the meter. */
function shapeOf(e: RawMeterEvent): Rejection | { identifier: string; eventName: string; payload: Record<string, unknown> } {
  if (e.identifier === undefined || e.identifier === null) return { code: 'parameter_missing', message: 'identifier is required: it is the idempotency key of the event', param: 'identifier' };
  if (!isText(e.identifier, 100)) return { code: 'parameter_invalid', message: 'identifier must be a string of 1–100 characters', param: 'identifier' };
  if (e.event_name === undefined) return { code: 'parameter_missing', message: 'event_name is required', param: 'event_name' };
  if (!isText(e.event_name, 100)) return { code: 'parameter_invalid', message: 'event_name must be a string of 1–100 characters', param: 'event_name' };
  if (e.payload === undefined) return { code: 'parameter_missing', message: 'payload is required', param: 'payload' };
  if (typeof e.payload !== 'object' || e.payload === null || Array.isArray(e.payload)) return { code: 'parameter_invalid', message: 'payload must be an object', param: 'payload' };
  return { identifier: e.identifier, eventName: e.event_name, payload: e.payload as Record<string, unknown> };
}

/** Checks one event against its meter, customer and business time; `now` is the customer's (test clock or real). */
function check(e: RawMeterEvent, meters: Map<string, Row<'meters'>>, customers: Map<string, Date>): Checked {
  const shape = shapeOf(e);
  if ('code' in shape) return { kind: 'rejected', why: shape };
  const meter = meters.get(shape.eventName);
  if (!meter) return reject('meter_event_meter_unknown', `no active meter has the event_name '${shape.eventName}'`, 'event_name');
  const customerParam = `payload[${meter.customer_key}]`;
  const customerId = shape.payload[meter.customer_key];
  if (customerId === undefined) return reject('parameter_missing', `payload must name the customer under '${meter.customer_key}'`, customerParam);
  const now = typeof customerId === 'string' ? customers.get(customerId) : undefined;
  if (typeof customerId !== 'string' || !now) return reject('meter_event_customer_unknown', `no such customer: '${String(customerId).slice(0, 100)}'`, customerParam);
  const at = e.timestamp === undefined ? now : eventTime(e.timestamp);
  if (!at) return reject('parameter_invalid', 'timestamp must be unix seconds or an RFC 3339 time', 'timestamp');
  if (!withinWindow(at, now)) return reject('meter_event_timestamp_invalid', 'timestamp must be within the last 35 days and at most 5 minutes ahead of the customer\'s current time', 'timestamp');
  const valueParam = `payload[${meter.value_key}]`;
  const raw = shape.payload[meter.value_key];
  let value: string | null = null;
  let uniqueKey: string | null = null;
  if (meter.formula === 'unique_count') {
    // What unique_count counts is any text (a user id, a host): it is compared, never added.
    if (!isText(raw, 200) && typeof raw !== 'number') return reject('meter_event_value_invalid', `payload must hold the value to count under '${meter.value_key}' (text of at most 200 characters)`, valueParam);
    uniqueKey = String(raw);
  } else if (raw === undefined && meter.formula === 'count') {
    value = '1';
  } else {
    value = usageValue(raw);
    if (value === null) return reject('meter_event_value_invalid', `payload[${meter.value_key}] must be a finite number or numeric string (at most 20 digits before the point and 12 after)`, valueParam);
  }
  const payload: Record<string, string> = {};
  for (const d of meter.dimensions) {
    const v = shape.payload[d];
    if (v === undefined) continue;
    if (!isText(v, 200)) return reject('parameter_invalid', `payload[${d}] must be text of at most 200 characters`, `payload[${d}]`);
    payload[d] = v;
  }
  return { kind: 'ok', event: { identifier: shape.identifier, meterId: meter.id, eventName: meter.event_name, customerId, timestamp: at, value, uniqueKey, payload } };
}

/**
 * Ingests events: each is accepted (stored now), duplicate (its identifier was stored before,
 * by this batch or an earlier one) or rejected with a code. Two reads (meters, customers with
 * their clocks) and one INSERT for the whole batch, whatever its size; no per-event transaction,
 * audit or outbox row: events are facts the merchant reports, not state changes of Rebill.
 */
export async function ingestEvents(deps: Deps, accountId: string, events: readonly RawMeterEvent[]): Promise<R.MeterEventBatchObject> {
  return (await ingest(deps, accountId, events)).batch;
}

async function ingest(deps: Deps, accountId: string, events: readonly RawMeterEvent[]) {
  const names = [...new Set(events.map((e) => e.event_name).filter((n): n is string => isText(n, 100)))];
  const meterRows = names.length ? await deps.db.selectFrom('meters').selectAll().where('account_id', '=', accountId)
    .where('event_name', 'in', names).where('status', '=', 'active').execute() : [];
  const meters = new Map(meterRows.map((m) => [m.event_name, m]));
  const customerIds = new Set<string>();
  for (const e of events) {
    const m = isText(e.event_name, 100) ? meters.get(e.event_name) : undefined;
    const c = m && typeof e.payload === 'object' && e.payload !== null ? (e.payload as Record<string, unknown>)[m.customer_key] : undefined;
    if (isText(c, 64)) customerIds.add(c);
  }
  // One array parameter, not an IN list of up to 10,000: each list length would be a statement
  // of its own, parsed and planned anew, and kept prepared on every connection.
  const customerRows = customerIds.size ? await deps.db.selectFrom('customers').select(['account_id', 'id', 'test_clock_id', 'usage_watched'])
    .where('account_id', '=', accountId).where('id', '=', sql<string>`any(${[...customerIds]}::text[])`).execute() : [];
  const timeOf = await clockTimes(deps.db, deps.clock.now(), customerRows);
  const customers = new Map(customerRows.map((c) => [c.id, timeOf(c)]));

  const checked = events.map((e) => check(e, meters, customers));
  // A repeat inside the batch is a duplicate of its first occurrence, decided before the insert.
  const first = new Map<string, number>();
  const toStore: NewUsageEvent[] = [];
  checked.forEach((c, i) => {
    if (c.kind === 'ok' && !first.has(c.event.identifier)) { first.set(c.event.identifier, i); toStore.push(c.event); }
  });
  const stored = await usageStoreOf(deps).insertEvents(accountId, toStore, deps.clock.now());
  await queueUsageChecks(deps.db, accountId, customerRows, toStore, stored, timeOf);
  const results: R.MeterEventResultObject[] = checked.map((c, index) => {
    if (c.kind === 'rejected') return { index, status: 'rejected', ...c.why };
    const accepted = first.get(c.event.identifier) === index && stored.has(c.event.identifier);
    return { index, status: accepted ? 'accepted' : 'duplicate', code: null, message: accepted ? null : 'An event with this identifier was already received; it is counted once.', param: null };
  });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const batch: R.MeterEventBatchObject = { object: 'billing.meter_event_batch', accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected'), results };
  return { batch, checked };
}

/** One event: the same checks as a batch of one; a rejection is the usual error answer. */
export async function ingestEvent(deps: Deps, accountId: string, event: RawMeterEvent): Promise<R.MeterEventObject> {
  const { batch, checked } = await ingest(deps, accountId, [event]);
  const r = batch.results[0]!;
  const c = checked[0]!;
  if (r.status === 'rejected' || c.kind === 'rejected') throw new DomainError(r.code as ErrorCode, r.message!, r.param!);
  return {
    object: 'billing.meter_event', identifier: c.event.identifier, event_name: c.event.eventName, timestamp: c.event.timestamp.toISOString(),
    payload: Object.fromEntries(Object.entries(event.payload as Record<string, unknown>).map(([k, v]) => [k, String(v)])), status: r.status,
  };
}
