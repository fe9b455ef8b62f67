import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { seedDueSubscriptions } from '../fixtures/seed-due.ts';
import { testDatabase } from '../support.ts';

const children = new Set<ChildProcess>();
afterAll(() => { for (const c of children) c.kill('SIGKILL'); });

/** A real `rebill worker` process (the CLI the operator runs) against the test database. */
function worker(url: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['bin/rebill.js', 'worker'], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', REBILL_POLL_MS: '100', REBILL_WORKER_CONCURRENCY: '2', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d) => process.stderr.write(`[worker ${child.pid}] ${d}`));
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  await exited;
}

async function waitFor(pool: import('pg').Pool, sqlText: string, until: (n: number) => boolean, timeoutMs = 120_000) {
  const start = Date.now();
  for (;;) {
    const n = (await pool.query(sqlText)).rows[0].n as number;
    if (until(n)) return n;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting on: ${sqlText} (last ${n})`);
    await sleep(100);
  }
}

/** The books must balance: one paid invoice and one successful gateway charge per subscription. */
async function expectExactlyOnce(pool: import('pg').Pool, count: number) {
  const q = async (s: string) => (await pool.query(s)).rows[0];
  expect((await q('SELECT count(*)::int AS n FROM invoices')).n).toBe(count);
  expect((await q("SELECT count(*)::int AS n FROM invoices WHERE status = 'paid'")).n).toBe(count);
  expect((await q('SELECT count(DISTINCT subscription_id)::int AS n FROM invoices')).n).toBe(count);
  expect((await q("SELECT count(*)::int AS n FROM sandbox.charges WHERE status = 'succeeded'")).n).toBe(count);
  expect((await q('SELECT count(DISTINCT reference)::int AS n FROM sandbox.charges')).n).toBe(count);
  expect((await q("SELECT count(*)::int AS n FROM payment_attempts WHERE status <> 'succeeded'")).n).toBe(0);
  expect((await q("SELECT count(*)::int AS n FROM payment_attempts WHERE status = 'succeeded'")).n).toBe(count);
  expect((await q('SELECT count(*)::int AS n FROM subscriptions WHERE next_action_at <= now()')).n).toBe(0);
  // Each seeded customer's one invoice took its first number, and its sequence moved past it.
  expect((await q("SELECT count(DISTINCT number)::int AS n FROM invoices WHERE number LIKE '%-0001'")).n).toBe(count);
  expect((await q(`SELECT count(*)::int AS n FROM invoices i JOIN customers c ON c.account_id = i.account_id AND c.id = i.customer_id
    WHERE i.number = c.invoice_prefix || '-0001' AND c.next_invoice_sequence = 2`)).n).toBe(count);
}

const COUNT = 2000;
const DONE = "SELECT count(*)::int AS n FROM payment_attempts WHERE status = 'succeeded'";

describe('billing workers in separate processes', () => {
  it('three workers over 2,000 due subscriptions bill each exactly once', async () => {
    const d = await testDatabase();
    const { account } = await createAccount(d.db, 'Load');
    await seedDueSubscriptions(d.pool, { accountId: account.id, count: COUNT, now: new Date() });
    const workers = [worker(d.url), worker(d.url), worker(d.url)];
    await waitFor(d.pool, DONE, (n) => n >= COUNT);
    await Promise.all(workers.map((w) => stop(w)));
    await expectExactlyOnce(d.pool, COUNT);
    // The workers shared the work (row claiming spreads it, nobody waits on a lock): each renewal
    // names the worker process that did it, and at least two of the three did some.
    const pids = new Set(workers.map((w) => String(w.pid)));
    const perWorker = await d.pool.query("SELECT actor, count(*)::int AS n FROM audit_log WHERE action = 'subscription.renewed' GROUP BY actor");
    for (const r of perWorker.rows) expect(pids.has(/^system:billing:[^:]+:(\d+)$/.exec(r.actor)?.[1] ?? ''), r.actor).toBe(true);
    expect(perWorker.rows.reduce((n, r) => n + r.n, 0)).toBe(COUNT);
    expect(perWorker.rows.length).toBeGreaterThanOrEqual(2);
  });

  it('a worker killed with SIGKILL mid-run and restarted leaves no duplicate and no missing charge', async () => {
    const d = await testDatabase();
    const { account } = await createAccount(d.db, 'Crash');
    await seedDueSubscriptions(d.pool, { accountId: account.id, count: COUNT, now: new Date() });
    const first = worker(d.url, { REBILL_RECOVERY_DELAY_MS: '1000' });
    await waitFor(d.pool, 'SELECT count(*)::int AS n FROM invoices', (n) => n >= 400);
    await stop(first, 'SIGKILL');
    const mid = (await d.pool.query('SELECT count(*)::int AS n FROM invoices')).rows[0].n;
    expect(mid).toBeLessThan(COUNT); // it really died mid-run
    const restarted = [worker(d.url, { REBILL_RECOVERY_DELAY_MS: '1000' }), worker(d.url, { REBILL_RECOVERY_DELAY_MS: '1000' })];
    await waitFor(d.pool, DONE, (n) => n >= COUNT);
    await Promise.all(restarted.map((w) => stop(w)));
    await expectExactlyOnce(d.pool, COUNT);
  });
});
