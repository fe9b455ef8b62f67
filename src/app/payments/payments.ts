import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Deps } from '../ports.ts';
import { paymentAttemptView } from '../views.ts';

/** Payments are the charge attempts on invoices: every try, failed or not, with its decline code. */
export async function getPayment(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('payment_attempts').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('payment', id, 'id');
  return paymentAttemptView(row);
}

export async function listPayments(deps: Deps, accountId: string, page: Page & { invoice?: string | undefined; customer?: string | undefined; status?: string | undefined }) {
  let q = deps.db.selectFrom('payment_attempts').selectAll().where('account_id', '=', accountId);
  if (page.invoice) q = q.where('invoice_id', '=', page.invoice);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.status) q = q.where('status', '=', page.status);
  return await paginate(q, 'id', page, paymentAttemptView);
}
