import { sql } from 'kysely';
import { systemActor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, UnitOfWork } from '../unit-of-work.ts';
import { refreshEntitlements } from './derive.ts';

// Snapshots recomputed per transaction: enough to amortize the commit, few enough to keep locks short.
const BATCH = 25;

/**
 * The entitlements duty (real time): recomputes snapshots that are stale (a cause marked them,
 * on a test clock or not) or due (a real-time customer's grace period or override ends), a batch
 * at a time, announcing changed sets. Answers how many it recomputed.
 */
export async function recheckDueEntitlements(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  return await deps.db.transaction().execute(async (tx) => {
    // The condition is the partial index's own (migration 033), so the index serves it.
    const due = await tx.selectFrom('customer_entitlements').select(['account_id', 'customer_id'])
      .where(sql<boolean>`(test_clock_id IS NULL OR recheck_at = 'epoch')`).where('recheck_at', '<=', now)
      .orderBy('recheck_at').limit(BATCH).forUpdate().skipLocked().execute();
    for (const d of due) {
      const u = new UnitOfWork(tx, systemActor(d.account_id, deps.workerId));
      await refreshEntitlements(deps, u, d.customer_id);
      await u.flush();
    }
    return due.length;
  });
}

/** Test clocks: recomputes one customer's snapshot if it is still due at their clock's time. */
export async function recheckCustomer(deps: Deps, accountId: string, customerId: string): Promise<void> {
  await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const s = await u.tx.selectFrom('customer_entitlements').select(['recheck_at', 'test_clock_id']).where('account_id', '=', accountId)
      .where('customer_id', '=', customerId).forUpdate().executeTakeFirst();
    if (!s?.recheck_at || s.recheck_at > await nowFor(deps, u.tx, accountId, s.test_clock_id)) return;
    await refreshEntitlements(deps, u, customerId);
  });
}
