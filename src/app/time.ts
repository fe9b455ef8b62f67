import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';
import type { Deps } from './ports.ts';

/**
 * "Now" for objects of one account: the test clock's frozen time for objects attached to a
 * test clock, the injected clock otherwise.
 */
export async function nowFor(deps: Pick<Deps, 'clock'>, db: Kysely<DB> | Transaction<DB>, accountId: string, testClockId: string | null): Promise<Date> {
  if (!testClockId) return deps.clock.now();
  const c = await db.selectFrom('test_clocks').select('frozen_time')
    .where('account_id', '=', accountId).where('id', '=', testClockId).executeTakeFirstOrThrow();
  return c.frozen_time;
}
