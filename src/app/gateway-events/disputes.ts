import { sql } from 'kysely';
import { disputeAdvances, isClosedDispute, type DisputeStatus } from '../../domain/dispute-status.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { disputeView, type Row } from '../views.ts';
import { applied, attemptOf, ignored, unmatched, type Applied, type EventRow, type Subject } from './subject.ts';

/**
 * Moves the open-dispute marks of the dispute's invoice and customer by `by` (+1 opened, -1
 * closed). Increments in place: no other write touches these columns, so no version is needed.
 */
async function mark(u: UnitOfWork, d: Row<'disputes'>, by: 1 | -1): Promise<void> {
  await u.tx.updateTable('invoices').set({ open_disputes: sql`open_disputes + ${by}` })
    .where('account_id', '=', d.account_id).where('id', '=', d.invoice_id).execute();
  await u.tx.updateTable('customers').set({ open_disputes: sql`open_disputes + ${by}` })
    .where('account_id', '=', d.account_id).where('id', '=', d.customer_id).execute();
}

/**
 * A processor's dispute event: the first creates the dispute (and marks its invoice and customer
 * while it is open); later ones move it only forward in the processor's time (dispute-status.ts),
 * so an update delivered after the close, or twice, changes nothing.
 */
export async function applyDispute(deps: Deps, actor: Actor, ev: EventRow, s: Subject<'dispute'>): Promise<Applied> {
  const paid = await attemptOf(deps, ev, { chargeId: s.chargeId });
  return await command(deps, actor, async (u) => {
    const now = deps.clock.now();
    const existing = () => u.tx.selectFrom('disputes').selectAll().where('account_id', '=', ev.account_id).where('gateway', '=', ev.gateway)
      .where('gateway_dispute_id', '=', s.gatewayDisputeId).forUpdate().executeTakeFirst();
    let before = await existing();
    if (!before) {
      if (!paid) return unmatched('no payment of this gateway carries the disputed charge');
      const row: Row<'disputes'> = {
        account_id: ev.account_id, id: newId('dispute'), gateway: ev.gateway, gateway_dispute_id: s.gatewayDisputeId, gateway_charge_id: s.chargeId,
        payment_attempt_id: paid.id, invoice_id: paid.invoice_id, customer_id: paid.customer_id, amount: s.amount, currency: s.currency,
        status: s.status as string, gateway_status: s.gatewayStatus, reason: s.reason, occurred_at: ev.occurred_at,
        closed_at: isClosedDispute(s.status) ? now : null, created_at: now, updated_at: now,
      };
      const inserted = await u.tx.insertInto('disputes').values(row)
        .onConflict((oc) => oc.columns(['account_id', 'gateway', 'gateway_dispute_id']).doNothing()).returning('id').executeTakeFirst();
      if (inserted) {
        const view = disputeView(row);
        u.audit('dispute.created', 'dispute', row.id, null, view, now);
        u.emit('dispute.created', row.id, view, now);
        if (isClosedDispute(s.status)) u.emit('dispute.closed', row.id, view, now);
        else await mark(u, row, 1);
        return applied;
      }
      // Another event of the same dispute created it just now: this one is an update of it.
      before = await existing();
      if (!before) throw new Error(`dispute ${s.gatewayDisputeId} vanished`);
    }
    const from = { status: before.status as DisputeStatus, at: before.occurred_at };
    if (!disputeAdvances(from, { status: s.status, at: ev.occurred_at })) return ignored(`older than, or no step beyond, the dispute as stored (${before.status})`);
    const closes = isClosedDispute(s.status);
    const after: Row<'disputes'> = {
      ...before, status: s.status, gateway_status: s.gatewayStatus, amount: s.amount, reason: s.reason ?? before.reason,
      occurred_at: ev.occurred_at, closed_at: closes ? now : null, updated_at: now,
    };
    await u.tx.updateTable('disputes').set({
      status: after.status, gateway_status: after.gateway_status, amount: after.amount, reason: after.reason,
      occurred_at: after.occurred_at, closed_at: after.closed_at, updated_at: now,
    }).where('account_id', '=', before.account_id).where('id', '=', before.id).execute();
    const view = disputeView(after);
    u.audit(closes ? 'dispute.closed' : 'dispute.updated', 'dispute', after.id, disputeView(before), view, now);
    u.emit(closes ? 'dispute.closed' : 'dispute.updated', after.id, view, now, { previous_attributes: { status: before.status } });
    if (closes) await mark(u, after, -1);
    return applied;
  });
}

export async function getDispute(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('disputes').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('dispute', id, 'id');
  return disputeView(row);
}

export type DisputeFilters = { customer?: string | undefined; invoice?: string | undefined; status?: DisputeStatus | undefined };

export async function listDisputes(deps: Deps, accountId: string, page: Page & DisputeFilters) {
  let q = deps.db.selectFrom('disputes').selectAll().where('account_id', '=', accountId);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.invoice) q = q.where('invoice_id', '=', page.invoice);
  if (page.status) q = q.where('status', '=', page.status);
  return await paginate(q, 'id', page, disputeView);
}
