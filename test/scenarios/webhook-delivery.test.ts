import { afterAll, describe, expect, it } from 'vitest';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { queueCounts } from '../../src/app/jobs/jobs.ts';
import { command, type UnitOfWork } from '../../src/app/unit-of-work.ts';
import { deliverDue } from '../../src/app/webhooks/deliver.ts';
import { RETRY_DELAYS_MS } from '../../src/domain/webhook-delivery.ts';
import { ok } from '../builders.ts';
import { harness } from '../support.ts';
import { startReceiver } from '../webhook-receiver.ts';

const HOUR = 3_600_000;

describe('webhook delivery', async () => {
  const h = await harness();
  const owner = 'test-worker';
  let secrets: string[] = [];
  let answer = 200;
  const receiver = await startReceiver({ secrets: () => secrets, answer: () => answer });
  afterAll(() => receiver.close());

  /** Sequences what committed and sends every delivery due now, until none is. */
  async function pump() {
    await sequenceEvents(h.deps.db, h.clock.now());
    while (await deliverDue(h.deps, owner) > 0);
  }
  /** The next time a pending delivery falls due (the ones due now wait for an earlier one of their object). */
  const nextDue = async () => (await h.database.db.selectFrom('webhook_deliveries').select('next_attempt_at')
    .where('status', '=', 'pending').where('next_attempt_at', '>', h.clock.now()).orderBy('next_attempt_at').executeTakeFirst())?.next_attempt_at;

  async function endpoint(events: string[] = ['*']) {
    const e = await ok(h, 'POST', '/v1/webhook_endpoints', { url: receiver.url, enabled_events: events });
    secrets = [e.secret];
    return e;
  }

  it('sends each event as GET /v1/events/:id shows it, signed so the official package verifies it', async () => {
    await pump();
    const ep = await endpoint(['customer.created', 'customer.updated']);
    receiver.received.length = 0;
    const c = await ok(h, 'POST', '/v1/customers', { email: 'first@example.com' });
    await ok(h, 'POST', `/v1/customers/${c.id}`, { name: 'First' });
    await pump();
    expect(receiver.received.map((r) => [r.type, r.object, r.verified])).toEqual([
      ['customer.created', c.id, [true]], ['customer.updated', c.id, [true]],
    ]);
    for (const r of receiver.received) {
      expect(r.body).toEqual(await ok(h, 'GET', `/v1/events/${r.id}`));
      expect(r.headers['webhook-id']).toBe(r.id);
    }
    const rows = await h.database.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', ep.id).execute();
    expect(rows.map((d) => [d.status, d.last_status_code, d.attempts])).toEqual([['succeeded', 200, 0], ['succeeded', 200, 0]]);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });

  it('both signatures verify during a secret rotation, only the new one after it', async () => {
    const ep = await endpoint(['customer.created']);
    const rotated = await ok(h, 'POST', `/v1/webhook_endpoints/${ep.id}/rotate_secret`, { expires_in: 600 });
    secrets = [ep.secret, rotated.secret];
    receiver.received.length = 0;
    await ok(h, 'POST', '/v1/customers', { email: 'rotating@example.com' });
    await pump();
    h.clock.advanceMs(601_000);
    await ok(h, 'POST', '/v1/customers', { email: 'rotated@example.com' });
    await pump();
    expect(receiver.received.map((r) => r.verified)).toEqual([[true, true], [false, true]]);
    expect(receiver.received.map((r) => (r.headers['webhook-signature'] as string).split(' ').length)).toEqual([2, 1]);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });

  it('a receiver down for six hours gets every event once it is up: none twice, in order per object, on the documented schedule', async () => {
    const ep = await endpoint(['customer.created', 'customer.updated']);
    receiver.received.length = 0;
    answer = 503;
    const start = h.clock.now().getTime();
    const customers: { id: string }[] = [];
    for (let i = 0; i < 3; i++) customers.push(await ok(h, 'POST', '/v1/customers', { email: `outage${i}@example.com` }));
    for (const [i, c] of customers.entries()) await ok(h, 'POST', `/v1/customers/${c.id}`, { name: `Renamed ${i}` });
    await pump();
    // The clock jumps from one due attempt to the next; the receiver comes back after six hours.
    for (;;) {
      const due = await nextDue();
      if (!due) break;
      h.clock.set(due);
      if (h.clock.now().getTime() - start >= 6 * HOUR) answer = 200;
      await pump();
    }
    const accepted = receiver.accepted();
    const events = (await ok(h, 'GET', '/v1/events?limit=100')).data.filter((e: any) => customers.some((c) => c.id === e.data.object.id));
    expect(accepted.map((r) => r.id).sort()).toEqual(events.map((e: any) => e.id).sort());
    expect(new Set(accepted.map((r) => r.id)).size).toBe(accepted.length);
    for (const c of customers) {
      expect(accepted.filter((r) => r.object === c.id).map((r) => r.type)).toEqual(['customer.created', 'customer.updated']);
    }
    // Each object's first event was tried at 0, 5 s, 5 min, 30 min, 2 h after the one before, then at 5 h (up again).
    const rows = await h.database.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', ep.id).where('event_type', '=', 'customer.created').execute();
    for (const d of rows) {
      const times = (d.history as unknown as { at: string; status_code: number }[]).map((a) => Date.parse(a.at));
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(RETRY_DELAYS_MS.slice(0, 5));
      expect((d.history as unknown as { status_code: number }[]).map((a) => a.status_code)).toEqual([503, 503, 503, 503, 503, 200]);
    }
    // The later event of each object waited for the first, then went at once.
    const updated = await h.database.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', ep.id).where('event_type', '=', 'customer.updated').execute();
    expect(updated.map((d) => (d.history as unknown as unknown[]).length)).toEqual([1, 1, 1]);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });

  /** Jumps the clock from one due attempt to the next, sending, until none is left or `until` says stop. */
  async function followSchedule(until: () => boolean = () => false) {
    for (;;) {
      await pump();
      const due = await nextDue();
      if (!due || until()) return;
      h.clock.set(due);
    }
  }

  it('records every attempt, gives up after the schedule, and sends again by hand or by replay', async () => {
    const ep = await endpoint(['customer.created']);
    receiver.received.length = 0;
    answer = 500;
    const c = await ok(h, 'POST', '/v1/customers', { email: 'given-up@example.com' });
    await followSchedule();
    const [d] = (await ok(h, 'GET', `/v1/webhook_endpoints/${ep.id}/deliveries`)).data;
    expect(d).toMatchObject({ object: 'webhook_delivery', endpoint: ep.id, event_type: 'customer.created', status: 'failed', next_attempt: null, delivered: null });
    expect(d.attempts).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect(d.attempts[0]).toMatchObject({ status_code: 500, error: 'HTTP 500: unavailable' });
    expect(typeof d.attempts[0].duration_ms).toBe('number');
    expect(receiver.received.map((r) => r.object)).toEqual(Array(RETRY_DELAYS_MS.length + 1).fill(c.id));
    expect((await ok(h, 'GET', `/v1/webhook_endpoints/${ep.id}/deliveries?status=pending`)).data).toEqual([]);
    // `rebill jobs` shows deliveries as a queue of their own.
    const counts = async () => (await queueCounts(h.deps)).find((q) => q.kind === 'webhook.deliver')!;
    const given = await counts();
    expect(given.failed).toBeGreaterThanOrEqual(1);

    answer = 200;
    const retried = await ok(h, 'POST', `/v1/webhook_deliveries/${d.id}/retry`);
    expect(retried).toMatchObject({ id: d.id, status: 'pending', next_attempt: h.clock.now().toISOString() });
    expect(await counts()).toMatchObject({ failed: given.failed - 1, ready: given.ready + 1 });
    await pump();
    expect(await ok(h, 'GET', `/v1/webhook_deliveries/${d.id}`)).toMatchObject({ status: 'succeeded', delivered: h.clock.now().toISOString() });

    // Failed again for a while: a replay of the failed ones sends only those, once the receiver is back.
    answer = 500;
    const second = await ok(h, 'POST', '/v1/customers', { email: 'replayed@example.com' });
    await followSchedule();
    answer = 200;
    receiver.received.length = 0;
    expect(await ok(h, 'POST', `/v1/webhook_endpoints/${ep.id}/replay`, { status: 'failed' })).toEqual({ object: 'webhook_replay', endpoint: ep.id, events: 1 });
    await pump();
    expect(receiver.received.map((r) => [r.object, r.status])).toEqual([[second.id, 200]]);
    // A replay by time and type sends delivered events again too; the endpoint's other types stay out.
    receiver.received.length = 0;
    const all = await ok(h, 'POST', `/v1/webhook_endpoints/${ep.id}/replay`, { types: ['customer.created'], created: { gte: new Date(0).toISOString() } });
    expect(all.events).toBeGreaterThanOrEqual(2);
    await pump();
    expect(receiver.received.map((r) => r.object)).toEqual(expect.arrayContaining([c.id, second.id]));
    expect(new Set(receiver.received.map((r) => r.type))).toEqual(new Set(['customer.created']));
    const none = await ok(h, 'POST', `/v1/webhook_endpoints/${ep.id}/replay`, { created: { gte: h.clock.now().toISOString() }, status: 'failed' });
    expect(none.events).toBe(0);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });

  it('disables an endpoint that failed everything for five days, and tells the other endpoints', async () => {
    const watcher = await startReceiver();
    afterAll(() => watcher.close());
    const ops = await ok(h, 'POST', '/v1/webhook_endpoints', { url: watcher.url, enabled_events: ['webhook_endpoint.disabled'] });
    const ep = await endpoint(['customer.created']);
    answer = 503;
    const start = h.clock.now().getTime();
    const at = (days: number) => new Date(start + days * 24 * HOUR);
    await ok(h, 'POST', '/v1/customers', { email: 'down-day-0@example.com' });
    // A new event every day keeps deliveries failing past the schedule of the first one.
    for (let day = 1; day <= 6; day++) {
      await followSchedule(() => h.clock.now() >= at(day));
      if (h.clock.now() < at(day)) h.clock.set(at(day));
      if ((await ok(h, 'GET', `/v1/webhook_endpoints/${ep.id}`)).status === 'disabled') break;
      await ok(h, 'POST', '/v1/customers', { email: `down-day-${day}@example.com` });
    }
    await pump();
    const disabled = await ok(h, 'GET', `/v1/webhook_endpoints/${ep.id}`);
    expect(disabled.status).toBe('disabled');
    const failingFor = Date.parse(disabled.updated) - start;
    expect(failingFor).toBeGreaterThanOrEqual(5 * 24 * HOUR);
    expect(failingFor).toBeLessThan(6 * 24 * HOUR);
    expect((await ok(h, 'GET', `/v1/webhook_endpoints/${ep.id}/deliveries?status=pending`)).data).toEqual([]);
    const stopped = (await ok(h, 'GET', `/v1/webhook_endpoints/${ep.id}/deliveries?status=failed&limit=100`)).data;
    expect(stopped.some((d: any) => d.attempts.length < RETRY_DELAYS_MS.length + 1)).toBe(true);
    expect(watcher.received.map((r) => [r.type, r.object])).toEqual([['webhook_endpoint.disabled', ep.id]]);
    expect(watcher.received[0]!.body.data.object.status).toBe('disabled');
    // While disabled, nothing is sent to it and it cannot be replayed to.
    const sent = receiver.received.length;
    await ok(h, 'POST', '/v1/customers', { email: 'while-disabled@example.com' });
    await pump();
    expect(receiver.received.length).toBe(sent);
    expect((await h.call('POST', `/v1/webhook_endpoints/${ep.id}/replay`, {})).body.error).toMatchObject({ code: 'webhook_endpoint_disabled' });
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ops.id}`);
  });

  it('an event whose transaction commits after a later-minted one is delivered too', async () => {
    const ep = await endpoint(['customer.created']);
    await pump();
    receiver.received.length = 0;
    const actor = { accountId: h.accountId, actor: 'test', requestId: null };
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let minted!: () => void;
    const mintedEarly = new Promise<void>((r) => { minted = r; });
    const emitCustomer = (u: UnitOfWork, id: string) => u.emit('customer.created', id, { id, object: 'customer' }, h.clock.now());
    // The first transaction mints its event and holds its commit open; the second commits first.
    const slow = command(h.deps, actor, async (u) => { emitCustomer(u, 'cus_slow'); await u.flush(); minted(); await gate; });
    await mintedEarly;
    await command(h.deps, actor, async (u) => { emitCustomer(u, 'cus_fast'); });
    await pump();
    expect(receiver.received.map((r) => r.object)).toEqual(['cus_fast']);
    release();
    await slow;
    await pump();
    expect(receiver.received.map((r) => r.object)).toEqual(['cus_fast', 'cus_slow']);
    const [fast, slowEvent] = receiver.received;
    expect(slowEvent!.id < fast!.id).toBe(true);
    expect(slowEvent!.sequence).toBeGreaterThan(fast!.sequence);
    await ok(h, 'DELETE', `/v1/webhook_endpoints/${ep.id}`);
  });

  it('a delivery whose endpoint went away after it fell due is given up, not sent', async () => {
    const ep = await endpoint(['customer.created']);
    receiver.received.length = 0;
    await ok(h, 'POST', '/v1/customers', { email: 'orphan@example.com' });
    await sequenceEvents(h.deps.db, h.clock.now());
    // As if the endpoint were deleted between the claim and the send: deleting it through the
    // API gives its pending deliveries up at once, so the claim would never see them.
    await h.database.db.updateTable('webhook_endpoints').set({ deleted_at: h.clock.now() }).where('id', '=', ep.id).execute();
    while (await deliverDue(h.deps, owner) > 0);
    expect(receiver.received).toEqual([]);
    const rows = await h.database.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', ep.id).execute();
    expect(rows.map((d) => [d.status, d.last_error, d.next_attempt_at, (d.history as unknown as unknown[]).length])).toEqual([['failed', 'endpoint deleted', null, 1]]);
  });
});
