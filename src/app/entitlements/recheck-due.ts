import { systemActor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, UnitOfWork } from '../unit-of-work.ts';
import { refreshEntitlements } from './derive.ts';

// Customers recomputed per transaction: enough to amortize the commit, few enough to keep locks short.
const BATCH = 25;
type CustomerKey = { account_id: string; customer_id: string };

async function refreshAll(deps: Deps, tx: UnitOfWork['tx'], customers: CustomerKey[]): Promise<void> {
  for (const c of customers) {
    const u = new UnitOfWork(tx, systemActor(c.account_id, deps.workerId));
    await refreshEntitlements(deps, u, c.customer_id);
    await u.flush();
  }
}

/**
 * Customers with noted changes (any clock: a cause made through the API between two advances
 * counts at once), in (account, customer) order: every transaction that locks several snapshots
 * and may wait for one takes them in that order, so two workers cannot deadlock.
 */
async function recheckNoted(deps: Deps): Promise<number> {
  // Idle polls cost one read, not a transaction.
  if (!await deps.db.selectFrom('entitlement_changes').select('id').limit(1).executeTakeFirst()) return 0;
  return await deps.db.transaction().execute(async (tx) => {
    const noted = await tx.selectFrom('entitlement_changes').select(['account_id', 'customer_id']).orderBy('id').limit(BATCH).forUpdate().skipLocked().execute();
    const keys = [...new Map(noted.map((n) => [`${n.account_id}\u0000${n.customer_id}`, n])).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, n]) => n);
    await refreshAll(deps, tx, keys);
    return keys.length;
  });
}

/** Real-time customers whose grace period or override ran out: their snapshots are locked up front, without waiting for any. */
async function recheckDue(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  if (!await deps.db.selectFrom('customer_entitlements').select('customer_id').where('test_clock_id', 'is', null).where('recheck_at', '<=', now).limit(1).executeTakeFirst()) return 0;
  return await deps.db.transaction().execute(async (tx) => {
    const due = await tx.selectFrom('customer_entitlements').select(['account_id', 'customer_id']).where('test_clock_id', 'is', null)
      .where('recheck_at', '<=', now).orderBy('recheck_at').limit(BATCH).forUpdate().skipLocked().execute();
    await refreshAll(deps, tx, due);
    return due.length;
  });
}

/**
 * The entitlements duty: recomputes the sets of customers a cause was noted for, then of
 * real-time customers whose time ran out, announcing the sets that changed. Answers how many
 * customers it recomputed.
 */
export async function recheckDueEntitlements(deps: Deps): Promise<number> {
  return (await recheckNoted(deps)) + (await recheckDue(deps));
}

/** Test clocks: recomputes one customer's set if a change was noted for them, or their recheck is due at their clock's time. */
export async function recheckCustomer(deps: Deps, accountId: string, customerId: string): Promise<void> {
  await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const noted = await u.tx.selectFrom('entitlement_changes').select('id').where('account_id', '=', accountId).where('customer_id', '=', customerId).limit(1).executeTakeFirst();
    if (!noted) {
      const s = await u.tx.selectFrom('customer_entitlements').select(['recheck_at', 'test_clock_id']).where('account_id', '=', accountId)
        .where('customer_id', '=', customerId).executeTakeFirst();
      if (!s?.recheck_at || s.recheck_at > await nowFor(deps, u.tx, accountId, s.test_clock_id)) return;
    }
    await refreshEntitlements(deps, u, customerId);
  });
}
