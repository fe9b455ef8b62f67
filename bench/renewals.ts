import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { connect } from '../src/adapters/postgres/pool.ts';
import { createAccount } from '../src/app/accounts/accounts.ts';
import { seedDueSubscriptions } from '../test/fixtures/seed-due.ts';
import { REFERENCE_INSERT_CHARGE } from './reference-renewals.ts';

/** `rows`: how many rows each table (schema.table) holds after the run, seed included. */
export type RenewalResult = { mode: string; workers: number; count: number; seconds: number; perSecond: number; rows: Map<string, number> };

/**
 * Throws unless the reference's gateway write is still the engine's, word for word: the
 * comparison is only fair while both sides make the same write with the same commit.
 */
export function checkSameGatewayWrite(): void {
  const source = readFileSync(new URL('../src/adapters/gateways/sandbox/gateway.ts', import.meta.url), 'utf8');
  const engine = /const INSERT_CHARGE = `([^`]*)`/.exec(source)?.[1];
  const squash = (t: string) => t.replace(/\s+/g, ' ').trim();
  if (engine === undefined || squash(engine) !== squash(REFERENCE_INSERT_CHARGE)) {
    throw new Error('The engine\'s sandbox charge statement (INSERT_CHARGE in src/adapters/gateways/sandbox/gateway.ts) is no longer the ' +
      'reference\'s (REFERENCE_INSERT_CHARGE in bench/reference-renewals.ts): make them the same again, or the comparison is unfair.');
  }
}

/** Row count of every table in the public and sandbox schemas, keyed `schema.table`. */
export async function rowCounts(pool: pg.Pool): Promise<Map<string, number>> {
  const tables = (await pool.query<{ name: string; quoted: string }>(`SELECT format('%I.%I', table_schema, table_name) AS name,
      quote_literal(format('%I.%I', table_schema, table_name)) AS quoted FROM information_schema.tables
    WHERE table_schema IN ('public', 'sandbox') AND table_type = 'BASE TABLE' ORDER BY 1`)).rows;
  if (tables.length === 0) return new Map();
  const counts = (await pool.query<{ name: string; n: number }>(
    tables.map((t) => `SELECT ${t.quoted} AS name, count(*)::int AS n FROM ${t.name}`).join(' UNION ALL '))).rows;
  return new Map(counts.map((r) => [r.name, r.n]));
}

/** Each table whose row count differs between two countings, as "table: first n, second m". */
export function rowsDiffer(a: Map<string, number>, b: Map<string, number>, first: string, second: string): string[] {
  const tables = [...new Set([...a.keys(), ...b.keys()])].sort();
  return tables.filter((t) => a.get(t) !== b.get(t)).map((t) => `${t}: ${first} ${a.get(t) ?? 'no table'}, ${second} ${b.get(t) ?? 'no table'}`);
}

/**
 * Throws, naming each table that differs, unless two runs left the same number of rows in
 * every table: otherwise the two sides did not do the same work and their speeds say nothing.
 */
export function checkSameRows(a: RenewalResult, b: RenewalResult): void {
  const differ = rowsDiffer(a.rows, b.rows, a.mode, b.mode);
  if (differ.length) {
    throw new Error(`${a.mode} and ${b.mode} (workers=${a.workers}) did not write the same rows, so their speeds cannot be compared:\n  ${differ.join('\n  ')}`);
  }
}

type ChildReport = { count: number; start: number; end: number };

/** A worker process of bench/renewal-child.ts in `mode`, started on go(). */
export function child(mode: string, url: string) {
  const p = spawn(process.execPath, [...(process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', 'bench/renewal-child.ts', mode, url], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    return { mode, workers, count, seconds, perSecond: count / seconds, rows: await rowCounts(d.pool) };
  } finally {
    await d.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
