import { describe, expect, it } from 'vitest';
import type { EventType } from '../../src/domain/event-types.ts';
import { sequenceEvents } from '../../src/app/events/sequencer.ts';
import { command } from '../../src/app/unit-of-work.ts';
import { ok } from '../builders.ts';
import { harness } from '../support.ts';

/**
 * Event ids are minted before commit, so ids are not commit ordered; the sequence is. A consumer
 * following `GET /v1/events?after_sequence=N` must see every event exactly once, in order.
 */
describe('commit-ordered events', async () => {
  const h = await harness();
  const actor = { accountId: h.accountId, actor: 'test', requestId: null };
  const sequence = () => sequenceEvents(h.deps.db, h.clock.now());

  /** A consumer that remembers the last sequence it processed, as docs/api.md tells one to. */
  function follower() {
    let last = 0;
    const seen: { id: string; sequence: number }[] = [];
    return {
      seen,
      async poll() {
        for (;;) {
          const page = await ok(h, 'GET', `/v1/events?after_sequence=${last}&limit=100`);
          for (const e of page.data) { seen.push({ id: e.id, sequence: e.sequence }); last = e.sequence; }
          if (!page.has_more) return;
        }
      },
    };
  }

  it('an event whose transaction commits after a later-minted one is still delivered, in commit order', async () => {
    await sequence();
    const consumer = follower();
    await consumer.poll();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let early = '';
    let minted!: () => void;
    const mintedEarly = new Promise<void>((r) => { minted = r; });
    // Transaction 1 mints its event id first, writes it, and holds its commit open on its own connection.
    const slow = command(h.deps, actor, async (u) => {
      u.emit('test.slow' as EventType, 'obj_slow', { id: 'obj_slow' }, h.clock.now());
      await u.flush();
      early = (await u.tx.selectFrom('events').select('id').where('type', '=', 'test.slow').executeTakeFirstOrThrow()).id;
      minted();
      await gate;
    });
    await mintedEarly;
    // Transaction 2, on another connection, mints a later id and commits first.
    await command(h.deps, actor, async (u) => { u.emit('test.fast' as EventType, 'obj_fast', { id: 'obj_fast' }, h.clock.now()); });
    const late = (await h.database.db.selectFrom('events').select('id').where('type', '=', 'test.fast').executeTakeFirstOrThrow()).id;
    expect(late > early).toBe(true);

    await sequence();
    await consumer.poll();
    expect(consumer.seen.map((e) => e.id)).toEqual([late]);
    // A consumer paging by id would now stand past `early` and never see it.
    const newestById = (await ok(h, 'GET', '/v1/events?limit=1')).data[0];
    expect(newestById.id).toBe(late);

    release();
    await slow;
    expect((await ok(h, 'GET', `/v1/events/${early}`)).sequence).toBeNull();
    await sequence();
    await consumer.poll();
    expect(consumer.seen.map((e) => e.id)).toEqual([late, early]);
    expect(consumer.seen[1]!.sequence).toBeGreaterThan(consumer.seen[0]!.sequence);
    expect((await ok(h, 'GET', `/v1/events/${early}`)).sequence).toBe(consumer.seen[1]!.sequence);
  });

  it('two sequencers and a following consumer racing many committing writers: every event once, none skipped', async () => {
    await sequence();
    const consumer = follower();
    await consumer.poll();
    const before = consumer.seen.length;
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 60; i++) {
        await command(h.deps, actor, async (u) => {
          u.emit('test.race' as EventType, `obj_${w}_${i}`, { id: `obj_${w}_${i}` }, h.clock.now());
          if (i % 3 === 0) u.emit('test.race' as EventType, `obj_${w}_${i}b`, { id: `obj_${w}_${i}b` }, h.clock.now());
        });
      }
    });
    const sequencers = Array.from({ length: 2 }, async () => { while (writing) await sequence(); });
    const reading = (async () => { while (writing) await consumer.poll(); })();
    await Promise.all(writers);
    writing = false;
    await Promise.all([...sequencers, reading]);
    await sequence();
    await consumer.poll();

    const all = await h.database.pool.query<{ id: string; sequence: string }>("SELECT id, sequence FROM events WHERE type = 'test.race' ORDER BY sequence");
    expect(all.rows).toHaveLength(4 * 80);
    const got = consumer.seen.slice(before).filter((e) => all.rows.some((r) => r.id === e.id));
    expect(got.map((e) => e.id).sort()).toEqual(all.rows.map((r) => r.id).sort());
    expect(new Set(consumer.seen.map((e) => e.id)).size).toBe(consumer.seen.length);
    // Assigned once each, without holes: the whole table's sequences run 1..n.
    const span = await h.database.pool.query<{ n: number; lo: number; hi: number }>('SELECT count(*)::int AS n, min(sequence)::int AS lo, max(sequence)::int AS hi FROM events WHERE sequence IS NOT NULL');
    expect(span.rows[0]).toEqual({ n: span.rows[0]!.hi, lo: 1, hi: span.rows[0]!.hi });
    expect(consumer.seen.map((e) => e.sequence)).toEqual([...consumer.seen.map((e) => e.sequence)].sort((a, b) => a - b));
  });

  it('sequences a backlog of 50,000 events in (created_at, id) order, and says how fast', async () => {
    await sequence();
    await h.database.pool.query(`INSERT INTO events (account_id, id, type, object_id, data, created_at)
      SELECT $1, 'evt_bulk_' || lpad(i::text, 6, '0'), 'test.bulk', 'obj_bulk', '{"object": {}}', $2::timestamptz - (i % 97) * interval '1 second'
        FROM generate_series(1, 50000) i`, [h.accountId, h.clock.now()]);
    const started = performance.now();
    const run = await sequence();
    const ms = performance.now() - started;
    console.log(`sequencer: ${run.sequenced} events in ${ms.toFixed(0)} ms (${Math.round(run.sequenced / (ms / 1000))} events/s)`);
    expect(run.sequenced).toBe(50_000);
    const order = await h.database.pool.query<{ misplaced: number }>(`SELECT count(*)::int AS misplaced FROM (
      SELECT sequence, lag(sequence) OVER (ORDER BY created_at, id) AS before FROM events WHERE type = 'test.bulk') s WHERE before IS NOT NULL AND before >= sequence`);
    expect(order.rows[0]!.misplaced).toBe(0);
  });
});
