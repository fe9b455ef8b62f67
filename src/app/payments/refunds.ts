import { gatewayFor } from '../gateways/resolve.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { GatewayUnreachableError, systemActor, type Actor, type Deps, type RefundOutcome } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { refundView, type Row } from '../views.ts';

const OPEN = ['pending', 'unknown'] as const;

/**
 * Records a refund of `amount` from the invoice's successful payment inside the caller's
 * transaction, before the gateway hears of it (as payment attempts are): once committed, a
 * crash at any later point is healed by asking the gateway about the refund's key.
 */
export async function openRefund(deps: Pick<Deps, 'gateway' | 'recoveryDelayMs' | 'clock'>, u: UnitOfWork,
  invoice: Row<'invoices'>, creditNoteId: string, amount: bigint, now: Date): Promise<Row<'refunds'>> {
  const paid = await u.tx.selectFrom('payment_attempts').select(['id', 'amount', 'gateway', 'gateway_charge_id'])
    .where('account_id', '=', u.accountId).where('invoice_id', '=', invoice.id).where('status', '=', 'succeeded').orderBy('id').execute();
  const refunded = await u.tx.selectFrom('refunds').select(['payment_attempt_id', 'amount'])
    .where('account_id', '=', u.accountId).where('invoice_id', '=', invoice.id).where('status', '!=', 'failed').execute();
  const left = (p: { id: string; amount: bigint }) => BigInt(p.amount) - refunded.filter((r) => r.payment_attempt_id === p.id).reduce((a, r) => a + BigInt(r.amount), 0n);
  const from = paid.find((p) => p.gateway_charge_id && left(p) >= amount);
  if (!from) {
    const most = paid.reduce((a, p) => (left(p) > a ? left(p) : a), 0n);
    throw invalid('refund_exceeds_payment', `at most ${most} of the invoice's payments can still be refunded through the gateway`, 'refund_amount');
  }
  const id = newId('refund');
  const row: Row<'refunds'> = {
    account_id: u.accountId, id, credit_note_id: creditNoteId, invoice_id: invoice.id, payment_attempt_id: from.id, customer_id: invoice.customer_id,
    gateway: from.gateway, gateway_charge_id: from.gateway_charge_id!, idempotency_key: `rebill:${u.accountId}:${id}`, amount, currency: invoice.currency,
    status: 'pending', gateway_refund_id: null, failure_message: null, origin: 'rebill',
    // Real time even on a test clock: a refund's fate does not wait for anyone to move a clock.
    recover_at: new Date(deps.clock.now().getTime() + deps.recoveryDelayMs), created_at: now, updated_at: now,
  };
  u.insertLater('refunds', [row]);
  u.audit('refund.created', 'refund', id, null, refundView(row), now);
  return row;
}

/** Records the gateway's answer once: only a refund still pending or unknown changes. */
export async function settleRefund(deps: Deps, actor: Actor, r: Row<'refunds'>, outcome: RefundOutcome): Promise<void> {
  if (outcome.status === 'pending') {
    // Known to the processor, not final: kept open (with its id) for recovery to ask again.
    await deps.db.updateTable('refunds').set({ status: 'unknown', gateway_refund_id: outcome.refundId, updated_at: deps.clock.now() })
      .where('account_id', '=', r.account_id).where('id', '=', r.id).where('status', 'in', OPEN).execute();
    return;
  }
  await command(deps, actor, async (u) => {
    const now = deps.clock.now();
    const done = await u.tx.updateTable('refunds').set({
      status: outcome.status, gateway_refund_id: outcome.refundId, recover_at: null, updated_at: now,
      failure_message: outcome.status === 'failed' ? `${outcome.code}: ${outcome.message}` : null,
    }).where('account_id', '=', r.account_id).where('id', '=', r.id).where('status', 'in', OPEN).returningAll().executeTakeFirst();
    if (!done) return;
    const view = refundView(done);
    u.audit(`refund.${done.status}`, 'refund', done.id, { status: r.status }, view, now);
    u.emit(done.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed', done.id, view, now);
  });
}

/** Asks the gateway for a recorded refund; no answer leaves it `unknown` for recovery. */
export async function sendRefund(deps: Deps, actor: Actor, r: Row<'refunds'>): Promise<void> {
  let outcome: RefundOutcome;
  try {
    const gateway = await gatewayFor(deps, r.account_id, r.gateway);
    outcome = await gateway.refund({ idempotencyKey: r.idempotency_key, chargeId: r.gateway_charge_id, amount: r.amount, currency: r.currency, reference: r.credit_note_id ?? r.invoice_id, refundId: r.id });
  } catch (err) {
    if (!(err instanceof GatewayUnreachableError)) throw err;
    deps.log.warn({ refund: r.id, err: err.message }, 'gateway did not answer; refund outcome unknown until recovery');
    await deps.db.updateTable('refunds').set({ status: 'unknown', updated_at: deps.clock.now() })
      .where('account_id', '=', r.account_id).where('id', '=', r.id).where('status', '=', 'pending').execute();
    return;
  }
  await settleRefund(deps, actor, r, outcome);
}

/**
 * Settles the oldest overdue refund whose outcome was never recorded: the gateway is asked about
 * its key, and if it never saw it, the refund is sent again under that key — so money goes back
 * once whatever happened before. The claim pushes `recover_at` on so one worker asks at a time.
 */
export async function recoverNextRefund(deps: Deps): Promise<boolean> {
  const now = deps.clock.now();
  const claimed = await deps.db.transaction().execute(async (tx) => {
    const r = await tx.selectFrom('refunds').select(['account_id', 'id']).where('status', 'in', OPEN).where('recover_at', '<=', now)
      .orderBy('recover_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
    if (!r) return undefined;
    return await tx.updateTable('refunds').set({ recover_at: new Date(now.getTime() + deps.recoveryDelayMs) })
      .where('account_id', '=', r.account_id).where('id', '=', r.id).returningAll().executeTakeFirstOrThrow();
  });
  if (!claimed) return false;
  const actor = systemActor(claimed.account_id, deps.workerId);
  let known: RefundOutcome | null;
  try {
    known = await (await gatewayFor(deps, claimed.account_id, claimed.gateway)).retrieveRefund({ idempotencyKey: claimed.idempotency_key, refundId: claimed.id, chargeId: claimed.gateway_charge_id });
  } catch (err) {
    if (!(err instanceof GatewayUnreachableError)) throw err;
    return true;
  }
  if (known) await settleRefund(deps, actor, claimed, known);
  else await sendRefund(deps, actor, claimed);
  return true;
}

export async function getRefund(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('refunds').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('refund', id, 'id');
  return refundView(row);
}

export async function listRefunds(deps: Deps, accountId: string, page: Page & { invoice?: string | undefined; credit_note?: string | undefined }) {
  let q = deps.db.selectFrom('refunds').selectAll().where('account_id', '=', accountId);
  if (page.invoice) q = q.where('invoice_id', '=', page.invoice);
  if (page.credit_note) q = q.where('credit_note_id', '=', page.credit_note);
  return await paginate(q, 'id', page, refundView);
}
