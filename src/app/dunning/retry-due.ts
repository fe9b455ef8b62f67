import { reattemptAllowed } from '../../domain/declines-network.ts';
import { openAttempt, sendAttempts, type PendingCharge } from '../payments/collect.ts';
import { attemptInFlight } from '../payments/in-flight.ts';
import { systemActor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, UnitOfWork } from '../unit-of-work.ts';
import type { Row } from '../views.ts';
import { cardDeclines, closeCase, exhaust } from './cases.ts';
import { dunningCaseView } from './view.ts';

/** How long a retry waits when a payment of its invoice is still in flight: its settlement replans the case anyway. */
const IN_FLIGHT_WAIT_MS = 3_600_000;

/**
 * One due case, in its transaction: a retry opens a payment attempt on the invoice's current
 * payment method (the subscription's, else the customer's default), checked once more against the
 * card networks' limits; a case that was waiting for a new card or the merchant until its
 * deadline is exhausted. The attempt is sent after commit; its settlement (dunning.payment_settled)
 * plans the next step.
 */
async function stepCase(deps: Deps, u: UnitOfWork, c: Row<'dunning_cases'>): Promise<PendingCharge | null> {
  const invoice = await u.tx.selectFrom('invoices').selectAll().where('account_id', '=', c.account_id).where('id', '=', c.invoice_id).forUpdate().executeTakeFirstOrThrow();
  const now = await nowFor(deps, u.tx, c.account_id, c.test_clock_id);
  const write = async (after: Row<'dunning_cases'>) => {
    await u.tx.updateTable('dunning_cases').set({ status: after.status, awaiting: after.awaiting, retries: after.retries, next_attempt_at: after.next_attempt_at,
      ended_at: after.ended_at, end_reason: after.end_reason, updated_at: now, version: c.version + 1 })
      .where('account_id', '=', c.account_id).where('id', '=', c.id).where('version', '=', c.version).execute();
    u.audit('dunning_case.updated', 'dunning_case', c.id, dunningCaseView(c), dunningCaseView(after), now);
    u.emit(after.status === 'active' ? 'dunning_case.updated' : 'dunning_case.closed', c.id, dunningCaseView(after), now);
  };
  if (invoice.status !== 'open') {
    closeCase(u, c, invoice.status === 'paid' ? 'recovered' : 'canceled', invoice.status === 'paid' ? 'paid' : `invoice_${invoice.status}`, now);
    return null;
  }
  if (c.awaiting !== 'retry') {
    await write(await exhaust(deps, u, c, c.awaiting === 'merchant' ? 'merchant_did_not_act' : 'no_new_payment_method', now));
    return null;
  }
  if (await attemptInFlight(u.tx, c.account_id, c.invoice_id)) {
    await write({ ...c, next_attempt_at: new Date(now.getTime() + IN_FLIGHT_WAIT_MS), updated_at: now });
    return null;
  }
  const sub = c.subscription_id ? await u.tx.selectFrom('subscriptions').select('default_payment_method_id').where('account_id', '=', c.account_id).where('id', '=', c.subscription_id).executeTakeFirst() : undefined;
  const customer = await u.tx.selectFrom('customers').select('default_payment_method_id').where('account_id', '=', c.account_id).where('id', '=', c.customer_id).executeTakeFirstOrThrow();
  const pmId = sub?.default_payment_method_id ?? customer.default_payment_method_id;
  const pm = pmId ? await u.tx.selectFrom('payment_methods').select(['id', 'gateway_token', 'gateway', 'gateway_customer']).where('account_id', '=', c.account_id).where('id', '=', pmId).executeTakeFirst() : undefined;
  if (!pm) {
    await write({ ...c, awaiting: 'new_payment_method', next_attempt_at: c.grace_ends_at > now ? c.grace_ends_at : now, updated_at: now });
    return null;
  }
  // Declines of other invoices on this card may have used up the networks' allowance meanwhile.
  const verdict = reattemptAllowed(await cardDeclines(u.tx, c.account_id, pm.id, now), now);
  if (!verdict.allowed) {
    await write(verdict.nextAllowedAt ? { ...c, next_attempt_at: verdict.nextAllowedAt, updated_at: now } : { ...c, awaiting: 'new_payment_method', updated_at: now });
    return null;
  }
  await write({ ...c, retries: c.retries + 1, next_attempt_at: null, updated_at: now });
  return await openAttempt(deps, u, invoice, pm, c.test_clock_id, now);
}

// Cases stepped per transaction: enough to amortize the commit, few enough to keep locks short.
const BATCH = 25;

/** Real time: steps due cases of real-time customers, a batch at a time; answers how many. */
export async function retryDueCases(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const pending: PendingCharge[] = [];
  const stepped = await deps.db.transaction().execute(async (tx) => {
    const due = await tx.selectFrom('dunning_cases').selectAll().where('status', '=', 'active').where('test_clock_id', 'is', null)
      .where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(BATCH).forUpdate().skipLocked().execute();
    for (const c of due) {
      const u = new UnitOfWork(tx, systemActor(c.account_id, deps.workerId));
      const p = await stepCase(deps, u, c);
      await u.flush();
      if (p) pending.push(p);
    }
    return due.length;
  });
  if (pending.length) await sendAttempts(deps, systemActor(pending[0]!.attempt.account_id, deps.workerId), pending);
  return stepped;
}

/** Test clocks: steps one named case if it is still due at its clock's time. */
export async function retryCase(deps: Deps, accountId: string, caseId: string): Promise<void> {
  const pending = await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const c = await u.tx.selectFrom('dunning_cases').selectAll().where('account_id', '=', accountId).where('id', '=', caseId).forUpdate().executeTakeFirst();
    if (!c || c.status !== 'active' || !c.next_attempt_at) return null;
    if (c.next_attempt_at > await nowFor(deps, u.tx, accountId, c.test_clock_id)) return null;
    return await stepCase(deps, u, c);
  });
  if (pending) await sendAttempts(deps, systemActor(accountId, deps.workerId), [pending]);
}
