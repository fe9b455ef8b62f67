import { describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/app/events/api-version.ts';
import { deleteExpiredEvents } from '../../src/app/events/retention.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { startWorker } from '../../src/worker/worker.ts';
import { ok } from '../builders.ts';
import { harness } from '../support.ts';

const DAY = 86_400_000;

describe('the event object, the worker that sequences it, and how long it is kept', async () => {
  const h = await harness();
  const customer = await ok(h, 'POST', '/v1/customers', { email: 'events@example.com', name: 'Before' });
  await ok(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, { amount: -100, currency: 'usd' });
  const [updated, created] = (await ok(h, 'GET', `/v1/events?object_id=${customer.id}`)).data;

  it('GET /v1/events/:id answers the event as webhooks will deliver it; unsequenced at first', async () => {
    const e = await ok(h, 'GET', `/v1/events/${created.id}`);
    expect(e).toEqual({
      id: created.id, object: 'event', type: 'customer.created', created: h.clock.now().toISOString(), api_version: API_VERSION,
      sequence: null, data: { object: expect.objectContaining({ id: customer.id, name: 'Before' }) }, request: expect.stringMatching(/^req_/),
    });
    const u = await ok(h, 'GET', `/v1/events/${updated.id}`);
    expect(u).toMatchObject({ type: 'customer.balance_changed', data: { object: { balance: -100 }, previous_attributes: { balance: 0 } } });
    // Not in the stream until sequenced.
    expect((await ok(h, 'GET', '/v1/events?after_sequence=0')).data).toEqual([]);
  });

  it('the worker sequences committed events on its own, in creation order', async () => {
    const worker = startWorker(h.deps, { concurrency: 1, pollMs: 50, lanes: { events: { loops: 1, pollMs: 20 } } });
    try {
      for (let i = 0; i < 100 && (await ok(h, 'GET', `/v1/events/${updated.id}`)).sequence === null; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await worker.stop();
    }
    const stream = await ok(h, 'GET', `/v1/events?after_sequence=0&object_id=${customer.id}`);
    expect(stream.data.map((e: { id: string }) => e.id)).toEqual([created.id, updated.id]);
    expect(stream.data[1].sequence).toBeGreaterThan(stream.data[0].sequence);
    expect((await ok(h, 'GET', `/v1/events?after_sequence=${stream.data[0].sequence}&object_id=${customer.id}`)).data.map((e: { id: string }) => e.id)).toEqual([updated.id]);
    // Filters apply to the stream too.
    expect((await ok(h, 'GET', '/v1/events?after_sequence=0&type=customer.balance_changed')).data.map((e: { id: string }) => e.id)).toEqual([updated.id]);
    const page = await ok(h, 'GET', '/v1/events?after_sequence=0&limit=1');
    expect(page).toMatchObject({ has_more: true, data: [{ id: created.id }] });
  });

  it('events are kept 30 days after sequencing, even when asked for less; unsequenced ones always', async () => {
    const later = await ok(h, 'POST', '/v1/customers', { email: 'later@example.com' });
    const count = async () => (await ok(h, 'GET', '/v1/events?limit=100')).data.length;
    const all = await count();
    h.clock.advanceMs(30 * DAY - 1);
    expect(await deleteExpiredEvents(h.deps.db, h.clock.now(), { retentionDays: 1 })).toBe(0);
    h.clock.advanceMs(2);
    expect(await deleteExpiredEvents(h.deps.db, h.clock.now(), { retentionDays: 1 })).toBe(all - 1);
    expect(await count()).toBe(1);
    expect((await ok(h, 'GET', `/v1/events?object_id=${later.id}`)).data).toHaveLength(1);
    expect((await h.call('GET', `/v1/events/${created.id}`)).status).toBe(404);
    // Once sequenced, the newer event gets its own 30 days from then.
    await sequenceEvents(h.deps.db, h.clock.now());
    h.clock.advanceMs(29 * DAY);
    expect(await deleteExpiredEvents(h.deps.db, h.clock.now())).toBe(0);
    h.clock.advanceMs(DAY + 1);
    expect(await deleteExpiredEvents(h.deps.db, h.clock.now(), { retentionDays: 45 })).toBe(0);
    h.clock.advanceMs(15 * DAY);
    expect(await deleteExpiredEvents(h.deps.db, h.clock.now(), { retentionDays: 45, batch: 1 })).toBe(1);
    expect(await count()).toBe(0);
  });
});
