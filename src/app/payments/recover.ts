import { sql, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { isOpenAttempt, OPEN_ATTEMPT_STATUSES } from '../../domain/payment-attempt-status.ts';
import { GatewayUnreachableError, systemActor, type ChargeOutcome, type Deps } from '../ports.ts';
import { gatewayFor } from '../gateways/resolve.ts';
import { nowFor } from '../time.ts';
import { recordCalls, resultOf, timed } from '../gateways/health.ts';
import { chargeRequest, isFinal, sendAttempts } from './collect.ts';
import { failOver, lookupProves, movable, neverReached } from './failover.ts';
import { leaveOpen } from './leave-open.ts';
import { settleAttempts } from './settle.ts';
import type { Row } from '../views.ts';

type Claimed = Row<'payment_attempts'> & { token: string | null; gatewayCustomer: string | null; now: Date };

/**
 * How long a charge may wait for its customer to authenticate (3-D Secure) before recovery gives
 * it up at the processor, in the attempt's business time. Three days: the customer has had the
 * merchant's message for a while; beyond that, leaving it open only blocks every other way of
 * collecting the invoice (a retry, another card) while it could still be completed by surprise.
 * Once cancelled it fails as a soft `authentication_required` decline.
 */
export const ACTION_WINDOW_MS = 72 * 3_600_000;

const abandoned = (a: Claimed) => a.status === 'requires_action' && a.gateway_charge_id !== null && a.now.getTime() - a.created_at.getTime() >= ACTION_WINDOW_MS;

/**
 * Settles an attempt whose outcome was never recorded (timeout, crash between commit and the
 * gateway's answer). The gateway is asked about the attempt's key; if it never saw the key the
 * charge is sent again with the same key, which the gateway deduplicates — so the invoice is
 * charged exactly once whatever happened before. Unless that "never saw it" proves the gateway
 * failed on its own side (failover.ts, `lookupProves`) and the customer has a method on another
 * gateway: then the charge moves there instead. A charge left waiting for its customer past
 * ACTION_WINDOW_MS is cancelled at the processor instead of asked about, where the processor can.
 */
async function recover(deps: Deps, a: Claimed): Promise<'settled' | 'unknown'> {
  const { token: _token, gatewayCustomer: _customer, now: _now, ...attempt } = a;
  const actor = systemActor(a.account_id, deps.workerId);
  let outcome: ChargeOutcome | null;
  try {
    const gateway = await gatewayFor(deps, a.account_id, a.gateway);
    outcome = abandoned(a) && gateway.cancel
      ? await gateway.cancel({ chargeId: a.gateway_charge_id!, attemptId: a.id })
      : await gateway.retrieve({ idempotencyKey: a.idempotency_key, attemptId: a.id, gatewayCustomer: a.gatewayCustomer, attemptedAt: a.created_at });
    if (!outcome && lookupProves(deps, attempt)) {
      const hop = await failOver(deps, actor, attempt, neverReached(attempt));
      if (hop === 'settled') return 'settled';
      if (hop) {
        await sendAttempts(deps, actor, [hop]);
        return 'settled';
      }
    }
    if (!outcome && a.token) {
      const sent = await timed(deps, () => gateway.charge(chargeRequest(a, a.token!, a.gatewayCustomer)));
      outcome = 'value' in sent ? sent.value : null;
      const call = { gateway_called_at: sent.at, gateway_ms: sent.ms, gateway_result: resultOf(outcome) };
      await recordCalls(deps.db, [{ account_id: a.account_id, id: a.id, ...call }]);
      // The settlement below writes the attempt as it now is: with this call, not the one before.
      Object.assign(attempt, call);
      if ('error' in sent) throw sent.error;
    }
  } catch (err) {
    if (!(err instanceof GatewayUnreachableError)) throw err;
    outcome = null;
  }
  if (!isFinal(outcome)) {
    await leaveOpen(deps, actor, attempt, outcome);
    return 'unknown';
  }
  const hop = movable(outcome) ? await failOver(deps, actor, attempt, outcome) : null;
  if (hop === 'settled') return 'settled';
  if (hop) {
    await sendAttempts(deps, actor, [hop]);
    return 'settled';
  }
  await settleAttempts(deps, actor, [{ attempt, outcome }]);
  return 'settled';
}

// A processor that said `processing` or `requires_action` is asked again after the recovery
// delay, then twice as long each time, but at least every six hours: a bank debit may take days
// and a customer may take a day to authenticate; asking every minute would be rude to the
// processor's rate limits and learn nothing sooner. No answer at all is asked about at once.
const ASK_AT_MOST_EVERY_MS = 6 * 3_600_000;
const nextAsk = (delayMs: number) => sql`make_interval(secs => CASE WHEN status IN ('processing', 'requires_action')
  THEN least(${delayMs}::float8 * power(2, least(lookups, 30)), ${Math.max(delayMs, ASK_AT_MOST_EVERY_MS)}::float8)
  ELSE ${delayMs}::float8 END / 1000)`;

/**
 * Takes a lease on the attempt (pushes its recovery times forward) so only one worker asks at a
 * time: `recover_at` in the attempt's business time, `rescue_at` in real time.
 */
async function lease(deps: Deps, tx: Transaction<DB>, accountId: string, id: string, now: Date): Promise<Claimed> {
  const a = await tx.updateTable('payment_attempts')
    .set({
      recover_at: sql<Date>`${now}::timestamptz + ${nextAsk(deps.recoveryDelayMs)}`,
      lookups: sql<number>`lookups + 1`,
      rescue_at: sql<Date | null>`CASE WHEN test_clock_id IS NOT NULL THEN ${new Date(deps.clock.now().getTime() + deps.recoveryDelayMs)}::timestamptz END`,
    })
    .where('account_id', '=', accountId).where('id', '=', id).returningAll()
    .executeTakeFirstOrThrow();
  const pm = a.payment_method_id ? await tx.selectFrom('payment_methods').select(['gateway_token', 'gateway_customer'])
    .where('account_id', '=', accountId).where('id', '=', a.payment_method_id).executeTakeFirst() : undefined;
  return { ...a, token: pm?.gateway_token ?? null, gatewayCustomer: pm?.gateway_customer ?? null, now };
}

/**
 * Real time: recovers the oldest overdue unsettled attempt not held by another worker. Attempts
 * of test-clock customers are due in their clock's time, except one still `pending` in real
 * time past its `rescue_at`: the process that opened it died before hearing from the gateway,
 * and waiting for the clock to move could leave a paid invoice open forever.
 */
export async function recoverNextAttempt(deps: Deps): Promise<boolean> {
  const now = deps.clock.now();
  const claimed = await deps.db.transaction().execute(async (tx) => {
    const a = await tx.selectFrom('payment_attempts').select(['account_id', 'id', 'test_clock_id'])
      .where('status', 'in', OPEN_ATTEMPT_STATUSES).where('test_clock_id', 'is', null).where('recover_at', '<=', now)
      .orderBy('recover_at').limit(1).forUpdate().skipLocked().executeTakeFirst()
      ?? await tx.selectFrom('payment_attempts').select(['account_id', 'id', 'test_clock_id'])
        .where('status', '=', 'pending').where('test_clock_id', 'is not', null).where('rescue_at', '<=', now)
        .orderBy('rescue_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
    if (!a) return undefined;
    return await lease(deps, tx, a.account_id, a.id, await nowFor(deps, tx, a.account_id, a.test_clock_id));
  });
  if (!claimed) return false;
  await recover(deps, claimed);
  return true;
}

/** Test clocks: recovers one named attempt if it is still unsettled and due at the clock's time. */
export async function recoverAttempt(deps: Deps, accountId: string, attemptId: string): Promise<'settled' | 'unknown' | 'not_due'> {
  const claimed = await deps.db.transaction().execute(async (tx) => {
    const a = await tx.selectFrom('payment_attempts').select(['test_clock_id', 'recover_at', 'status'])
      .where('account_id', '=', accountId).where('id', '=', attemptId).forUpdate().executeTakeFirstOrThrow();
    const now = await nowFor(deps, tx, accountId, a.test_clock_id);
    if (!isOpenAttempt(a.status) || !a.recover_at || a.recover_at > now) return undefined;
    return await lease(deps, tx, accountId, attemptId, now);
  });
  return claimed ? await recover(deps, claimed) : 'not_due';
}
