import { sql, type Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { OPEN_ATTEMPT_STATUSES } from '../../domain/payment-attempt-status.ts';

/** The invoice's attempt whose outcome is still unknown, if any (at most one: a unique index). */
export async function attemptInFlight(db: Kysely<DB>, accountId: string, invoiceId: string): Promise<{ id: string } | undefined> {
  return await db.selectFrom('payment_attempts').select('id').where('account_id', '=', accountId)
    .where('invoice_id', '=', invoiceId).where('status', 'in', OPEN_ATTEMPT_STATUSES).executeTakeFirst();
}

/**
 * `('pending', 'unknown')` as literals for raw SQL: a condition written with the very values of
 * the partial indexes lets the planner match them even in a prepared statement's generic plan.
 */
export const OPEN_ATTEMPT_STATUSES_SQL = sql`(${sql.join(OPEN_ATTEMPT_STATUSES.map((s) => sql.lit(s)))})`;
