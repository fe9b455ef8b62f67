import type { Transaction } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';
import { newId } from '../domain/ids.ts';
import type { Actor, Deps } from './ports.ts';


/**
 * One command's transaction. State changes go through `tx`; the audit rows and outbox events
 * the command produces are collected and written at the end, in the same transaction, so a
 * state change never lands without its record (and the two inserts cost one round trip each).
 */
export class UnitOfWork {
  constructor(
    readonly tx: Transaction<DB>,
    readonly actor: Actor,
    private readonly audits: Record<string, unknown>[] = [],
    private readonly events: Record<string, unknown>[] = [],
  ) {}

  /** The same transaction acting for another account (a billing batch spans accounts). */
  as(actor: Actor): UnitOfWork {
    return new UnitOfWork(this.tx, actor, this.audits, this.events);
  }

  get accountId(): string { return this.actor.accountId; }

  audit(action: string, objectType: string, objectId: string, before: unknown, after: unknown, at: Date): void {
    this.audits.push({
      account_id: this.actor.accountId, id: newId('audit'), actor: this.actor.actor, action,
      object_type: objectType, object_id: objectId,
      before: before === null || before === undefined ? null : JSON.stringify(before),
      after: after === null || after === undefined ? null : JSON.stringify(after),
      request_id: this.actor.requestId, at,
    });
  }

  emit(type: string, objectId: string, object: unknown, at: Date, extra: Record<string, unknown> = {}): void {
    this.events.push({
      account_id: this.actor.accountId, id: newId('event'), type, object_id: objectId,
      data: JSON.stringify({ object, ...extra }), request_id: this.actor.requestId, created_at: at,
    });
  }

  async flush(): Promise<void> {
    if (this.audits.length) await this.tx.insertInto('audit_log').values(this.audits as never).execute();
    if (this.events.length) await this.tx.insertInto('events').values(this.events as never).execute();
    this.audits.length = 0;
    this.events.length = 0;
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
