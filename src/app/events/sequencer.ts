import { sql, type Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { fanOut } from '../webhooks/fanout.ts';
import { fanOutNotifications } from '../notifications/fanout.ts';

// Any constant, distinct from the migrator's: one sequencer run at a time, in any process.
const SEQUENCER_LOCK = 7_260_417_015;

export type SequencerRun = { sequenced: number; last: bigint | null };

/**
 * Gives committed events without a sequence the next sequences, oldest first by (created_at, id),
 * in one short transaction holding a transaction-level advisory lock. Runs are serialized and each
 * sees every event committed before it took the lock, so every sequence it assigns is above every
 * sequence already visible, and its assignments become visible together at its commit: a consumer
 * reading "sequence > N" in order can never see N+k before N+1 exists — nor skip an event whose
 * transaction committed late (it simply gets a later sequence).
 *
 * The same transaction fans the events out to webhook endpoints (webhooks/fanout.ts) and turns
 * them into customer messages (notifications/fanout.ts).
 *
 * With `wait: false` a run that finds another run in progress returns at once (that run, or the
 * next one, picks the events up). Repeats in batches of `batch` until nothing is left.
 */
export async function sequenceEvents(db: Kysely<DB>, now: Date, opts: { batch?: number; wait?: boolean } = {}): Promise<SequencerRun> {
  const batch = opts.batch ?? 5000;
  let total = 0;
  let last: bigint | null = null;
  for (;;) {
    const run = await db.transaction().execute(async (tx) => {
      if (opts.wait === false) {
        const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${SEQUENCER_LOCK}::bigint) AS ok`.execute(tx);
        if (!got.rows[0]!.ok) return null;
      } else {
        await sql`SELECT pg_advisory_xact_lock(${SEQUENCER_LOCK}::bigint)`.execute(tx);
      }
      // A fresh snapshot, taken after the lock: it sees the previous run's commit.
      const todo = await tx.selectFrom('events').select(['account_id', 'id', 'type', 'object_id']).where('sequence', 'is', null)
        .orderBy('created_at').orderBy('id').limit(batch).execute();
      if (todo.length === 0) return { n: 0, last: null };
      // A block of todo.length values; nobody else draws from the sequence while we hold the lock.
      const block = await sql<{ last: bigint }>`SELECT setval('events_sequence_seq', nextval('events_sequence_seq') + ${todo.length}::bigint - 1) AS last`.execute(tx);
      const top = block.rows[0]!.last;
      const first = top - BigInt(todo.length) + 1n;
      await sql`UPDATE events e SET sequence = ${first}::bigint + t.n - 1, sequenced_at = ${now}
        FROM unnest(${todo.map((r) => r.account_id)}::text[], ${todo.map((r) => r.id)}::text[]) WITH ORDINALITY AS t(account_id, id, n)
        WHERE e.account_id = t.account_id AND e.id = t.id`.execute(tx);
      const sequenced = todo.map((e, i) => ({ ...e, sequence: first + BigInt(i) }));
      await fanOut(tx, sequenced, now);
      await fanOutNotifications(tx, sequenced, now);
      return { n: todo.length, last: top };
    });
    if (run === null) break;
    total += run.n;
    if (run.last !== null) last = run.last;
    if (run.n < batch) break;
  }
  return { sequenced: total, last };
}
