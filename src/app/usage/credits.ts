import { sql } from 'kysely';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { allocateCredits, usableAt, type Allocation } from '../../domain/usage/credit-allocation.ts';
import { notFound } from '../errors.ts';
import type { Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { nowFor } from '../time.ts';
import type { UnitOfWork } from '../unit-of-work.ts';

export type CreditsApplied = { applied: bigint; grants: { grant: string; amount: bigint }[] };

/** Moves grant balances by the given amounts (negative consumes) and records each move in the ledger. */
async function post(u: UnitOfWork, customerId: string, invoiceId: string, type: 'debit' | 'credit', moves: Allocation[], at: Date) {
  if (moves.length === 0) return;
  const sign = type === 'debit' ? -1n : 1n;
  // One statement for all the grants; the CHECK on balance (0..amount) is the last word on overdrafts.
  // `updated_at` stays: it dates changes to the grant as the API shows it, which has no balance.
  await sql`UPDATE credit_grants g SET balance = g.balance + v.delta, version = g.version + 1
    FROM unnest(${moves.map((m) => m.grant)}::text[], ${moves.map((m) => (sign * m.amount).toString())}::bigint[]) AS v(id, delta)
    WHERE g.account_id = ${u.accountId} AND g.id = v.id`.execute(u.tx);
  await u.tx.insertInto('credit_grant_transactions').values(moves.map((m) => ({
    account_id: u.accountId, id: newId('creditGrantTransaction'), grant_id: m.grant, customer_id: customerId, type, amount: m.amount, invoice_id: invoiceId, created_at: at,
  }))).execute();
}

/**
 * Pays up to `amount` of an invoice's metered lines from the customer's credit grants in
 * `currency`, inside the caller's transaction (finalization). The grants are locked in id order —
 * two invoices of one customer finalized at once take turns, and the second sees what the first
 * left —, allocated by src/domain/usage/credit-allocation.ts as of `at` (the invoice's business
 * time), and each share is written as a debit against `invoiceId`.
 */
export async function applyCredits(u: UnitOfWork, args: { customerId: string; currency: string; amount: bigint; invoiceId: string; at: Date }): Promise<CreditsApplied> {
  if (args.amount <= 0n) return { applied: 0n, grants: [] };
  const rows = await u.tx.selectFrom('credit_grants').select(['id', 'balance', 'priority', 'effective_at', 'expires_at', 'created_at'])
    .where('account_id', '=', u.accountId).where('customer_id', '=', args.customerId).where('currency', '=', args.currency)
    .where('voided_at', 'is', null).where('balance', '>', 0n).orderBy('id').forUpdate().execute();
  const grants = rows.map((r) => ({ id: r.id, balance: r.balance, priority: r.priority, effectiveAt: r.effective_at, expiresAt: r.expires_at, createdAt: r.created_at }));
  const shares = allocateCredits(grants, args.amount, args.at);
  await post(u, args.customerId, args.invoiceId, 'debit', shares, args.at);
  return { applied: shares.reduce((s, a) => s + a.amount, 0n), grants: shares };
}

/**
 * Gives back what an invoice consumed (it was voided or credited): for each grant, its debits
 * against the invoice less what was already given back, as a credit. The grants are locked before
 * that sum is read, so a second call — concurrent or later — finds nothing left to give back.
 * Credit returns to a grant even if it has since expired or been voided; it is then not usable.
 */
export async function restoreCredits(u: UnitOfWork, invoiceId: string, at: Date): Promise<CreditsApplied> {
  const touched = await u.tx.selectFrom('credit_grant_transactions').select(['grant_id', 'customer_id']).distinct()
    .where('account_id', '=', u.accountId).where('invoice_id', '=', invoiceId).execute();
  if (touched.length === 0) return { applied: 0n, grants: [] };
  await u.tx.selectFrom('credit_grants').select('id').where('account_id', '=', u.accountId)
    .where('id', 'in', touched.map((t) => t.grant_id)).orderBy('id').forUpdate().execute();
  // A new statement after the locks: under READ COMMITTED it sees every transaction committed meanwhile.
  const nets = await u.tx.selectFrom('credit_grant_transactions')
    .select(['grant_id', sql<bigint>`sum(CASE type WHEN 'debit' THEN amount ELSE -amount END)::bigint`.as('net')])
    .where('account_id', '=', u.accountId).where('invoice_id', '=', invoiceId).groupBy('grant_id').orderBy('grant_id').execute();
  const moves = nets.filter((n) => n.net > 0n).map((n) => ({ grant: n.grant_id, amount: n.net }));
  await post(u, touched[0]!.customer_id, invoiceId, 'credit', moves, at);
  return { applied: moves.reduce((s, m) => s + m.amount, 0n), grants: moves };
}

export type BalanceSummaryQuery = {
  customer: string;
  'filter[type]'?: 'applicability_scope' | 'credit_grant' | undefined;
  'filter[applicability_scope][price_type]'?: 'metered' | undefined;
  'filter[credit_grant]'?: string | undefined;
};

/**
 * A customer's credit per currency, in their business time: `available_balance` is what an
 * invoice finalized now could use, `ledger_balance` adds grants not yet effective. Voided and
 * expired grants count in neither, but their currencies still show (with zero).
 */
export async function creditBalanceSummary(deps: Deps, accountId: string, q: BalanceSummaryQuery): Promise<R.CreditBalanceSummaryObject> {
  const c = await deps.db.selectFrom('customers').select(['id', 'test_clock_id']).where('account_id', '=', accountId).where('id', '=', q.customer).executeTakeFirst();
  if (!c) throw notFound('customer', q.customer, 'customer');
  const grantId = q['filter[credit_grant]'];
  if (q['filter[type]'] === 'credit_grant' && grantId === undefined) throw invalid('parameter_missing', 'filter[credit_grant] is required when filter[type] is credit_grant.', 'filter[credit_grant]');
  if (q['filter[type]'] !== 'credit_grant' && grantId !== undefined) throw invalid('parameters_exclusive', 'filter[credit_grant] goes with filter[type]=credit_grant only.', 'filter[credit_grant]');
  let query = deps.db.selectFrom('credit_grants').select(['id', 'currency', 'balance', 'priority', 'effective_at', 'expires_at', 'voided_at', 'created_at'])
    .where('account_id', '=', accountId).where('customer_id', '=', c.id);
  if (grantId !== undefined) query = query.where('id', '=', grantId);
  const rows = await query.orderBy('currency').execute();
  if (grantId !== undefined && rows.length === 0) throw notFound('credit grant', grantId, 'filter[credit_grant]');
  const now = await nowFor(deps, deps.db, accountId, c.test_clock_id);
  const sums = new Map<string, { available: bigint; ledger: bigint }>();
  for (const r of rows) {
    const s = sums.get(r.currency) ?? { available: 0n, ledger: 0n };
    sums.set(r.currency, s);
    if (r.voided_at !== null || (r.expires_at !== null && r.expires_at <= now)) continue;
    s.ledger += r.balance;
    const g = { id: r.id, balance: r.balance, priority: r.priority, effectiveAt: r.effective_at, expiresAt: r.expires_at, createdAt: r.created_at };
    if (usableAt(g, now)) s.available += r.balance;
  }
  const money = (currency: string, value: bigint) => ({ type: 'monetary' as const, monetary: { currency, value: Number(value) } });
  return {
    object: 'billing.credit_balance_summary', customer: c.id,
    balances: [...sums].map(([cur, s]) => ({ available_balance: money(cur, s.available), ledger_balance: money(cur, s.ledger) })),
  };
}
