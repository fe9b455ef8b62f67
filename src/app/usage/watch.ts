import { sql, type RawBuilder } from 'kysely';
import type { UnitOfWork } from '../unit-of-work.ts';

/**
 * Why a customer's usage is watched, each an SQL condition on the customer (account `a`,
 * customer `c`): ingestion queues a usage check for a watched customer only. Billing thresholds
 * add their condition here.
 */
const WATCHED_BY: ((accountId: string, customerId: string) => RawBuilder<boolean>)[] = [
  (a, c) => sql<boolean>`EXISTS (SELECT 1 FROM billing_alerts WHERE account_id = ${a} AND customer_id = ${c} AND status = 'active')`,
  (a, c) => sql<boolean>`EXISTS (SELECT 1 FROM subscriptions WHERE account_id = ${a} AND customer_id = ${c} AND billing_threshold_amount IS NOT NULL AND status IN ('active', 'past_due', 'trialing'))`,
];

/**
 * Marks the customer watched: call it in the transaction that gives it something to watch for
 * (an active alert). It writes even when the flag is already set: the row lock it takes makes a
 * concurrent refreshWatch wait for this transaction, and then see what it added.
 */
export async function watchCustomer(u: UnitOfWork, customerId: string): Promise<void> {
  await u.tx.updateTable('customers').set({ usage_watched: true }).where('account_id', '=', u.accountId).where('id', '=', customerId).execute();
}

/**
 * Recomputes whether the customer is watched, after something it was watched for went away.
 * The customer row is locked first, so the conditions read below see every transaction that
 * marked it watched before this one got the lock: a concurrent watchCustomer is never undone.
 */
export async function refreshWatch(u: UnitOfWork, customerId: string): Promise<void> {
  const locked = await u.tx.selectFrom('customers').select('usage_watched').where('account_id', '=', u.accountId).where('id', '=', customerId)
    .forNoKeyUpdate().executeTakeFirst();
  if (!locked) return;
  const watched = sql<boolean>`(${sql.join(WATCHED_BY.map((w) => w(u.accountId, customerId)), sql` OR `)})`;
  await sql`UPDATE customers SET usage_watched = ${watched} WHERE account_id = ${u.accountId} AND id = ${customerId} AND usage_watched IS DISTINCT FROM ${watched}`.execute(u.tx);
}
