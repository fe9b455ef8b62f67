import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { EventType } from '../domain/event-types.ts';
import type { DB } from '../adapters/postgres/schema.ts';
import { newId } from '../domain/ids.ts';
import { API_VERSION } from './events/api-version.ts';
import type { Actor, Deps, StatementRunner } from './ports.ts';

type TableName = keyof DB & string;
type Rows = Record<string, unknown>[];
type Write =
  | { kind: 'insert'; table: TableName; rows: Rows }
  | { kind: 'update'; table: TableName; keys: readonly string[]; rows: Rows; guard: string | null };

/** A conditional write did not hit the rows it expected: someone changed them since they were read. */
export class StaleWriteError extends Error {
  constructor(message: string) { super(message); this.name = 'StaleWriteError'; }
}

const REVISED_BY = new Set<EventType>(['subscription.created', 'subscription.updated', 'subscription.deleted', 'subscription.paused', 'subscription.resumed']);
type SubscriptionLike = {
  object?: unknown; id: string; customer: string; status: string; currency: string; discounts: string[];
  items: { data: { price: string | { id: string }; quantity: number }[] };
};

/** What revenue analytics keeps of a subscription event's object: status, currency, items, discounts. */
function revisionOf(type: EventType, object: unknown) {
  const s = object as SubscriptionLike | null;
  if (!REVISED_BY.has(type) || s?.object !== 'subscription') return null;
  return {
    subscription_id: s.id, customer_id: s.customer, status: s.status, currency: s.currency, discount_ids: s.discounts,
    items: s.items.data.map((i) => ({ price: typeof i.price === 'string' ? i.price : i.price.id, quantity: i.quantity })),
  };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
// bigint has no JSON form of its own; PostgreSQL casts the digits back exactly. Columns are
// converted directly (the fast path); a bigint nested in a jsonb value takes the slow replacer.
function toJson(rows: Rows): string {
  const flat = rows.map((r) => {
    let copy: Record<string, unknown> | null = null;
    for (const k in r) {
      if (typeof r[k] === 'bigint') { copy ??= { ...r }; copy[k] = (r[k] as bigint).toString(); }
    }
    return copy ?? r;
  });
  try {
    return JSON.stringify(flat);
  } catch {
    return JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/**
 * One command's transaction. State changes go through `tx`; writes that nothing later in the
 * command reads — audit rows, outbox events, and whatever a command hands to `insertLater` /
 * `updateLater` — are collected and sent at the end as ONE statement (data-modifying CTEs), in
 * the same transaction. A state change never lands without its record, and a command pays one
 * round trip for all of them, which on this kind of machine is where the time goes.
 *
 * A row must not be both inserted and updated in one flush: all parts of a statement see the
 * same snapshot, so the update would not see the insert.
 */
export class UnitOfWork {
  constructor(
    /** A transaction, or (for single-statement commands) the database itself. */
    readonly tx: Transaction<DB> | Kysely<DB>,
    readonly actor: Actor,
    private readonly writes: Write[] = [],
    /** Set when there is no transaction: the flush is then a named, plan-cached statement. */
    private readonly runner: StatementRunner | null = null,
  ) {}

  /** The same transaction acting for another account (a billing batch spans accounts). */
  as(actor: Actor): UnitOfWork {
    return new UnitOfWork(this.tx, actor, this.writes, this.runner);
  }

  get accountId(): string { return this.actor.accountId; }

  /** Rows to insert at flush; jsonb columns take plain objects, amounts bigint, times Date. */
  insertLater(table: TableName, rows: Rows): void {
    if (rows.length) this.writes.push({ kind: 'insert', table, rows });
  }

  /**
   * Updates by key at flush: every row names the key columns and the columns to set. A row with
   * a `version` is written only if the stored version is still that one (it becomes version + 1);
   * `guard` adds a condition on the stored row (`t`). Every row must be hit, or the flush fails
   * with StaleWriteError and nothing of it is written.
   */
  updateLater(table: TableName, rows: Rows, opts: { keys?: readonly string[]; guard?: string } = {}): void {
    if (rows.length) this.writes.push({ kind: 'update', table, keys: opts.keys ?? ['account_id', 'id'], rows, guard: opts.guard ?? null });
  }

  audit(action: string, objectType: string, objectId: string, before: unknown, after: unknown, at: Date): void {
    this.insertLater('audit_log', [{
      account_id: this.actor.accountId, id: newId('audit'), actor: this.actor.actor, action,
      object_type: objectType, object_id: objectId, before: before ?? null, after: after ?? null,
      request_id: this.actor.requestId, at,
    }]);
  }

  emit(type: EventType, objectId: string, object: unknown, at: Date, extra: Record<string, unknown> = {}): void {
    this.insertLater('events', [{
      account_id: this.actor.accountId, id: newId('event'), type, object_id: objectId,
      data: { object, ...extra }, request_id: this.actor.requestId, created_at: at, api_version: API_VERSION,
    }]);
    // Every change of a subscription is announced by an event; its history rides on the same
    // write, so revenue analytics can never miss one (the outbox itself is pruned later).
    const revision = revisionOf(type, object);
    if (revision) this.insertLater('subscription_revisions', [{ account_id: this.actor.accountId, id: newId('subscriptionRevision'), at, ...revision }]);
  }

  async flush(): Promise<void> {
    if (this.writes.length === 0) return;
    // Rows of one table with the same columns go into one part of the statement.
    const merged = new Map<string, Write>();
    for (const w of this.writes) {
      const shape = `${w.kind}:${w.table}:${w.kind === 'update' ? w.guard : ''}:${Object.keys(w.rows[0]!).join(',')}`;
      const same = merged.get(shape);
      if (same) same.rows.push(...w.rows); else merged.set(shape, { ...w, rows: [...w.rows] });
    }
    this.writes.length = 0;
    const params: string[] = [];
    const checks: string[] = [];
    const parts = [...merged.values()].map((w, i) => {
      params.push(toJson(w.rows));
      const cols = Object.keys(w.rows[0]!);
      if (w.kind === 'insert') {
        const list = cols.map(ident).join(', ');
        return `w${i} AS (INSERT INTO ${ident(w.table)} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${ident(w.table)}, $${i + 1}::jsonb))`;
      }
      // rebill_rows (migration 003) keeps the join on the key index however big the table grows.
      const source = `rebill_rows(NULL::${ident(w.table)}, $${i + 1}::jsonb)`;
      const versioned = cols.includes('version');
      const set = cols.filter((c) => !w.keys.includes(c) && c !== 'version').map((c) => `${ident(c)} = v.${ident(c)}`);
      if (versioned) set.push('"version" = t."version" + 1');
      const on = w.keys.map((k) => `t.${ident(k)} = v.${ident(k)}`);
      if (versioned) on.push('t."version" = v."version"');
      if (w.guard) on.push(`(${w.guard})`);
      checks.push(`rebill_expect((SELECT count(*) FROM w${i}), ${w.rows.length}, '${w.table}')`);
      return `w${i} AS (UPDATE ${ident(w.table)} t SET ${set.join(', ')} FROM ${source} v WHERE ${on.join(' AND ')} RETURNING 1)`;
    });
    const text = `WITH ${parts.join(',\n')} SELECT ${checks.length ? checks.join(' AND ') : '1'}`;
    try {
      if (this.runner) await this.runner(text, params);
      else await this.tx.executeQuery(CompiledQuery.raw(text, params));
    } catch (err) {
      if ((err as { code?: string }).code === 'RB001') throw new StaleWriteError((err as Error).message);
      throw err;
    }
  }
}

/**
 * Runs `fn` without a transaction: its reads take no locks and everything it writes goes out as
 * one statement at the end, which PostgreSQL applies atomically on its own. For commands whose
 * reads may go stale safely, and whose conditional writes say when they did not.
 */
export async function atomically<T>(deps: Pick<Deps, 'db' | 'runStatement'>, actor: Actor, fn: (u: UnitOfWork) => Promise<T>): Promise<T> {
  const u = new UnitOfWork(deps.db, actor, [], deps.runStatement ?? null);
  const result = await fn(u);
  await u.flush();
  return result;
}

/**
 * Runs an optimistic command (see `atomically`) again when its conditional writes found their
 * rows changed by someone else; each run reads afresh. A run loses only to another command that
 * succeeded, so among n racing commands none needs more than n runs. Gives up after `runs`.
 */
export async function retryingStale<T>(run: () => Promise<T>, runs = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof StaleWriteError) || i >= runs) throw err;
    }
  }
}

/** Runs `fn` in one transaction with its audit and outbox writes. */
export async function command<T>(deps: Pick<Deps, 'db'>, actor: Actor, fn: (u: UnitOfWork) => Promise<T>): Promise<T> {
  return await deps.db.transaction().execute(async (tx) => {
    const u = new UnitOfWork(tx, actor);
    const result = await fn(u);
    await u.flush();
    return result;
  });
}
