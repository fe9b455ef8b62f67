import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/postgres/embedded.ts';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { seedDueSubscriptions } from '../fixtures/seed-due.ts';
import { testDatabase } from '../support.ts';
import { startRebill } from './rebill-process.ts';

/**
 * Chaos: `rebill start` (API and worker in one process) bills real-time renewals and advances a
 * test clock while it is killed with SIGKILL at random moments and started again, over and over.
 * Whatever the kills interrupt — a billing batch, a charge on its way to the gateway or back, a
 * clock's advance — the books must end exactly right: one invoice per period, one successful
 * charge per paid invoice, no attempt unsettled, the clock `ready` at the last time asked for.
 *
 * The sandbox gateway is given network latency (REBILL_SANDBOX_LATENCY_MS), so a kill can land
 * while a charge is on its way in (the gateway never got it: recovery must charge it, once) or on
 * its way back (the gateway charged: recovery must only record it). Every kill is classified by
 * what the database held when it landed, and the test insists each window was hit.
 */

const MIN_KILLS = 20;
const MAX_KILLS = 45;
const ROUND_SUBSCRIPTIONS = 40;
const CLOCK_SUBSCRIPTIONS = 8;
const RECOVERY_MS = 800;
const MONTH_MS = 31 * 24 * 3600 * 1000;

async function start(url: string, port: number): Promise<ChildProcess> {
  return await startRebill(url, port, {
    REBILL_POLL_MS: '50', REBILL_WORKER_CONCURRENCY: '2', REBILL_RECOVERY_DELAY_MS: String(RECOVERY_MS), REBILL_SANDBOX_LATENCY_MS: '30',
  });
}

async function kill(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

type Window = { pendingCharged: number; pendingUncharged: number; advancing: boolean };

/** What in-flight work a kill interrupted, read from what it left committed. */
async function windowAt(pool: pg.Pool, clockId: string): Promise<Window> {
  const r = await pool.query(`SELECT
      count(*) FILTER (WHERE c.idempotency_key IS NOT NULL)::int AS charged,
      count(*) FILTER (WHERE c.idempotency_key IS NULL)::int AS uncharged
    FROM payment_attempts pa LEFT JOIN sandbox.charges c ON c.idempotency_key = pa.idempotency_key
    WHERE pa.status = 'pending'`);
  const clock = await pool.query('SELECT status FROM test_clocks WHERE id = $1', [clockId]);
  return { pendingCharged: r.rows[0].charged, pendingUncharged: r.rows[0].uncharged, advancing: clock.rows[0].status === 'advancing' };
}

/** Who carried on interrupted advances, from the audit trail: a worker, or an API call. */
async function resumesBy(pool: pg.Pool, clockId: string) {
  const r = await pool.query(`SELECT count(*) FILTER (WHERE actor LIKE 'system:billing:%')::int AS worker,
      count(*) FILTER (WHERE actor LIKE 'api_key:%')::int AS call
    FROM audit_log WHERE object_id = $1 AND action = 'test_clock.advance_resumed'`, [clockId]);
  return r.rows[0] as { worker: number; call: number };
}

async function settled(pool: pg.Pool, clockId: string, target: Date): Promise<boolean> {
  const r = await pool.query(`SELECT
      (SELECT count(*) FROM payment_attempts WHERE status IN ('pending', 'unknown'))::int AS open,
      (SELECT count(*) FROM subscriptions WHERE test_clock_id IS NULL AND next_action_at <= now())::int AS due,
      (SELECT count(*) FROM test_clocks WHERE id = $1 AND status = 'ready' AND frozen_time = $2)::int AS ready`, [clockId, target]);
  const row = r.rows[0];
  return row.open === 0 && row.due === 0 && row.ready === 1;
}

describe('crash anywhere, recover everything', () => {
  it(`${MIN_KILLS}+ SIGKILLs during real-time billing and clock advances leave exact books`, async () => {
    const d = await testDatabase();
    const { account, key } = await createAccount(d.db, 'Chaos');
    const port = await freePort();
    const api = `http://127.0.0.1:${port}/v1`;
    const headers = { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' };

    const clockId = 'clock_chaos';
    let target = new Date('2027-01-15T12:00:00Z');
    await d.pool.query(`INSERT INTO test_clocks (account_id, id, name, frozen_time, status, created_at, updated_at)
      VALUES ($1, $2, 'chaos', $3, 'ready', now(), now())`, [account.id, clockId, target]);
    await seedDueSubscriptions(d.pool, { accountId: account.id, count: CLOCK_SUBSCRIPTIONS, now: target, testClockId: clockId });

    const windows: Window[] = [];
    let advanceCalls = 0;
    let child: ChildProcess | null = null;
    for (let kills = 0; kills < MAX_KILLS; kills++) {
      const hit = {
        charged: windows.filter((w) => w.pendingCharged > 0).length,
        uncharged: windows.filter((w) => w.pendingUncharged > 0).length,
        advancing: windows.filter((w) => w.advancing).length,
      };
      const resumed = await resumesBy(d.pool, clockId);
      if (kills >= MIN_KILLS && hit.charged > 0 && hit.uncharged > 0 && hit.advancing > 0 && resumed.worker > 0 && resumed.call > 0) break;
      // More real-time work falls due for every round.
      await seedDueSubscriptions(d.pool, { accountId: account.id, count: ROUND_SUBSCRIPTIONS, now: new Date() });
      child = await start(d.url, port);
      const clock = (await d.pool.query('SELECT status, lease_until < now() AS stalled FROM test_clocks WHERE id = $1', [clockId])).rows[0];
      if (clock.status === 'ready') {
        target = new Date(target.getTime() + MONTH_MS);
        advanceCalls++;
        void fetch(`${api}/test_clocks/${clockId}/advance`, { method: 'POST', headers, body: JSON.stringify({ frozen_time: target.toISOString() }) }).catch(() => undefined);
      } else if (clock.stalled && kills % 3 === 0) {
        // The advance a kill interrupted can be carried on by calling advance again (else a worker does it).
        void fetch(`${api}/test_clocks/${clockId}/advance`, { method: 'POST', headers, body: JSON.stringify({ frozen_time: target.toISOString() }) }).catch(() => undefined);
      }
      await sleep(100 + Math.floor(Math.random() * 1400));
      await kill(child);
      windows.push(await windowAt(d.pool, clockId));
    }

    // A last start, left to finish everything.
    child = await start(d.url, port);
    const deadline = Date.now() + 240_000;
    while (!(await settled(d.pool, clockId, target))) {
      if (Date.now() > deadline) {
        const state = await d.pool.query(`SELECT (SELECT json_agg(x) FROM (SELECT status, count(*) FROM payment_attempts GROUP BY status) x) AS attempts,
          (SELECT json_agg(x) FROM (SELECT id, status, next_action_at, ended_at, current_period_end, billing_failure_count FROM subscriptions
            WHERE test_clock_id IS NULL AND next_action_at <= now() LIMIT 5) x) AS due,
          (SELECT row_to_json(c) FROM (SELECT status, frozen_time, advance_target, lease_until FROM test_clocks WHERE id = $1) c) AS clock`, [clockId]);
        throw new Error(`not settled by ${target.toISOString()}: ${JSON.stringify(state.rows[0])}`);
      }
      await sleep(200);
    }
    await kill(child);

    const resumed = await resumesBy(d.pool, clockId);
    console.log(`chaos: ${windows.length} kills: ${windows.filter((w) => w.pendingUncharged > 0).length} with a charge on its way in, `
      + `${windows.filter((w) => w.pendingCharged > 0).length} with one charged but unrecorded, ${windows.filter((w) => w.advancing).length} during an advance; `
      + `${advanceCalls} advances asked for; ${resumed.worker} interrupted ones resumed by a worker, ${resumed.call} by calling advance again`);
    // The crash windows were really hit, not missed by luck.
    expect(windows.length).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(windows.filter((w) => w.pendingUncharged > 0).length, 'kills while a charge was on its way to the gateway').toBeGreaterThan(0);
    expect(windows.filter((w) => w.pendingCharged > 0).length, 'kills after the gateway charged, before the answer was recorded').toBeGreaterThan(0);
    expect(windows.filter((w) => w.advancing).length, 'kills during a clock advance').toBeGreaterThan(0);
    // Interrupted advances were carried on both ways: by a worker, and by calling advance again.
    expect(resumed.worker, 'advances resumed by a worker').toBeGreaterThan(0);
    expect(resumed.call, 'advances resumed by calling advance again').toBeGreaterThan(0);

    const q = async (text: string, params: unknown[] = []) => (await d.pool.query(text, params)).rows;
    // Every attempt settled, every one succeeded (tok_visa), each with exactly one gateway charge.
    expect(await q("SELECT status, count(*)::int AS n FROM payment_attempts WHERE status <> 'succeeded' GROUP BY status")).toEqual([]);
    expect(await q(`SELECT pa.id FROM payment_attempts pa LEFT JOIN sandbox.charges c ON c.idempotency_key = pa.idempotency_key
      WHERE c.idempotency_key IS NULL OR c.status <> 'succeeded'`)).toEqual([]);
    // One successful charge per invoice, every invoice paid, and no charge the books do not know.
    expect(await q("SELECT id FROM invoices WHERE status <> 'paid'")).toEqual([]);
    expect(await q(`SELECT i.id, count(c.*)::int AS n FROM invoices i LEFT JOIN sandbox.charges c ON c.reference = i.id
      GROUP BY i.id HAVING count(c.*) <> 1`)).toEqual([]);
    expect(await q(`SELECT c.reference FROM sandbox.charges c LEFT JOIN invoices i ON i.id = c.reference WHERE i.id IS NULL`)).toEqual([]);
    // Real time: each seeded subscription renewed exactly once.
    expect(await q(`SELECT s.id, count(i.*)::int AS n FROM subscriptions s LEFT JOIN invoices i ON i.account_id = s.account_id AND i.subscription_id = s.id
      WHERE s.test_clock_id IS NULL GROUP BY s.id HAVING count(i.*) <> 1`)).toEqual([]);
    // The clock: every subscription's invoices cover one period after another up to the clock's
    // time, with no gap and no period twice.
    const clockSubs = await q(`SELECT id, current_period_start, current_period_end FROM subscriptions WHERE test_clock_id = $1`, [clockId]);
    expect(clockSubs).toHaveLength(CLOCK_SUBSCRIPTIONS);
    for (const s of clockSubs) {
      const periods = await q('SELECT period_start, period_end FROM invoices WHERE subscription_id = $1 ORDER BY period_start', [s.id]);
      expect(periods.length).toBeGreaterThanOrEqual(advanceCalls + 1); // the due period, and a renewal per month advanced
      for (let i = 1; i < periods.length; i++) expect(periods[i].period_start).toEqual(periods[i - 1].period_end);
      expect(periods.at(-1).period_start.getTime()).toBeLessThanOrEqual(target.getTime());
      expect(periods.at(-1).period_end.getTime()).toBeGreaterThan(target.getTime());
      expect(s.current_period_end).toEqual(periods.at(-1).period_end);
    }
    expect(await q('SELECT id FROM billing_failures')).toEqual([]);
  }, 700_000);
});
