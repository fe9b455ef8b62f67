import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Deps } from '../ports.ts';
import { checkAlerts } from './alert-check.ts';
import { billThresholds } from './thresholds.ts';

/**
 * What runs when a customer's usage may have changed, in order. Each consumer reads what it
 * needs and must be safe to run again (a check is at-least-once): alerts record their triggers
 * under a unique key; billing thresholds take off what the ledger says was billed already.
 */
const USAGE_CHECKS: { name: string; run: (deps: Deps, accountId: string, customerId: string) => Promise<void> }[] = [
  { name: 'billing_alerts', run: checkAlerts },
  { name: 'billing_thresholds', run: async (deps, accountId, customerId) => { await billThresholds(deps, accountId, customerId); } },
];

/** Runs every usage check of one customer, now. */
export async function checkCustomerUsage(deps: Deps, accountId: string, customerId: string): Promise<void> {
  for (const c of USAGE_CHECKS) await c.run(deps, accountId, customerId);
}

/** Real-time customers checked per poll. */
const BATCH = 25;
/** A claimed check falls due again this long after its claim: a worker that died meanwhile is replaced. */
const CLAIM_MS = 2 * 60_000;

/** Deletes the queued check, unless new usage re-armed it while the check ran (ingestion cleared the claim). */
async function finish(deps: Deps, accountId: string, customerId: string, claim: string): Promise<void> {
  await deps.db.deleteFrom('usage_checks').where('account_id', '=', accountId).where('customer_id', '=', customerId).where('claim', '=', claim).execute();
}

/**
 * The worker's `usage.check` duty: claims due checks of real-time customers (SKIP LOCKED, and
 * moved CLAIM_MS ahead, so another worker passes them by), runs them, deletes them. The claim
 * commits before any check runs: ingestion re-arming a claimed row waits for no check. A check
 * that throws is logged and its row left to fall due again when its claim runs out; the others
 * of the batch go on. Answers how many customers it checked.
 */
export async function runDueUsageChecks(deps: Deps, owner: string): Promise<number> {
  const now = deps.clock.now();
  // Idle polls cost one index probe.
  if (!await deps.db.selectFrom('usage_checks').select('customer_id').where('test_clock_id', 'is', null).where('check_at', '<=', now).limit(1).executeTakeFirst()) return 0;
  const claim = `${owner}:${randomUUID()}`;
  const claimed = await sql<{ account_id: string; customer_id: string }>`
    UPDATE usage_checks SET claim = ${claim}, check_at = ${new Date(now.getTime() + CLAIM_MS)}
    WHERE (account_id, customer_id) IN (
      SELECT account_id, customer_id FROM usage_checks WHERE test_clock_id IS NULL AND check_at <= ${now}
      ORDER BY check_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
    RETURNING account_id, customer_id`.execute(deps.db);
  for (const c of claimed.rows) {
    try {
      await checkCustomerUsage(deps, c.account_id, c.customer_id);
      await finish(deps, c.account_id, c.customer_id, claim);
    } catch (err) {
      deps.log.error({ err, account: c.account_id, customer: c.customer_id }, 'a usage check failed; it runs again when its claim expires');
    }
  }
  return claimed.rows.length;
}

/**
 * Test clocks: runs one customer's queued check during an advance, at the clock's time. The row
 * keeps its time (the advance finds it by it); a failure leaves it, and the advance sets it aside.
 */
export async function runClockUsageCheck(deps: Deps, accountId: string, customerId: string): Promise<void> {
  const claim = randomUUID();
  const row = await deps.db.updateTable('usage_checks').set({ claim }).where('account_id', '=', accountId).where('customer_id', '=', customerId)
    .returning('customer_id').executeTakeFirst();
  if (!row) return;
  try {
    await checkCustomerUsage(deps, accountId, customerId);
    await finish(deps, accountId, customerId, claim);
  } catch (err) {
    deps.log.error({ err, account: accountId, customer: customerId }, 'a usage check on a test clock failed');
  }
}
