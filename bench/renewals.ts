import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { connect } from '../src/adapters/postgres/pool.ts';
import { createAccount } from '../src/app/accounts.ts';
import { seedDueSubscriptions } from '../test/fixtures/seed-due.ts';

export type RenewalResult = { mode: string; workers: number; count: number; seconds: number; perSecond: number };

type ChildReport = { count: number; start: number; end: number };

function child(mode: string, url: string) {
  const p = spawn(process.execPath, ['--import', 'tsx', 'bench/renewal-child.ts', mode, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout! });
  const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  let said: ChildReport | null = null;
  lines.on('line', (l) => { if (l.startsWith('{')) said = JSON.parse(l); });
  // The report counts once the worker has closed its connections and exited cleanly.
  const report = new Promise<ChildReport>((resolve, reject) => {
    p.on('exit', (code) => (code === 0 && said ? resolve(said) : reject(new Error(`${mode} worker exited with ${code}`))));
  });
  return { ready, report, go: () => p.stdin!.write('go\n') };
}

/**
 * Renews `count` due subscriptions with `workers` processes of one mode, on a fresh database
 * cloned from the migrated template, and checks the books afterwards.
 */
export async function runRenewals(admin: pg.Client, serverUrl: string, template: string, mode: 'engine' | 'reference', workers: number, count: number): Promise<RenewalResult> {
  const name = `rebill_bench_${mode}_${workers}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const d = connect(url.toString(), { max: 2 });
  try {
    const { account } = await createAccount(d.db, 'Bench');
    await seedDueSubscriptions(d.pool, { accountId: account.id, count, now: new Date() });
    await d.pool.query('VACUUM ANALYZE');
    const kids = Array.from({ length: workers }, () => child(mode, url.toString()));
    await Promise.all(kids.map((k) => k.ready));
    kids.forEach((k) => k.go());
    const reports = await Promise.all(kids.map((k) => k.report));
    const start = Math.min(...reports.map((r) => r.start));
    const end = Math.max(...reports.map((r) => r.end));
    const done = reports.reduce((a, r) => a + r.count, 0);
    const check = (await d.pool.query(`SELECT
        (SELECT count(*) FROM invoices WHERE status = 'paid')::int AS paid,
        (SELECT count(*) FROM invoices)::int AS invoices,
        (SELECT count(DISTINCT reference) FROM sandbox.charges)::int AS charged,
        (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM audit_log)::int AS audit`)).rows[0];
    if (check.paid !== count || check.invoices !== count || check.charged !== count || done !== count) {
      throw new Error(`${mode}/${workers}: books do not balance: ${JSON.stringify({ done, ...check })}`);
    }
    const seconds = (end - start) / 1000;
    return { mode, workers, count, seconds, perSecond: count / seconds };
  } finally {
    await d.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
