import { describe, expect, it } from 'vitest';
import type { EventType } from '../../src/domain/event-types.ts';
import { settleAttempts } from '../../src/app/payments/settle.ts';
import { systemActor } from '../../src/app/ports.ts';
import { atomically, StaleWriteError } from '../../src/app/unit-of-work.ts';
import { customerWithCard, firstInvoiceOf, invoicesOf, monthlyPrice, ok } from '../builders.ts';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { seedDueSubscriptions } from '../fixtures/seed-due.ts';
import { harness, testDatabase } from '../support.ts';

describe('commands written as one conditional statement', async () => {
  const h = await harness();
  const price = await monthlyPrice(h, 2000);
  const count = async (sql: string, params: unknown[] = []) => (await h.database.pool.query(sql, params)).rows[0].n as number;

  it('writes nothing at all when a guarded update misses its row', async () => {
    const customer = await customerWithCard(h, 'tok_visa');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const events = await count('SELECT count(*)::int AS n FROM events');
    const write = (version: number) => atomically(h.deps, systemActor(h.accountId), async (u) => {
      u.emit('test.event' as EventType, invoice.id, { probe: true }, new Date());
      u.updateLater('invoices', [{ account_id: h.accountId, id: invoice.id, attempt_count: 7, version }]);
    });
    await expect(write(41)).rejects.toBeInstanceOf(StaleWriteError);
    expect(await count('SELECT count(*)::int AS n FROM events')).toBe(events);
    expect((await h.database.pool.query('SELECT attempt_count, version FROM invoices WHERE id = $1', [invoice.id])).rows[0]).toEqual({ attempt_count: 1, version: 2 });
    await write(2);
    expect(await count('SELECT count(*)::int AS n FROM events')).toBe(events + 1);
    expect((await h.database.pool.query('SELECT attempt_count, version FROM invoices WHERE id = $1', [invoice.id])).rows[0]).toEqual({ attempt_count: 7, version: 3 });
  });

  it('settles from a stale snapshot by falling back to locked reads, exactly once', async () => {
    const customer = await customerWithCard(h, 'tok_timeout');
    const sub = await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const invoice = await firstInvoiceOf(h, sub.id);
    const attempt = (await h.database.pool.query('SELECT * FROM payment_attempts WHERE invoice_id = $1', [invoice.id])).rows[0];
    expect(attempt.status).toBe('unknown');
    // Someone touched the invoice after the snapshot was taken.
    await h.database.pool.query('UPDATE invoices SET version = version + 1 WHERE id = $1', [invoice.id]);
    const inv = (await h.database.db.selectFrom('invoices').selectAll().where('id', '=', invoice.id).executeTakeFirstOrThrow());
    const stale = { ...inv, version: inv.version - 1 };
    const row = await h.database.db.selectFrom('payment_attempts').selectAll().where('id', '=', attempt.id).executeTakeFirstOrThrow();
    const outcome = { status: 'succeeded' as const, chargeId: 'ch_test' };
    const changed = await settleAttempts(h.deps, systemActor(h.accountId), [{ attempt: row, outcome, snapshot: { invoice: stale, lines: [], subscription: null, items: [] } }]);
    expect(changed.get(sub.id)?.status).toBe('active');
    expect((await ok(h, 'GET', `/v1/invoices/${invoice.id}`))).toMatchObject({ status: 'paid', amount_paid: 2000 });
    expect((await ok(h, 'GET', `/v1/subscriptions/${sub.id}`)).status).toBe('active');
    // A second, late answer changes nothing.
    await settleAttempts(h.deps, systemActor(h.accountId), [{ attempt: row, outcome }]);
    expect(await count("SELECT count(*)::int AS n FROM events WHERE type = 'invoice.paid' AND object_id = $1", [invoice.id])).toBe(1);
    expect(await count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'payment.succeeded' AND object_id = $1", [attempt.id])).toBe(1);
  });
});

describe('a billing batch meeting an already-invoiced period', async () => {
  const h = await harness({ now: new Date() });
  it('falls back to one subscription at a time: no second invoice for the period, the rest billed', async () => {
    const { seedDueSubscriptions } = await import('../fixtures/seed-due.ts');
    const { drain } = await import('../../src/worker/worker.ts');
    const { tag } = await seedDueSubscriptions(h.database.pool, { accountId: h.accountId, count: 3, now: new Date() });
    const victim = `sub_seed${tag}2`;
    const sub = (await h.database.pool.query('SELECT * FROM subscriptions WHERE id = $1', [victim])).rows[0];
    // An invoice for the coming period already exists (as if written by an earlier run).
    await h.database.pool.query(`INSERT INTO invoices (account_id, id, customer_id, subscription_id, status, billing_reason, currency,
        subtotal, total, total_excluding_tax, amount_due, amount_remaining, period_start, period_end, created_at, updated_at)
      VALUES ($1, 'in_preexisting', $2, $3, 'paid', 'subscription_cycle', 'usd', 2000, 2000, 2000, 2000, 0, $4, $4::timestamptz + interval '1 month', now(), now())`,
      [h.accountId, sub.customer_id, victim, sub.current_period_end]);
    await drain(h.deps);
    const perSub = await h.database.pool.query('SELECT subscription_id, count(*)::int AS n FROM invoices GROUP BY 1 ORDER BY 1');
    expect(perSub.rows.map((r) => r.n)).toEqual([1, 1, 1]);
    const after = (await h.database.pool.query('SELECT next_action_at, current_period_start FROM subscriptions WHERE id = $1', [victim])).rows[0];
    expect(after.current_period_start.getTime()).toBe(sub.current_period_end.getTime());
    expect(after.next_action_at.getTime()).toBeGreaterThan(Date.now());
    const charges = await h.database.pool.query('SELECT count(*)::int AS n FROM sandbox.charges');
    expect(charges.rows[0].n).toBe(2); // the two new invoices; the existing one is not charged again
  });
});

describe('keyed updates as the tables grow', async () => {
  const database = await testDatabase();
  const { account } = await createAccount(database.db, 'Plans');

  it('probe the key index once statistics exist, also with a plan first cached on empty tables', async () => {
    // A flush updating subscriptions by key: the text its named prepared statement carries.
    let text = '';
    const capture = { db: database.db, runStatement: async (t: string) => { text = t; } };
    await atomically(capture, systemActor(account.id), async (u) => {
      u.updateLater('subscriptions', [{ account_id: account.id, id: 'sub_x', status: 'active', version: 1 }]);
    });
    const client = await database.pool.connect();
    try {
      await client.query(`PREPARE flush AS ${text}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const plan = async () => (await client.query(`EXPLAIN EXECUTE flush('[]')`)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      await plan(); // planned and cached now, on empty tables
      await seedDueSubscriptions(database.pool, { accountId: account.id, count: 3000, now: new Date() });
      // What autovacuum does soon after the first rows arrive. Until then PostgreSQL knows
      // nothing to tell the key index from the other indexes that start with account_id.
      await database.pool.query('ANALYZE');
      const grown = await plan();
      expect(grown).not.toMatch(/Seq Scan|Hash Join|Bitmap/);
      expect(grown).toMatch(/Index Scan using subscriptions_pkey on subscriptions t .*\n\s+Index Cond: \(\(account_id = v\.account_id\) AND \(id = v\.id\)\)/);
    } finally {
      client.release();
    }
  });
});

describe('settling while many attempts are open', async () => {
  const h = await harness({ now: new Date() });

  it('finds each attempt by its key, even when the statistics say almost none are open', async () => {
    const { drain } = await import('../../src/worker/worker.ts');
    await seedDueSubscriptions(h.database.pool, { accountId: h.accountId, count: 300, now: new Date() });
    await drain(h.deps);
    // Statistics taken while every attempt was settled, as autovacuum usually finds them; then a
    // gateway outage leaves most of them unknown before it looks again.
    await h.database.pool.query('ALTER TABLE payment_attempts SET (autovacuum_enabled = false)');
    await h.database.pool.query('ANALYZE payment_attempts');
    const open = await h.database.pool.query(
      "UPDATE payment_attempts SET status = 'unknown', recover_at = now() WHERE id IN (SELECT id FROM payment_attempts ORDER BY id LIMIT 250)");
    expect(open.rowCount).toBe(250);

    const attempt = await h.database.db.selectFrom('payment_attempts').selectAll().where('status', '=', 'unknown').limit(1).executeTakeFirstOrThrow();
    const invoice = await h.database.db.selectFrom('invoices').selectAll().where('id', '=', attempt.invoice_id).executeTakeFirstOrThrow();
    let text = '';
    let params: unknown[] = [];
    const capture = { ...h.deps, runStatement: async (t: string, p: unknown[]) => { text = t; params = p; } };
    await settleAttempts(capture, systemActor(h.accountId), [{
      attempt, outcome: { status: 'succeeded', chargeId: 'ch_late' }, snapshot: { invoice, lines: [], subscription: null, items: [] },
    }]);
    expect(text).toMatch(/UPDATE "payment_attempts" t/);

    const client = await h.database.pool.connect();
    try {
      await client.query(`PREPARE settle AS ${text}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const plan = (await client.query(`EXPLAIN (COSTS OFF) EXECUTE settle(${params.map(() => "'[]'").join(', ')})`)).rows
        .map((r) => r['QUERY PLAN'] as string).join('\n');
      const update = plan.slice(plan.indexOf('Update on payment_attempts t'));
      expect(update).toMatch(/Index Scan using payment_attempts_pkey on payment_attempts t\s*\n\s+Index Cond: \(\(account_id = v\.account_id\) AND \(id = v\.id\)\)/);
      expect(plan).not.toMatch(/payment_attempts_one_open/);
    } finally {
      client.release();
    }
  });
});
