import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { balanceTransactionView, type Row } from '../views.ts';

/**
 * Moves the customer's balance by `amount` (negative: credit the customer) for a credit note,
 * inside the caller's transaction, with the customer's row locked as other balance changes lock
 * it. The balance holds one currency; a credit in another is refused.
 */
export async function moveBalanceForCreditNote(u: UnitOfWork, customerId: string, amount: bigint, currency: string,
  type: 'credit_note' | 'credit_note_void', invoiceId: string, description: string, now: Date): Promise<Row<'customer_balance_transactions'>> {
  const c = await u.tx.selectFrom('customers').select(['id', 'balance', 'balance_currency', 'version'])
    .where('account_id', '=', u.accountId).where('id', '=', customerId).forNoKeyUpdate().executeTakeFirstOrThrow();
  const before = BigInt(c.balance);
  if (before !== 0n && c.balance_currency !== currency) {
    throw invalid('balance_currency_mismatch', `The customer's balance is in ${c.balance_currency}; a credit in ${currency} cannot be added to it.`, 'credit_amount');
  }
  const ending = before + amount;
  const txn: Row<'customer_balance_transactions'> = {
    account_id: u.accountId, id: newId('balanceTransaction'), customer_id: c.id, type, amount, currency, ending_balance: ending,
    invoice_id: invoiceId, description, metadata: {}, created_at: now,
  };
  // The version moves with the balance, so an invoice finalized from an unlocked read runs again.
  // Written now rather than at the flush: a renewal that issues a usage correction's note and then
  // finalizes an invoice of the same customer reads the row again and writes it once more itself.
  await u.tx.updateTable('customers').set({ balance: ending, balance_currency: ending === 0n ? null : currency, updated_at: now, version: c.version + 1 })
    .where('account_id', '=', u.accountId).where('id', '=', c.id).execute();
  u.insertLater('customer_balance_transactions', [txn]);
  const view = balanceTransactionView(txn);
  const previous = { balance: Number(before) };
  u.audit('customer.balance_changed', 'customer', c.id, previous, { balance: Number(ending), currency, invoice: invoiceId }, now);
  u.emit('customer.balance_changed', c.id, { id: c.id, object: 'customer', balance: Number(ending), currency }, now, { previous_attributes: previous, invoice: invoiceId });
  u.audit('customer_balance_transaction.created', 'customer_balance_transaction', txn.id, null, view, now);
  u.emit('customer_balance_transaction.created', txn.id, view, now);
  return txn;
}
