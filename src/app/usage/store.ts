import { sql, type Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { normalDecimal, type Formula } from '../../domain/usage/aggregate.ts';

/** An event ready to store: checked, its meter and customer resolved. */
export type NewUsageEvent = {
  identifier: string; meterId: string; eventName: string; customerId: string; timestamp: Date;
  value: string | null; uniqueKey: string | null; payload: Record<string, string>;
};
export type MeterRef = { accountId: string; id: string };
export type UsageSummary = { start: Date; end: Date; value: string };
/** One customer's usage of one meter over from <= timestamp < to, leaving out the identifiers in `exclude` (canceled events). */
export type UsageQuery = { meter: MeterRef; formula: Formula; customerId: string; from: Date; to: Date; exclude?: readonly string[] };
export type StoredEvent = { identifier: string; meterId: string; customerId: string; timestamp: Date; value: string | null };

/**
 * Where usage events live. PostgreSQL by default; the interface is what billing and the API
 * use, so an analytical store (ClickHouse) can take the events later without touching them.
 * Every aggregate is a decimal string: exact, never a JS number.
 */
export interface UsageStore {
  /** Stores the events not stored before; answers the identifiers that are new. Exactly once per (account, identifier). */
  insertEvents(accountId: string, events: readonly NewUsageEvent[], now: Date): Promise<Set<string>>;
  /** The aggregate of a meter's events for one customer with from <= timestamp < to. */
  aggregate(meter: MeterRef, customerId: string, from: Date, to: Date, formula: Formula): Promise<string>;
  /** The aggregate per hour or day window (UTC) with from <= timestamp < to; windows without events are left out. */
  summaries(meter: MeterRef, customerId: string, from: Date, to: Date, formula: Formula, window: 'hour' | 'day'): Promise<UsageSummary[]>;
  /** Many aggregates at once (billing measures a batch of subscriptions this way), in the order asked. */
  aggregateMany(queries: readonly UsageQuery[]): Promise<string[]>;
  /** The values of the query's events in the order they happened (the percentage model prices each). */
  valuesInOrder(query: UsageQuery): Promise<string[]>;
  /** One stored event by its identifier, or null. */
  findEvent(accountId: string, identifier: string): Promise<StoredEvent | null>;
}

const SQL_AGGREGATE: Record<Formula, ReturnType<typeof sql>> = {
  sum: sql`coalesce(sum(value), 0)`,
  count: sql`count(*)::numeric`,
  max: sql`coalesce(max(value), 0)`,
  // The same order as the domain's reference: latest timestamp, then the greatest identifier.
  last: sql`coalesce((array_agg(value ORDER BY "timestamp" DESC, identifier DESC))[1], 0)`,
  unique_count: sql`count(DISTINCT unique_key)::numeric`,
};

export class PostgresUsageStore implements UsageStore {
  constructor(private readonly db: Kysely<DB>) {}

  async insertEvents(accountId: string, events: readonly NewUsageEvent[], now: Date): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // One statement per batch, its rows as one array per column, unnested by the server. Measured
    // against the rows as one jsonb parameter (jsonb_to_recordset): a quarter less CPU in
    // PostgreSQL per event, and less in Rebill too (no JSON text of the rows to build).
    const n = events.length;
    const [ids, meters, names, customers, times, values, uniqueKeys, payloads] =
      [new Array<string>(n), new Array<string>(n), new Array<string>(n), new Array<string>(n), new Array<string>(n),
        new Array<string | null>(n), new Array<string | null>(n), new Array<string>(n)];
    events.forEach((e, i) => {
      ids[i] = e.identifier; meters[i] = e.meterId; names[i] = e.eventName; customers[i] = e.customerId;
      times[i] = e.timestamp.toISOString(); values[i] = e.value; uniqueKeys[i] = e.uniqueKey;
      payloads[i] = JSON.stringify(e.payload);
    });
    // Inserted in identifier order, so that two concurrent batches sharing events take their key
    // locks in one order: they wait on each other instead of deadlocking.
    const result = await sql<{ identifier: string }>`
      INSERT INTO meter_events (account_id, identifier, meter_id, event_name, customer_id, "timestamp", value, unique_key, payload, created_at)
      SELECT ${accountId}, r.identifier, r.meter_id, r.event_name, r.customer_id, r.ts, r.value, r.unique_key, r.payload, ${now}
      FROM unnest(${ids}::text[], ${meters}::text[], ${names}::text[], ${customers}::text[], ${times}::timestamptz[],
          ${values}::numeric[], ${uniqueKeys}::text[], ${payloads}::jsonb[])
        AS r(identifier, meter_id, event_name, customer_id, ts, value, unique_key, payload)
      ORDER BY r.identifier COLLATE "C"
      ON CONFLICT (account_id, identifier) DO NOTHING
      RETURNING identifier`.execute(this.db);
    return new Set(result.rows.map((r) => r.identifier));
  }

  async aggregate(meter: MeterRef, customerId: string, from: Date, to: Date, formula: Formula): Promise<string> {
    const r = await sql<{ v: string }>`
      SELECT ${SQL_AGGREGATE[formula]}::text AS v FROM meter_events
      WHERE account_id = ${meter.accountId} AND meter_id = ${meter.id} AND customer_id = ${customerId}
        AND "timestamp" >= ${from} AND "timestamp" < ${to}`.execute(this.db);
    return normalDecimal(r.rows[0]!.v);
  }

  async aggregateMany(queries: readonly UsageQuery[]): Promise<string[]> {
    const out: string[] = new Array<string>(queries.length);
    // One statement per formula for the plain queries; the rare ones with canceled events apart.
    const groups = new Map<Formula, number[]>();
    for (const [i, q] of queries.entries()) {
      if (q.exclude?.length) { out[i] = await this.aggregateExcluding(q); continue; }
      groups.set(q.formula, [...(groups.get(q.formula) ?? []), i]);
    }
    for (const [formula, idx] of groups) {
      const qs = idx.map((i) => queries[i]!);
      const r = await sql<{ i: number; v: string }>`
        SELECT q.i, (SELECT ${SQL_AGGREGATE[formula]} FROM meter_events
          WHERE account_id = q.account AND meter_id = q.meter AND customer_id = q.customer AND "timestamp" >= q.f AND "timestamp" < q.t)::text AS v
        FROM unnest(${idx}::int[], ${qs.map((q) => q.meter.accountId)}::text[], ${qs.map((q) => q.meter.id)}::text[],
          ${qs.map((q) => q.customerId)}::text[], ${qs.map((q) => q.from.toISOString())}::timestamptz[], ${qs.map((q) => q.to.toISOString())}::timestamptz[])
          AS q(i, account, meter, customer, f, t)`.execute(this.db);
      for (const row of r.rows) out[row.i] = normalDecimal(row.v);
    }
    return out;
  }

  private async aggregateExcluding(q: UsageQuery): Promise<string> {
    const r = await sql<{ v: string }>`
      SELECT ${SQL_AGGREGATE[q.formula]}::text AS v FROM meter_events
      WHERE account_id = ${q.meter.accountId} AND meter_id = ${q.meter.id} AND customer_id = ${q.customerId}
        AND "timestamp" >= ${q.from} AND "timestamp" < ${q.to} AND identifier <> ALL(${[...(q.exclude ?? [])]}::text[])`.execute(this.db);
    return normalDecimal(r.rows[0]!.v);
  }

  async valuesInOrder(q: UsageQuery): Promise<string[]> {
    const r = await sql<{ v: string }>`
      SELECT value::text AS v FROM meter_events
      WHERE account_id = ${q.meter.accountId} AND meter_id = ${q.meter.id} AND customer_id = ${q.customerId}
        AND "timestamp" >= ${q.from} AND "timestamp" < ${q.to} AND identifier <> ALL(${[...(q.exclude ?? [])]}::text[])
      ORDER BY "timestamp", identifier`.execute(this.db);
    return r.rows.map((x) => normalDecimal(x.v ?? '0'));
  }

  async findEvent(accountId: string, identifier: string): Promise<StoredEvent | null> {
    const e = await this.db.selectFrom('meter_events').select(['identifier', 'meter_id', 'customer_id', 'timestamp', 'value'])
      .where('account_id', '=', accountId).where('identifier', '=', identifier).executeTakeFirst();
    return e ? { identifier: e.identifier, meterId: e.meter_id, customerId: e.customer_id, timestamp: e.timestamp, value: e.value === null ? null : normalDecimal(String(e.value)) } : null;
  }

  async summaries(meter: MeterRef, customerId: string, from: Date, to: Date, formula: Formula, window: 'hour' | 'day'): Promise<UsageSummary[]> {
    const unit = window === 'hour' ? sql`'hour'` : sql`'day'`;
    const r = await sql<{ start: Date; v: string }>`
      SELECT date_trunc(${unit}, "timestamp", 'UTC') AS start, ${SQL_AGGREGATE[formula]}::text AS v FROM meter_events
      WHERE account_id = ${meter.accountId} AND meter_id = ${meter.id} AND customer_id = ${customerId}
        AND "timestamp" >= ${from} AND "timestamp" < ${to}
      GROUP BY 1 ORDER BY 1`.execute(this.db);
    const ms = window === 'hour' ? 3600_000 : 86_400_000;
    return r.rows.map((x) => ({ start: x.start, end: new Date(x.start.getTime() + ms), value: normalDecimal(x.v) }));
  }
}
