import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { emptyDatabase } from '../support.ts';

describe('migrations on a database that already holds data', () => {
  it('005 numbers the invoices already finalized, per customer in finalization order, and sets each next sequence', async () => {
    const pool = await emptyDatabase();
    await migrate(pool, { upTo: '004_idempotency_request.sql' });
    await pool.query(`INSERT INTO accounts (id, name) VALUES ('acct_a', 'A'), ('acct_b', 'B')`);
    await pool.query(`INSERT INTO customers (account_id, id, created_at, updated_at) VALUES
      ('acct_a', 'cus_01jq9z0000000000000000ab1x', now(), now()), ('acct_a', 'cus_01jq9z0000000000000000cd2y', now(), now()),
      ('acct_a', 'cus_01jq9z0000000000000000ef3z', now(), now()), ('acct_b', 'cus_01jq9z0000000000000000ab1x', now(), now())`);
    const invoice = (account: string, customer: string, id: string, finalized: string | null) =>
      pool.query(`INSERT INTO invoices (account_id, id, customer_id, status, billing_reason, currency, subtotal, total, amount_due,
          amount_remaining, period_start, period_end, finalized_at, created_at, updated_at)
        VALUES ($1, $2, $3, $5, 'manual', 'usd', 100, 100, 100, 100, now(), now(), $4, now(), now())`,
      [account, id, customer, finalized, finalized ? 'open' : 'draft']);
    // Inserted out of order: numbering follows finalized_at, not id or insertion.
    await invoice('acct_a', 'cus_01jq9z0000000000000000ab1x', 'in_3', '2027-03-01T00:00Z');
    await invoice('acct_a', 'cus_01jq9z0000000000000000ab1x', 'in_1', '2027-01-01T00:00Z');
    await invoice('acct_a', 'cus_01jq9z0000000000000000ab1x', 'in_2', '2027-02-01T00:00Z');
    await invoice('acct_a', 'cus_01jq9z0000000000000000ab1x', 'in_draft', null);
    await invoice('acct_b', 'cus_01jq9z0000000000000000ab1x', 'in_b1', '2027-01-15T00:00Z');
    // A customer with more than 9,999 invoices: the sequence grows a digit, it is never cut.
    await pool.query(`INSERT INTO invoices (account_id, id, customer_id, status, billing_reason, currency, subtotal, total, amount_due,
        amount_remaining, period_start, period_end, finalized_at, created_at, updated_at)
      SELECT 'acct_a', 'in_many_' || g, 'cus_01jq9z0000000000000000ef3z', 'open', 'manual', 'usd', 1, 1, 1, 1, now(), now(),
        timestamptz '2027-01-01' + g * interval '1 minute', now(), now() FROM generate_series(1, 10001) g`);

    expect(await migrate(pool)).toContain('005_invoice_numbers.sql');

    const numbers = await pool.query<{ id: string; number: string | null }>(
      `SELECT id, number FROM invoices WHERE id IN ('in_1', 'in_2', 'in_3', 'in_draft', 'in_b1', 'in_many_1', 'in_many_9999', 'in_many_10001') ORDER BY id`);
    expect(Object.fromEntries(numbers.rows.map((r) => [r.id, r.number]))).toEqual({
      in_1: '000000AB1X-0001', in_2: '000000AB1X-0002', in_3: '000000AB1X-0003', in_draft: null,
      in_b1: '000000AB1X-0001', in_many_1: '000000EF3Z-0001', in_many_9999: '000000EF3Z-9999', in_many_10001: '000000EF3Z-10001',
    });
    const customers = await pool.query<{ account_id: string; invoice_prefix: string; next_invoice_sequence: number }>(
      'SELECT account_id, invoice_prefix, next_invoice_sequence FROM customers ORDER BY account_id, id');
    expect(customers.rows).toEqual([
      { account_id: 'acct_a', invoice_prefix: '000000AB1X', next_invoice_sequence: 4 },
      { account_id: 'acct_a', invoice_prefix: '000000CD2Y', next_invoice_sequence: 1 },
      { account_id: 'acct_a', invoice_prefix: '000000EF3Z', next_invoice_sequence: 10002 },
      { account_id: 'acct_b', invoice_prefix: '000000AB1X', next_invoice_sequence: 2 },
    ]);
  });
});
