import { sql, type Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';

/** One attempt of one delivery, as `rebill webhooks tail` prints it. */
export type Attempt = {
  at: Date;
  status: 'succeeded' | 'retrying' | 'failed';
  statusCode: number | null;
  error: string | null;
  durationMs: number | null;
  accountId: string; endpointId: string; eventType: string; eventId: string;
  /** When the delivery is due again; null when it is not, or not known (an attempt seen after the next one). */
  nextAttemptAt: Date | null;
};

export type TailOptions = {
  since: Date;
  accountId?: string | undefined;
  endpointId?: string | undefined;
  /** How far back each read reaches before the latest change seen (see `deliveryTail`). */
  overlapMs?: number;
};

type HistoryEntry = { at: string; status_code: number | null; duration_ms: number | null; error: string | null };
type Row = {
  account_id: string; id: string; endpoint_id: string; event_id: string; event_type: string; status: string;
  next_attempt_at: Date | null; history: HistoryEntry[]; updated_at: Date; read_at: Date;
};

export const TAIL_OVERLAP_MS = 5_000;
/** Deliveries whose last printed attempt is this much older than the newest change seen are forgotten. */
const REMEMBER_MS = 10 * 60_000;
const PAGE = 500;

/**
 * Follows the attempts recorded on webhook deliveries; each `poll()` answers the ones not
 * answered before, oldest first.
 *
 * A row's `updated_at` is the writer's clock reading taken before its statement commits, so rows
 * do not become visible in `updated_at` order: a slow commit, or a worker whose clock is a little
 * behind, makes a row appear with an `updated_at` older than rows already read, and several rows
 * share one millisecond. A cursor that only moved past the newest `updated_at` would skip them.
 * So each poll reads again everything changed since the newest `updated_at` seen minus
 * `overlapMs` (5 s: commit lag and clock skew between hosts are far below it), ordered by
 * (updated_at, account_id, id) and paged on that key, and what is printed is decided per attempt,
 * not per row: a row comes back with its whole history each time it is read, and each delivery
 * remembers its last printed attempt (its time, and how many printed attempts share that time),
 * so only the attempts after it are new. Reading by attempt also prints attempts of a row that
 * changed twice between two polls. The newest `updated_at` is capped by the database's clock,
 * so a writer whose clock runs ahead cannot push the window past rows still to come.
 *
 * Each delivery remembers the last attempt printed (the history entry itself: its time, code,
 * duration and error), and the attempts after it in its history are the new ones; attempt times
 * are not compared, since two workers' clocks may disagree. A delivery is forgotten once that
 * attempt is ten minutes older than the newest change seen, and the attempts of a delivery not
 * remembered are printed only from that horizon (and `since`) on: a forgotten delivery read
 * again (a manual retry, a replay) prints only its new attempts. Ten minutes is well past the
 * time an attempt can wait for its batch to be recorded (the lease, a minute by default).
 */
export function deliveryTail(db: Kysely<DB>, opts: TailOptions) {
  const overlapMs = opts.overlapMs ?? TAIL_OVERLAP_MS;
  let newest = opts.since.getTime();
  let floor = opts.since.getTime();
  const printed = new Map<string, { entry: string; at: number }>();

  async function read(): Promise<Row[]> {
    const from = new Date(newest - overlapMs);
    const rows: Row[] = [];
    let after: [Date, string, string] | null = null;
    for (;;) {
      const r: { rows: Row[] } = await sql<Row>`
        SELECT account_id, id, endpoint_id, event_id, event_type, status, next_attempt_at, history, updated_at, statement_timestamp() AS read_at
        FROM webhook_deliveries
        WHERE updated_at >= ${from}::timestamptz
          ${after ? sql`AND (updated_at, account_id, id) > (${after[0]}::timestamptz, ${after[1]}, ${after[2]})` : sql``}
          ${opts.accountId ? sql`AND account_id = ${opts.accountId}` : sql``}
          ${opts.endpointId ? sql`AND endpoint_id = ${opts.endpointId}` : sql``}
        ORDER BY updated_at, account_id, id LIMIT ${PAGE}`.execute(db);
      rows.push(...r.rows);
      if (r.rows.length < PAGE) return rows;
      const last = r.rows.at(-1)!;
      after = [last.updated_at, last.account_id, last.id];
    }
  }

  function attemptsOf(row: Row): Attempt[] {
    const key = `${row.account_id}/${row.id}`;
    const seen = printed.get(key);
    let from = 0;
    if (seen) {
      // Past the last printed attempt; not found only if more than a whole history's worth came since.
      for (let i = row.history.length - 1; i >= 0; i--) if (JSON.stringify(row.history[i]) === seen.entry) { from = i + 1; break; }
    }
    const out: Attempt[] = [];
    for (let i = from; i < row.history.length; i++) {
      const h = row.history[i]!;
      const at = Date.parse(h.at);
      if (!seen && at < floor) continue;
      const last = i === row.history.length - 1;
      const ok = h.status_code !== null && h.status_code >= 200 && h.status_code < 300;
      const status = ok ? 'succeeded' : last && row.status === 'failed' ? 'failed' : 'retrying';
      out.push({
        at: new Date(at), status, statusCode: h.status_code, error: h.error, durationMs: h.duration_ms,
        accountId: row.account_id, endpointId: row.endpoint_id, eventType: row.event_type, eventId: row.event_id,
        nextAttemptAt: status === 'retrying' && last ? row.next_attempt_at : null,
      });
      printed.set(key, { entry: JSON.stringify(h), at });
    }
    return out;
  }

  return {
    async poll(): Promise<Attempt[]> {
      const rows = await read();
      const out = rows.flatMap(attemptsOf);
      for (const r of rows) newest = Math.max(newest, Math.min(r.updated_at.getTime(), r.read_at.getTime()));
      const horizon = newest - REMEMBER_MS;
      if (horizon > floor) {
        floor = horizon;
        for (const [key, p] of printed) if (p.at < floor) printed.delete(key);
      }
      return out.sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  };
}

/** time, status, HTTP status or error, duration, account, endpoint, event type, event id, next attempt. */
export function formatAttempt(a: Attempt): string {
  const outcome = a.statusCode !== null ? String(a.statusCode) : JSON.stringify(a.error ?? 'no answer');
  return [a.at.toISOString(), a.status.padEnd(9), outcome, `${a.durationMs ?? '-'}ms`, a.accountId, a.endpointId, a.eventType, a.eventId,
    `next ${a.nextAttemptAt?.toISOString() ?? '-'}`].join('  ');
}
