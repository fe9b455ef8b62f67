import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/adapters/postgres/embedded.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { withDatabase } from '../src/adapters/postgres/pool.ts';
import { runLatency } from './latency.ts';
import { runRenewals, type RenewalResult } from './renewals.ts';

/**
 * `npm run bench`: (a) billing-run renewals per second, engine vs raw-SQL reference, at 1, 2
 * and 4 worker processes; (b) p50/p99 latency of POST /v1/subscriptions at fixed open-loop
 * rates. Uses DATABASE_URL's server if set, else an embedded PostgreSQL; every run gets a fresh
 * database cloned from a freshly migrated template.
 */
const RENEWALS = Number(process.env.BENCH_RENEWALS ?? 10_000);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
// BENCH_PARTS=a or =b runs one half, for working on it; `npm run bench` runs both.
const PARTS = process.env.BENCH_PARTS ?? 'a,b';

let embedded: EmbeddedServer | null = null;
let dir: string | null = null;
let serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  dir = path.join(os.tmpdir(), `rebill-bench-pg-${process.pid}`);
  embedded = await startEmbeddedPostgres(dir, { quiet: true });
  serverUrl = embedded.url;
}
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const template = `rebill_bench_tpl_${Date.now().toString(36)}`;
await admin.query(`CREATE DATABASE ${template}`);
const tpl = new pg.Pool({ connectionString: withDatabase(serverUrl, template), max: 1 });
await migrate(tpl);
await tpl.end();

try {
  const server = (await admin.query('SHOW server_version')).rows[0].server_version;
  console.log(`Rebill benchmark — node ${process.version}, PostgreSQL ${server} (${embedded ? 'embedded' : 'DATABASE_URL'}), ${os.cpus().length} cores`);
  if (PARTS.includes('a')) {
  console.log(`\n(a) billing run: ${RENEWALS} due monthly subscriptions, one worker process per worker, batches of 25`);
  const results: RenewalResult[] = [];
  for (const workers of WORKERS) {
    for (const mode of ['engine', 'reference'] as const) {
      const r = await runRenewals(admin, serverUrl, template, mode, workers, RENEWALS);
      results.push(r);
      console.log(`  ${mode.padEnd(9)} workers=${workers}  ${r.perSecond.toFixed(0).padStart(6)} renewals/s  (${r.seconds.toFixed(2)} s)`);
    }
  }
  console.log('\n  workers  engine/s  reference/s  engine÷reference');
  for (const workers of WORKERS) {
    const e = results.find((r) => r.mode === 'engine' && r.workers === workers)!;
    const ref = results.find((r) => r.mode === 'reference' && r.workers === workers)!;
    console.log(`  ${String(workers).padStart(7)}  ${e.perSecond.toFixed(0).padStart(8)}  ${ref.perSecond.toFixed(0).padStart(11)}  ${(e.perSecond / ref.perSecond).toFixed(2).padStart(16)}`);
  }
  console.log('  target: engine÷reference ≥ 0.75 at 4 workers');
  }
  if (PARTS.includes('b')) {

  console.log('\n(b) POST /v1/subscriptions latency, open loop (requests sent on a fixed schedule, latency measured from the scheduled time)');
  for (const rate of [100, 200]) {
    const r = await runLatency(admin, serverUrl, template, rate, Number(process.env.BENCH_SECONDS ?? 10));
    console.log(`  ${String(rate).padStart(3)} req/s for ${r.seconds}s: p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  max ${r.max.toFixed(1)} ms  (${r.ok} ok, ${r.failed} failed)`);
  }
  console.log('  target: p99 < 50 ms at 200 req/s');
  }
} finally {
  const rows = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'rebill_bench_%'");
  for (const r of rows.rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  await embedded?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
