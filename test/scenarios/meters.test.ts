import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { usageStoreOf } from '../../src/app/usage/ingest.ts';
import { aggregate as reference, type Formula } from '../../src/domain/usage/aggregate.ts';
import { clockAt, ok } from '../builders.ts';
import { harness } from '../support.ts';

/** Meters and exactly-once ingestion of usage events (issue 18, points 1 and 2). */
describe('usage meters and event ingestion', async () => {
  const h = await harness(); // real time of the harness: 2027-01-01T00:00:00Z
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'usage@example.com' });
  const meter = await ok(h, 'POST', '/v1/billing/meters', {
    event_name: 'api_calls', display_name: 'API calls', default_aggregation: { formula: 'sum' }, dimensions: ['region'],
  });
  const rowsOf = async (meterId: string) => Number((await h.database.pool.query('SELECT count(*) AS n FROM meter_events WHERE account_id = $1 AND meter_id = $2', [h.accountId, meterId])).rows[0].n);
  const event = (identifier: string, value: unknown, extra: Record<string, unknown> = {}) =>
    ({ event_name: 'api_calls', identifier, timestamp: '2026-12-31T12:00:00Z', payload: { customer: customer.id, value, ...extra } });

  it('creates a meter with Stripe\'s shape and defaults, lists and retrieves it; only the name and status change', async () => {
    expect(meter).toMatchObject({
      object: 'billing.meter', event_name: 'api_calls', display_name: 'API calls', default_aggregation: { formula: 'sum' },
      value_settings: { event_payload_key: 'value' }, customer_mapping: { type: 'by_id', event_payload_key: 'customer' }, dimensions: ['region'], status: 'active',
    });
    expect(meter.id).toMatch(/^mtr_/);
    expect((await ok(h, 'GET', '/v1/billing/meters')).data.map((m: { id: string }) => m.id)).toContain(meter.id);
    expect(await ok(h, 'GET', `/v1/billing/meters/${meter.id}`)).toEqual(meter);
    const taken = await h.call('POST', '/v1/billing/meters', { event_name: 'api_calls', display_name: 'Again', default_aggregation: { formula: 'count' } });
    expect([taken.status, taken.body.error.code, taken.body.error.param]).toEqual([400, 'meter_event_name_taken', 'event_name']);
    const renamed = await ok(h, 'POST', `/v1/billing/meters/${meter.id}`, { display_name: 'Calls' });
    expect(renamed).toMatchObject({ display_name: 'Calls', event_name: 'api_calls', status: 'active' });
    const formula = await h.call('POST', `/v1/billing/meters/${meter.id}`, { default_aggregation: { formula: 'max' } });
    expect([formula.status, formula.body.error.code]).toEqual([400, 'parameter_unknown']);
  });

  it('one event is stored once: sent again with its identifier it is acknowledged as a duplicate, and an Idempotency-Key header keeps no row', async () => {
    const first = await h.call('POST', '/v1/billing/meter_events', event('single-1', '2.5', { region: 'eu' }), { headers: { 'idempotency-key': 'ignored-1' } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: 'billing.meter_event', identifier: 'single-1', status: 'accepted', timestamp: '2026-12-31T12:00:00.000Z' });
    const again = await ok(h, 'POST', '/v1/billing/meter_events', event('single-1', '99'));
    expect(again.status).toBe('duplicate');
    const stored = (await h.database.pool.query('SELECT value::text, payload FROM meter_events WHERE account_id = $1 AND identifier = $2', [h.accountId, 'single-1'])).rows;
    expect(stored).toEqual([{ value: '2.5', payload: { region: 'eu' } }]);
    expect((await h.database.pool.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE account_id = $1', [h.accountId])).rows[0].n).toBe(0);
  });

  it('a single bad event is the usual error answer with its code and param, and stores nothing', async () => {
    const cases: [unknown, string, string][] = [
      [{ ...event('bad-1', 'ten') }, 'meter_event_value_invalid', 'payload[value]'],
      [{ ...event('bad-2', 1), event_name: 'nope' }, 'meter_event_meter_unknown', 'event_name'],
      [{ ...event('bad-3', 1), payload: { customer: 'cus_nope', value: 1 } }, 'meter_event_customer_unknown', 'payload[customer]'],
      [{ ...event('bad-4', 1), timestamp: '2026-11-01T00:00:00Z' }, 'meter_event_timestamp_invalid', 'timestamp'],
      [{ ...event('bad-5', 1), identifier: undefined }, 'parameter_missing', 'identifier'],
    ];
    for (const [body, code, param] of cases) {
      const r = await h.call('POST', '/v1/billing/meter_events', body);
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([400, code, param]);
    }
    expect((await h.database.pool.query("SELECT count(*)::int AS n FROM meter_events WHERE identifier LIKE 'bad-%'")).rows[0].n).toBe(0);
  });

  it('a batch is not all-or-nothing: each event is accepted, duplicate or rejected with its index and code', async () => {
    const clock = await clockAt(h, '2027-03-01T00:00:00Z');
    const clocked = await ok(h, 'POST', '/v1/customers', { email: 'clocked@example.com', test_clock: clock.id });
    const other = await createAccount(h.database.db, 'Other merchant');
    const foreign = (await h.database.pool.query(
      "INSERT INTO customers (account_id, id, invoice_prefix, metadata, created_at, updated_at) VALUES ($1, 'cus_foreign', 'FOREIGN1', '{}', now(), now()) RETURNING id", [other.account.id])).rows[0].id;
    const batch = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events: [
      event('b-1', 1), event('b-2', '0.25'), event('single-1', 5), event('b-1', 7),
      { ...event('b-3', 1), payload: { customer: foreign, value: 1 } },
      { ...event('b-4', 1), identifier: 'x'.repeat(101) },
      { ...event('b-5', 'NaN') },
      // Business time is the customer's test clock: late February is recent for it, late December is not.
      { ...event('b-6', 3), timestamp: '2027-02-28T00:00:00Z', payload: { customer: clocked.id, value: 3 } },
      { ...event('b-7', 3), payload: { customer: clocked.id, value: 3 } },
      { identifier: 'b-8', event_name: 'api_calls' },
    ] });
    expect(batch).toMatchObject({ object: 'billing.meter_event_batch', accepted: 3, duplicates: 2, rejected: 5 });
    expect(batch.results.map((r: { index: number; status: string; code: string | null; param: string | null }) => [r.index, r.status, r.code, r.param])).toEqual([
      [0, 'accepted', null, null], [1, 'accepted', null, null], [2, 'duplicate', null, null], [3, 'duplicate', null, null],
      [4, 'rejected', 'meter_event_customer_unknown', 'payload[customer]'], [5, 'rejected', 'parameter_invalid', 'identifier'],
      [6, 'rejected', 'meter_event_value_invalid', 'payload[value]'], [7, 'accepted', null, null],
      [8, 'rejected', 'meter_event_timestamp_invalid', 'timestamp'], [9, 'rejected', 'parameter_missing', 'payload'],
    ]);
  });

  it('the same 2,000 events sent twice at once, in batches of 500, are stored once; every event is accepted exactly once', async () => {
    const m = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'storage_gb', display_name: 'Storage', default_aggregation: { formula: 'sum' } });
    const events = Array.from({ length: 2000 }, (_, i) => ({ event_name: 'storage_gb', identifier: `c-${i}`, timestamp: 1_798_700_000 + i, payload: { customer: customer.id, value: `${i}.5` } }));
    const batches = [0, 500, 1000, 1500].map((at) => events.slice(at, at + 500));
    const answers = await Promise.all([...batches, ...[...batches].reverse()].map((b) => ok(h, 'POST', '/v1/billing/meter_event_batches', { events: b })));
    expect(await rowsOf(m.id)).toBe(2000);
    const statuses = new Map<string, string[]>();
    answers.forEach((a, k) => {
      const b = [...batches, ...[...batches].reverse()][k]!;
      a.results.forEach((r: { index: number; status: string }) => statuses.set(b[r.index]!.identifier, [...(statuses.get(b[r.index]!.identifier) ?? []), r.status]));
    });
    expect([...statuses.values()].every((s) => s.sort().join() === 'accepted,duplicate')).toBe(true);
    // The sum of i + 0.5 for i < 2000 (1,999,000 + 1,000), exactly.
    expect(await usageStoreOf(h.deps).aggregate({ meter: { accountId: h.accountId, id: m.id }, formula: 'sum', customerId: customer.id, from: new Date('2026-01-01'), to: new Date('2027-02-01') })).toBe('2000000');
  });

  it('identifiers, unique keys and dimensions of any text are stored as sent (quotes, backslashes, braces, commas, "NULL")', async () => {
    const visitors = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'visitors', display_name: 'Visitors', default_aggregation: { formula: 'unique_count' }, dimensions: ['page'] });
    const awkward = ['a"b', 'back\\slash', '{x,y}', 'NULL', ' spaced ', 'ünï\tcode', 'line\nbreak', 'carriage\rreturn', '\\N'];
    const r = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events: awkward.map((t, i) => (
      { event_name: 'visitors', identifier: `odd-${t}`, timestamp: '2026-12-31T12:00:00Z', payload: { customer: customer.id, value: t, page: `${t}${i}` } })) });
    expect(r.accepted).toBe(awkward.length);
    const stored = (await h.database.pool.query<{ identifier: string; unique_key: string; value: string | null; page: string }>(
      "SELECT identifier, unique_key, value, payload->>'page' AS page FROM meter_events WHERE account_id = $1 AND meter_id = $2", [h.accountId, visitors.id])).rows;
    expect(stored.map((s) => [s.identifier, s.unique_key, s.value, s.page]).sort())
      .toEqual(awkward.map((t, i) => [`odd-${t}`, t, null, `${t}${i}`]).sort());
  });

  it('a new batch holding one event stored before (where no spot check looks) stores the others once and answers that one duplicate', async () => {
    const m = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'late_dupes', display_name: 'Late dupes', default_aggregation: { formula: 'sum' } });
    const ev = (identifier: string, value: number) => ({ event_name: 'late_dupes', identifier, timestamp: '2026-12-31T12:00:00Z', payload: { customer: customer.id, value } });
    expect((await ok(h, 'POST', '/v1/billing/meter_events', ev('dup-mid', 100))).status).toBe('accepted');
    // In identifier order the stored one is fourth of five: neither first, middle nor last.
    const r = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events: [ev('dup-z', 1), ev('dup-a', 2), ev('dup-mid', 1000), ev('dup-b', 4), ev('dup-c', 8)] });
    expect([r.accepted, r.duplicates, r.rejected]).toEqual([4, 1, 0]);
    expect(r.results.map((x: { status: string }) => x.status)).toEqual(['accepted', 'accepted', 'duplicate', 'accepted', 'accepted']);
    expect(await rowsOf(m.id)).toBe(5);
    expect(await usageStoreOf(h.deps).aggregate({ meter: { accountId: h.accountId, id: m.id }, formula: 'sum', customerId: customer.id, from: new Date('2026-12-01'), to: new Date('2027-01-01') })).toBe('115');
  });

  it('a batch of 3,000 events identified by random UUIDs is stored whole: no UUID is taken for a card number', async () => {
    await ok(h, 'POST', '/v1/billing/meters', { event_name: 'uuid_calls', display_name: 'Calls', default_aggregation: { formula: 'count' } });
    const events = Array.from({ length: 3000 }, () => ({ event_name: 'uuid_calls', identifier: randomUUID(), timestamp: '2026-12-31T12:00:00Z', payload: { customer: customer.id } }));
    const r = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events });
    expect([r.accepted, r.rejected]).toEqual([3000, 0]);
  });

  it('a batch body may be up to 16 MiB; beyond that it is refused whole with 413', async () => {
    const r = await h.call('POST', '/v1/billing/meter_event_batches', JSON.stringify({ events: [event('huge', 1, { region: 'x'.repeat(17 * 1_048_576) })] }), { headers: { 'content-type': 'application/json' } });
    expect([r.status, r.body.error.code]).toEqual([413, 'body_too_large']);
  });

  it('the store aggregates sum, count, max, last and unique_count as the domain reference does, within [from, to)', async () => {
    const values = ['1.25', '7', '0.1', '0.2', '-3', '7'];
    const formulas: Formula[] = ['sum', 'count', 'max', 'last', 'unique_count'];
    for (const formula of formulas) {
      const name = `agg_${formula}`;
      const m = await ok(h, 'POST', '/v1/billing/meters', { event_name: name, display_name: name, default_aggregation: { formula } });
      const sent = values.map((v, i) => ({ event_name: name, identifier: `${name}-${i}`, timestamp: `2026-12-2${i}T10:00:00Z`, payload: { customer: customer.id, value: formula === 'unique_count' ? `user-${v}` : v } }));
      const r = await ok(h, 'POST', '/v1/billing/meter_event_batches', { events: sent });
      expect(r.accepted).toBe(values.length);
      const inWindow = sent.slice(1, 5); // from the 21st (included) to the 25th (excluded)
      const expected = reference(formula, inWindow.map((e) => ({
        identifier: e.identifier, timestamp: new Date(e.timestamp), value: formula === 'unique_count' ? null : e.payload.value, uniqueKey: formula === 'unique_count' ? e.payload.value : null,
      })));
      const got = await usageStoreOf(h.deps).aggregate({ meter: { accountId: h.accountId, id: m.id }, formula, customerId: customer.id, from: new Date('2026-12-21T00:00:00Z'), to: new Date('2026-12-25T00:00:00Z') });
      expect([formula, got]).toEqual([formula, expected]);
    }
    const sum = await ok(h, 'GET', '/v1/billing/meters?limit=100');
    expect(sum.data.length).toBeGreaterThanOrEqual(6);
  });

  it('daily summaries group a customer\'s usage by UTC day', async () => {
    const got = await usageStoreOf(h.deps).summaries({ meter: { accountId: h.accountId, id: meter.id }, formula: 'sum', customerId: customer.id, from: new Date('2026-12-01'), to: new Date('2027-01-02') }, 'day');
    expect(got.map((s) => [s.start.toISOString(), s.value])).toEqual([['2026-12-31T00:00:00.000Z', '3.75']]);
  });

  it('event summaries over the API: the whole range, or per UTC hour or day, adding up to the same total', async () => {
    const m = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'tokens', display_name: 'Tokens', default_aggregation: { formula: 'sum' } });
    const buyer = await ok(h, 'POST', '/v1/customers', { email: 'tokens@example.com' });
    const at = (t: string, id: string, value: string) => ({ event_name: 'tokens', identifier: id, timestamp: t, payload: { customer: buyer.id, value } });
    await ok(h, 'POST', '/v1/billing/meter_event_batches', { events: [
      at('2026-12-30T10:05:00Z', 't1', '1.25'), at('2026-12-30T10:55:00Z', 't2', '2'), at('2026-12-30T13:00:00Z', 't3', '0.5'), at('2026-12-31T01:00:00Z', 't4', '10'),
    ] });
    const url = (q: string) => `/v1/billing/meters/${m.id}/event_summaries?customer=${buyer.id}&${q}`;
    const whole = await ok(h, 'GET', url('start_time=2026-12-30T00:00:00Z&end_time=2027-01-01T00:00:00Z'));
    expect(whole.data).toEqual([{ object: 'billing.meter_event_summary', meter: m.id, customer: buyer.id,
      start_time: '2026-12-30T00:00:00.000Z', end_time: '2027-01-01T00:00:00.000Z', aggregated_value: '13.75' }]);
    const hours = await ok(h, 'GET', url('start_time=2026-12-30T10:00:00Z&end_time=2026-12-30T14:00:00Z&value_grouping_window=hour'));
    expect(hours.data.map((x: { start_time: string; aggregated_value: string }) => [x.start_time, x.aggregated_value]))
      .toEqual([['2026-12-30T10:00:00.000Z', '3.25'], ['2026-12-30T13:00:00.000Z', '0.5']]);
    const days = await ok(h, 'GET', url(`start_time=${Date.parse('2026-12-30T00:00:00Z') / 1000}&end_time=${Date.parse('2027-01-01T00:00:00Z') / 1000}&value_grouping_window=day`));
    expect(days.data.map((x: { aggregated_value: string }) => x.aggregated_value)).toEqual(['3.75', '10']);
    // A canceled event leaves every figure at once: the range, its hour and its day.
    await ok(h, 'POST', '/v1/billing/meter_event_adjustments', { event_name: 'tokens', type: 'cancel', cancel: { identifier: 't2' } });
    expect((await ok(h, 'GET', url('start_time=2026-12-30T00:00:00Z&end_time=2027-01-01T00:00:00Z'))).data[0].aggregated_value).toBe('11.75');
    const afterCancel = await ok(h, 'GET', url('start_time=2026-12-30T10:00:00Z&end_time=2026-12-30T14:00:00Z&value_grouping_window=hour'));
    expect(afterCancel.data.map((x: { aggregated_value: string }) => x.aggregated_value)).toEqual(['1.25', '0.5']);
    const misaligned = await h.call('GET', url('start_time=2026-12-30T10:30:00Z&end_time=2026-12-30T14:00:00Z&value_grouping_window=hour'));
    expect([misaligned.status, misaligned.body.error.code, misaligned.body.error.param]).toEqual([400, 'parameter_invalid', 'start_time']);
    const backwards = await h.call('GET', url('start_time=2027-01-01T00:00:00Z&end_time=2026-12-30T00:00:00Z'));
    expect([backwards.status, backwards.body.error.param]).toEqual([400, 'start_time']);
    const stranger = await h.call('GET', `/v1/billing/meters/${m.id}/event_summaries?customer=cus_nobody&start_time=2026-12-30T00:00:00Z&end_time=2027-01-01T00:00:00Z`);
    expect([stranger.status, stranger.body.error.code, stranger.body.error.param]).toEqual([404, 'resource_missing', 'customer']);
  });

  it('an inactive meter takes no events; reactivating it when another active meter has its name is refused', async () => {
    const m = await ok(h, 'POST', '/v1/billing/meters', { event_name: 'seats', display_name: 'Seats', default_aggregation: { formula: 'max' } });
    await ok(h, 'POST', `/v1/billing/meters/${m.id}`, { status: 'inactive' });
    const r = await h.call('POST', '/v1/billing/meter_events', { event_name: 'seats', identifier: 'seat-1', payload: { customer: customer.id, value: 3 } });
    expect(r.body.error.code).toBe('meter_event_meter_unknown');
    await ok(h, 'POST', '/v1/billing/meters', { event_name: 'seats', display_name: 'Seats v2', default_aggregation: { formula: 'max' } });
    const back = await h.call('POST', `/v1/billing/meters/${m.id}`, { status: 'active' });
    expect([back.status, back.body.error.code]).toEqual([400, 'meter_event_name_taken']);
  });
});
