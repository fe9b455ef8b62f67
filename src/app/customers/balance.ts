import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { balanceTransactionView, type Row } from '../views.ts';

export type AdjustmentInput = { amount: number; currency: string; description?: string | null; metadata?: Record<string, string> };

// Every amount the API shows must stay exact in JSON; a balance grown past this by many
// adjustments could no longer be shown or invoiced.
const MAX_BALANCE = 10n ** 15n;

/**
 * Adds `amount` to the customer's balance as an `adjustment`. The customer's row stays locked
 * from the read to the commit, as finalization locks it (or guards its write on the balance
 * read), so concurrent adjustments and invoices each start from the balance the other left.
 */
export async function adjustBalance(deps: Deps, actor: Actor, customerId: string, input: AdjustmentInput) {
  const currency = normalizeCurrency(input.currency);
  const amount = BigInt(input.amount);
  return await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('customers').select(['id', 'balance', 'balance_currency', 'currency', 'test_clock_id', 'version'])
      .where('account_id', '=', u.accountId).where('id', '=', customerId).forNoKeyUpdate().executeTakeFirst();
    if (!c) throw notFound('customer', customerId, 'id');
    const before = BigInt(c.balance);
    if (c.currency !== null && c.currency !== currency) {
      throw invalid('customer_currency_mismatch', `customer '${c.id}' bills in ${c.currency}, not ${currency}`, 'currency');
    }
    if (before !== 0n && c.balance_currency !== currency) {
      throw invalid('balance_currency_mismatch', `The customer's balance is in ${c.balance_currency}; an amount in ${currency} cannot be added to it.`, 'currency');
    }
    const ending = before + amount;
    if (ending > MAX_BALANCE || ending < -MAX_BALANCE) {
      throw invalid('amount_too_large', `The balance would become ${ending}, beyond ±${MAX_BALANCE}.`, 'amount');
    }
    const now = await nowFor(deps, u.tx, u.accountId, c.test_clock_id);
    const txn: Row<'customer_balance_transactions'> = {
      account_id: u.accountId, id: newId('balanceTransaction'), customer_id: c.id, type: 'adjustment', amount, currency,
      ending_balance: ending, invoice_id: null, description: input.description ?? null, metadata: input.metadata ?? {}, created_at: now,
    };
    u.updateLater('customers', [{
      // The version moves with the balance: an invoice finalized from an unlocked read of this
      // customer sees it changed and runs again (finalize.ts).
      account_id: u.accountId, id: c.id, balance: ending, balance_currency: ending === 0n ? null : currency, updated_at: now, version: c.version,
    }]);
    u.insertLater('customer_balance_transactions', [txn]);
    const view = balanceTransactionView(txn);
    const previous = { balance: Number(before) };
    u.audit('customer.balance_changed', 'customer', c.id, previous, { balance: Number(ending), currency, invoice: null }, now);
    u.emit('customer.balance_changed', c.id, { id: c.id, object: 'customer', balance: Number(ending), currency },
      now, { previous_attributes: previous, invoice: null });
    u.audit('customer_balance_transaction.created', 'customer_balance_transaction', txn.id, null, view, now);
    u.emit('customer_balance_transaction.created', txn.id, view, now);
    return view;
  });
}

async function ownCustomer(deps: Deps, accountId: string, customerId: string) {
  const c = await deps.db.selectFrom('customers').select('id').where('account_id', '=', accountId).where('id', '=', customerId).executeTakeFirst();
  if (!c) throw notFound('customer', customerId, 'id');
}

export async function listBalanceTransactions(deps: Deps, accountId: string, customerId: string, page: Page) {
  await ownCustomer(deps, accountId, customerId);
  const q = deps.db.selectFrom('customer_balance_transactions').selectAll()
    .where('account_id', '=', accountId).where('customer_id', '=', customerId);
  return await paginate(q, 'id', page, balanceTransactionView);
}

export async function getBalanceTransaction(deps: Deps, accountId: string, customerId: string, id: string) {
  await ownCustomer(deps, accountId, customerId);
  const row = await deps.db.selectFrom('customer_balance_transactions').selectAll()
    .where('account_id', '=', accountId).where('customer_id', '=', customerId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('customer balance transaction', id, 'txn');
  return balanceTransactionView(row);
}
