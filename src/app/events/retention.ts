import { sql, type Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';

/** Events are kept at least this long; a shorter configured retention is raised to it. */
export const MIN_EVENT_RETENTION_DAYS = 30;

/**
 * Deletes events that entered the stream (were sequenced) more than `retentionDays` before `now`
 * (never fewer than 30 days). Unsequenced events are never deleted: nobody has been able to read
 * them in order yet. Meant to run hourly (the worker does; the job engine will schedule it).
 *
 * Deletes from the head of the stream in batches and stops at the first event still young enough,
 * so a run reads only what it deletes (plus one batch) however long the stream is. Sequenced-at
 * times grow with the sequence while the clock moves forward; if it ever moved back, this only
 * stops early and keeps events longer, never shorter.
 */
export async function deleteExpiredEvents(db: Kysely<DB>, now: Date, opts: { retentionDays?: number; batch?: number } = {}): Promise<number> {
  const days = Math.max(MIN_EVENT_RETENTION_DAYS, opts.retentionDays ?? MIN_EVENT_RETENTION_DAYS);
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const batch = opts.batch ?? 5000;
  let deleted = 0;
  for (;;) {
    const r = await sql`WITH head AS (SELECT sequence FROM events WHERE sequence IS NOT NULL ORDER BY sequence LIMIT ${batch})
      DELETE FROM events e USING head WHERE e.sequence = head.sequence AND e.sequenced_at < ${cutoff}`.execute(db);
    const n = Number(r.numAffectedRows ?? 0n);
    deleted += n;
    if (n < batch) return deleted;
  }
}
