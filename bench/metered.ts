import type pg from 'pg';
import { connect } from '../src/adapters/postgres/pool.ts';
import { createAccount } from '../src/app/accounts/accounts.ts';
import { seedDueSubscriptions } from '../test/fixtures/seed-due.ts';
import { child } from './renewals.ts';

export type MeteredResult = { workers: number; subscriptions: number; events: number; seedSeconds: number; seconds: number; perSecond: number };

// 0.04 cents per call, as in the example; each event reports 1–7 calls.
const UNIT = '0.04';
const callsOf = (g: number) => (g % 7) + 1;

/**
 * (h) Due subscriptions that each bill a licensed fee in advance and a metered item in arrears,
 * `perSub` events of usage each in the period that just closed, renewed by `workers` engine
 * processes (the renewal duty: usage measured before each batch's transaction, then invoiced and
 * charged). Seeded with set-based SQL and vacuumed (so aggregates are index-only scans, as they
 * are on a live table after autovacuum); the books are checked afterwards: one invoice per
 * subscription with its flat fee and a usage line whose quantity and amount are the events' own.
 */
export async function runMeteredBilling(admin: pg.Client, serverUrl: string, template: string, workers: number, subscriptions: number, perSub: number,
  progress: (line: string) => void): Promise<MeteredResult> {
  const name = `rebill_bench_metered_${workers}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const d = connect(url.toString(), { max: 2 });
  try {
    const seedStart = Date.now();
    const { account } = await createAccount(d.db, 'Bench metered');
    const { tag, periodEnd } = await seedDueSubscriptions(d.pool, { accountId: account.id, count: subscriptions, now: new Date() });
    const periodStart = (await d.pool.query<{ t: Date }>('SELECT current_period_start AS t FROM subscriptions LIMIT 1')).rows[0]!.t;
    await d.pool.query(`INSERT INTO meters (account_id, id, event_name, display_name, formula, value_key, customer_key, created_at, updated_at)
      VALUES ($1, 'mtr_bench', 'api_calls', 'API calls', 'sum', 'value', 'customer', $2, $2)`, [account.id, periodStart]);
    await d.pool.query(`INSERT INTO prices (account_id, id, product_id, currency, billing_scheme, unit_amount_decimal, recurring_interval, recurring_interval_count, usage_type, meter_id, created_at)
      VALUES ($1, 'price_bench_calls', $2, 'usd', 'per_unit', $3, 'month', 1, 'metered', 'mtr_bench', $4)`, [account.id, `prod_seed${tag}`, UNIT, periodStart]);
    await d.pool.query(`INSERT INTO subscription_items (account_id, id, subscription_id, price_id, quantity, created_at)
      SELECT $1, 'si_calls' || $2 || g, 'sub_seed' || $2 || g, 'price_bench_calls', 1, $3 FROM generate_series(1, $4) g`, [account.id, tag, periodStart, subscriptions]);
    // The events, a million per statement, spread over the closed period.
    const span = periodEnd.getTime() - periodStart.getTime() - 1000;
    const chunk = Math.max(1, Math.floor(1_000_000 / perSub));
    for (let from = 1; from <= subscriptions; from += chunk) {
      const to = Math.min(subscriptions, from + chunk - 1);
      await d.pool.query(`INSERT INTO meter_events (account_id, identifier, meter_id, customer_id, "timestamp", value, payload, created_at)
        SELECT $1, 'ev-' || s || '-' || g, 'mtr_bench', 'cus_seed' || $2 || s,
          $3::timestamptz + (g * $4::double precision / $5) * interval '1 millisecond', (g % 7) + 1, '{}', $6
        FROM generate_series($7::int, $8::int) s, generate_series(1, $5::int) g`, [account.id, tag, periodStart, span, perSub, periodEnd, from, to]);
      if (to % (chunk * 2) === 0 || to === subscriptions) progress(`    seeded ${(to * perSub).toLocaleString('en-US')} events`);
    }
    await d.pool.query('VACUUM ANALYZE');
    const seedSeconds = (Date.now() - seedStart) / 1000;
    const kids = Array.from({ length: workers }, () => child('engine', url.toString()));
    await Promise.all(kids.map((k) => k.ready));
    kids.forEach((k) => k.go());
    const reports = await Promise.all(kids.map((k) => k.report));
    const seconds = (Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start))) / 1000;
    await checkBooks(d.pool, subscriptions, perSub);
    return { workers, subscriptions, events: subscriptions * perSub, seedSeconds, seconds, perSecond: subscriptions / seconds };
  } finally {
    await d.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/** Every subscription invoiced once, paid, with its usage line exactly the events' calls × 0.04, rounded half-up. */
async function checkBooks(pool: pg.Pool, subscriptions: number, perSub: number) {
  let calls = 0;
  for (let g = 1; g <= perSub; g++) calls += callsOf(g);
  const expected = Math.floor(calls * 4 / 100 + 0.5);
  const r = (await pool.query(`SELECT
      (SELECT count(*) FROM invoices WHERE status = 'paid' AND billing_reason = 'subscription_cycle')::int AS paid,
      (SELECT count(*) FROM invoice_lines WHERE kind = 'usage' AND quantity_decimal = $1 AND amount = $2)::int AS usage_lines,
      (SELECT count(*) FROM usage_billings)::int AS ledger`, [calls, expected])).rows[0];
  if (r.paid !== subscriptions || r.usage_lines !== subscriptions || r.ledger !== subscriptions) {
    throw new Error(`metered billing: books do not balance: ${JSON.stringify({ subscriptions, calls, expected, ...r })}`);
  }
}
