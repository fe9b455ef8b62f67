import { sql, type Kysely } from 'kysely';
import { typeid } from 'typeid-js';
import type { DB } from '../../postgres/schema.ts';
import type { RefundOutcome, RefundRequest } from '../../../app/ports.ts';

const refused = (code: string, message: string): RefundOutcome => ({ status: 'failed', refundId: null, code, message });

/**
 * The sandbox processor's refund: one per idempotency key (a repeat answers with the first), and
 * never more in all than the charge took. The charge row is locked while its refunds are summed,
 * so two refunds racing for the same charge cannot both fit in what only one of them fits in.
 */
export async function sandboxRefund(db: Kysely<DB>, req: RefundRequest): Promise<RefundOutcome> {
  if (req.amount <= 0n) return refused('invalid_amount', 'Amount must be positive.');
  return await db.transaction().execute(async (tx) => {
    const charge = await tx.selectFrom('sandbox.charges').select(['id', 'amount', 'currency', 'status'])
      .where('id', '=', req.chargeId).forUpdate().executeTakeFirst();
    const earlier = await tx.selectFrom('sandbox.refunds').select('id').where('idempotency_key', '=', req.idempotencyKey).executeTakeFirst();
    if (earlier) return { status: 'succeeded', refundId: earlier.id } as const;
    if (!charge || charge.status !== 'succeeded') return refused('charge_missing', `No succeeded charge '${req.chargeId}'.`);
    if (charge.currency !== req.currency) return refused('currency_mismatch', `The charge is in ${charge.currency}.`);
    const done = await tx.selectFrom('sandbox.refunds').select(sql<string>`coalesce(sum(amount), 0)::text`.as('sum'))
      .where('charge_id', '=', charge.id).executeTakeFirstOrThrow();
    if (BigInt(done.sum) + req.amount > BigInt(charge.amount)) {
      return refused('amount_too_large', `The charge was ${charge.amount}; ${done.sum} of it is refunded already.`);
    }
    const id = typeid('re').toString();
    await tx.insertInto('sandbox.refunds').values({
      idempotency_key: req.idempotencyKey, id, charge_id: charge.id, amount: req.amount, currency: req.currency, reference: req.reference,
    }).execute();
    return { status: 'succeeded', refundId: id } as const;
  });
}

/** A refund the sandbox recorded under the key; a refused one leaves no record (it moved no money). */
export async function sandboxRefundOf(db: Kysely<DB>, key: string): Promise<RefundOutcome | null> {
  const row = await db.selectFrom('sandbox.refunds').select('id').where('idempotency_key', '=', key).executeTakeFirst();
  return row ? { status: 'succeeded', refundId: row.id } : null;
}
