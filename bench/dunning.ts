import type pg from 'pg';
import { pino } from 'pino';
import { connect } from '../src/adapters/postgres/pool.ts';
import { createAccount } from '../src/app/accounts/accounts.ts';
import { processNextDue } from '../src/app/billing/process-due.ts';
import { claimNext } from '../src/app/jobs/queue.ts';
import { runJob } from '../src/app/jobs/run.ts';
import type { Deps } from '../src/app/ports.ts';
import { makeDeps } from '../src/runtime.ts';
import { seedDueSubscriptions } from '../test/fixtures/seed-due.ts';
import { child } from './renewals.ts';

export type DunningResult = { workers: number; count: number; recovered: number; seconds: number; perSecond: number };

/** Runs every ready job (here: the dunning.payment_settled of each settled charge); answers how many. */
export async function runReadyJobs(deps: Deps, owner: string): Promise<number> {
  const signal = new AbortController().signal;
  let n = 0;
  for (let job = await claimNext(deps, owner); job; job = await claimNext(deps, owner)) { await runJob(deps, job, owner, signal); n++; }
  return n;
}

/**
 * `count` dunning cases due now, made by the engine itself (untimed): due subscriptions on a card
 * that declines for insufficient funds are renewed by the billing run, each failure's settlement
 * job opens a case; then every case is made due now and every other card is swapped for one that
 * pays, so half the retries recover and half decline again (soft) and are planned days ahead.
 */
async function seedDueCases(d: ReturnType<typeof connect>, count: number): Promise<void> {
  const { account } = await createAccount(d.db, 'Bench dunning');
  const { tag } = await seedDueSubscriptions(d.pool, { accountId: account.id, count, now: new Date(), token: 'tok_chargeDeclinedInsufficientFunds' });
  const deps = makeDeps(d, pino({ level: 'warn' }), { recoveryDelayMs: 60_000 });
  while (await processNextDue(deps) > 0);
  await runReadyJobs(deps, 'bench-seed');
  const opened = (await d.pool.query(`SELECT count(*)::int AS n FROM dunning_cases WHERE status = 'active' AND awaiting = 'retry'`)).rows[0].n;
  if (opened !== count) throw new Error(`(f) seeding: ${opened} cases awaiting a retry, expected ${count}`);
  await d.pool.query(`UPDATE payment_methods SET gateway_token = 'tok_visa' WHERE id LIKE $1 AND substring(id from $2)::int % 2 = 0`,
    [`pm_seed${tag}%`, `pm_seed${tag}(\\d+)`]);
  await d.pool.query(`UPDATE dunning_cases SET next_attempt_at = now() - interval '1 second'`);
}

/**
 * Each case stepped once, one retry attempt each, no invoice charged twice, every settlement
 * planned: recovered cases closed, declined ones active with their next retry days ahead.
 */
async function checkBooks(pool: pg.Pool, count: number, done: number, startedAt: Date): Promise<number> {
  const c = (await pool.query(`SELECT
      (SELECT count(*) FROM dunning_cases WHERE retries = 1)::int AS stepped_once,
      (SELECT count(*) FROM dunning_cases WHERE status = 'recovered')::int AS recovered,
      (SELECT count(*) FROM dunning_cases WHERE status = 'active' AND jsonb_array_length(declines) = 2 AND next_attempt_at > $1)::int AS replanned,
      (SELECT count(*) FROM (SELECT invoice_id FROM payment_attempts GROUP BY invoice_id HAVING count(*) = 2) t)::int AS two_attempts,
      (SELECT count(*) FROM (SELECT reference FROM sandbox.charges WHERE status = 'succeeded' GROUP BY reference HAVING count(*) > 1) t)::int AS double_charged,
      (SELECT count(*) FROM invoices WHERE status = 'paid')::int AS paid,
      (SELECT count(*) FROM jobs WHERE status <> 'succeeded')::int AS unfinished_jobs`, [startedAt])).rows[0];
  const ok = done === count && c.stepped_once === count && c.two_attempts === count && c.double_charged === 0 && c.unfinished_jobs === 0
    && c.recovered === c.paid && c.recovered + c.replanned === count && c.recovered > 0 && c.replanned > 0;
  if (!ok) throw new Error(`(f): books do not balance: ${JSON.stringify({ count, done, ...c })}`);
  return c.recovered;
}

/** Retries `count` due dunning cases with `workers` processes on a fresh database cloned from the template. */
export async function runDunning(admin: pg.Client, serverUrl: string, template: string, workers: number, count: number): Promise<DunningResult> {
  const name = `rebill_bench_dunning_${workers}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const d = connect(url.toString(), { max: 2 });
  try {
    await seedDueCases(d, count);
    await d.pool.query('VACUUM ANALYZE');
    const startedAt = new Date();
    const kids = Array.from({ length: workers }, () => child('dunning', url.toString()));
    await Promise.all(kids.map((k) => k.ready));
    kids.forEach((k) => k.go());
    const reports = await Promise.all(kids.map((k) => k.report));
    const seconds = (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1000;
    const done = reports.reduce((a, r) => a + r.count, 0);
    const recovered = await checkBooks(d.pool, count, done, startedAt);
    return { workers, count, recovered, seconds, perSecond: count / seconds };
  } finally {
    await d.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
