import { sql } from 'kysely';
import type { Deps } from '../ports.ts';
import { nowFor, type Db } from '../time.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import type { NewUsageEvent } from './store.ts';

type QueuedCheck = { customerId: string; testClockId: string | null; at: Date };

/**
 * Queues usage checks: at most one row per customer, due at the earliest time asked. A row a
 * check has claimed meanwhile (`claim` set) is re-armed: its claim cleared and its time brought
 * back, so the running check's DELETE leaves it and the new usage is checked too. Rows go in in
 * customer order, so that two batches locking the same rows cannot deadlock.
 */
async function upsertChecks(db: Db, accountId: string, checks: QueuedCheck[]): Promise<void> {
  const rows = checks.map((c) => ({ customer_id: c.customerId, test_clock_id: c.testClockId, check_at: c.at.toISOString() }));
  await sql`
    INSERT INTO usage_checks (account_id, customer_id, test_clock_id, check_at)
    SELECT ${accountId}, r.customer_id, r.test_clock_id, r.check_at
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(customer_id text, test_clock_id text, check_at timestamptz)
    ORDER BY r.customer_id COLLATE "C"
    ON CONFLICT (account_id, customer_id) DO UPDATE SET claim = NULL, check_at = LEAST(usage_checks.check_at, excluded.check_at)
      WHERE usage_checks.claim IS NOT NULL OR usage_checks.check_at > excluded.check_at`.execute(db);
}

/** One customer's check, due at once, in a command's transaction (an alert created or activated). */
export async function queueUsageCheck(deps: Pick<Deps, 'clock'>, u: UnitOfWork, customerId: string, testClockId: string | null): Promise<void> {
  const at = await nowFor(deps, u.tx, u.accountId, testClockId);
  await upsertChecks(u.tx, u.accountId, [{ customerId, testClockId, at }]);
}

type IngestedCustomer = { id: string; test_clock_id: string | null; usage_watched: boolean };

/**
 * After an ingestion batch: one check per watched customer that got new (accepted) events, due
 * at that customer's now, in one statement. A batch whose customers nobody watches sends nothing.
 */
export async function queueUsageChecks(
  db: Db, accountId: string, customers: readonly IngestedCustomer[], events: readonly NewUsageEvent[], stored: Set<string>,
  nowOf: (c: IngestedCustomer) => Date,
): Promise<void> {
  const watched = customers.filter((c) => c.usage_watched);
  if (!watched.length || !stored.size) return;
  const used = new Set(events.filter((e) => stored.has(e.identifier)).map((e) => e.customerId));
  const checks = watched.filter((c) => used.has(c.id)).map((c) => ({ customerId: c.id, testClockId: c.test_clock_id, at: nowOf(c) }));
  if (checks.length) await upsertChecks(db, accountId, checks);
}
