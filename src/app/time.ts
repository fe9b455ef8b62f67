import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';
import type { Deps } from './ports.ts';

export type Db = Kysely<DB> | Transaction<DB>;
type ClockRef = { account_id: string; test_clock_id: string | null };

/**
 * Business time for a set of objects, in one query: a test clock's frozen time for objects
 * attached to one (a foreign key guarantees the clock exists), `now` for the rest.
 */
export async function clockTimes(db: Db, now: Date, refs: ClockRef[]): Promise<(ref: { test_clock_id: string | null }) => Date> {
  const attached = refs.filter((r): r is ClockRef & { test_clock_id: string } => r.test_clock_id !== null);
  const rows = attached.length ? await db.selectFrom('test_clocks').select(['id', 'frozen_time'])
    .where('account_id', 'in', [...new Set(attached.map((r) => r.account_id))])
    .where('id', 'in', [...new Set(attached.map((r) => r.test_clock_id))]).execute() : [];
  const times = new Map(rows.map((r) => [r.id, r.frozen_time]));
  return (ref) => (ref.test_clock_id ? times.get(ref.test_clock_id) ?? now : now);
}

/** "Now" for one object of an account. */
export async function nowFor(deps: Pick<Deps, 'clock'>, db: Db, accountId: string, testClockId: string | null): Promise<Date> {
  const ref = { account_id: accountId, test_clock_id: testClockId };
  return (await clockTimes(db, deps.clock.now(), [ref]))(ref);
}
