import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../src/adapters/postgres/embedded.ts';
import { rowCounts } from './renewals.ts';

type Wal = { records: number; fpi: number; bytes: number; syncs: number };
/**
 * CPU seconds spent during a window by the Rebill process, by its database backends, and by
 * the load generator (this process), which shares the machine's cores with both.
 */
export type Cpu = { server: number; database: number; loadGenerator: number };
/** Peaks, in bytes, of the kernel's dirty page cache and of the pages it was writing back. */
type PageCache = { dirtyPeak: number; writebackPeak: number };
/**
 * Checkpoints that ran during a window: how many PostgreSQL counted, and when (seconds into the
 * window) the benchmark issued its own, if it issued one in this window.
 */
type Checkpoints = { counted: number | null; issuedAt: number | null };
export type Window = {
  latencies: number[]; p50: number; p99: number; max: number; ok: number; failed: number; timedOut: number;
  wal?: Wal | undefined; cpu?: Cpu | undefined; pageCache?: PageCache | undefined; checkpoints?: Checkpoints;
};
export type LatencyResult = { deployment: Deployment; rate: number; seconds: number; windows: Window[]; pooled: Window };
/** `start`: API and billing worker in one process (the default deployment); `serve`: API only. */
export type Deployment = 'start' | 'serve';

export const BENCH_KEY = 'rk_bench_0123456789abcdefghijklmnop';
// A request that has not answered this long after it was due counts as failed.
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 1000);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(latencies: number[], failed: number, timedOut: number): Window {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { latencies: sorted, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, ok: sorted.length, failed, timedOut };
}

/** The server's WAL counters (server-wide: nothing else runs during a window); null if hidden. */
export async function walTotals(admin: pg.Client): Promise<Wal | null> {
  try {
    const r = await admin.query<{ records: string; fpi: string; bytes: string; syncs: string }>(
      'SELECT wal_records::text AS records, wal_fpi::text AS fpi, wal_bytes::text AS bytes, wal_sync::text AS syncs FROM pg_stat_wal');
    const row = r.rows[0]!;
    return { records: Number(row.records), fpi: Number(row.fpi), bytes: Number(row.bytes), syncs: Number(row.syncs) };
  } catch { return null; }
}

/** Checkpoints the server has started since its statistics were reset (PostgreSQL 17 moved them); null if hidden. */
async function checkpointCount(admin: pg.Client): Promise<number | null> {
  for (const q of ['SELECT (num_timed + num_requested)::int AS n FROM pg_stat_checkpointer',
    'SELECT (checkpoints_timed + checkpoints_req)::int AS n FROM pg_stat_bgwriter']) {
    try { return (await admin.query<{ n: number }>(q)).rows[0]!.n; } catch { /* the other version */ }
  }
  return null;
}

/**
 * User plus system CPU seconds of processes, from /proc (Linux, same machine); a process that
 * is gone or not readable counts nothing. Clock ticks are USER_HZ, 100 on Linux.
 */
export function cpuSeconds(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch { /* not on this machine */ }
  }
  return out;
}

/**
 * Samples /proc/meminfo every 50 ms until stopped. Commits wait for the WAL's flush, and a flush
 * queued behind a burst of the kernel's write-back of PostgreSQL's data files waits for all of
 * it: the peaks tell a stall behind such a burst from one with another cause.
 */
function watchPageCache(): () => PageCache | undefined {
  const peak = { dirtyPeak: 0, writebackPeak: 0 };
  let seen = false;
  const sample = () => {
    try {
      const text = readFileSync('/proc/meminfo', 'utf8');
      const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
      const dirty = kb('Dirty'), writeback = kb('Writeback');
      if (Number.isNaN(dirty) || Number.isNaN(writeback)) return;
      seen = true;
      peak.dirtyPeak = Math.max(peak.dirtyPeak, dirty);
      peak.writebackPeak = Math.max(peak.writebackPeak, writeback);
    } catch { /* not Linux */ }
  };
  sample();
  const timer = setInterval(sample, 50);
  return () => { clearInterval(timer); sample(); return seen ? peak : undefined; };
}

/** Backends connected to the benchmark's database (the server's pool keeps them open). */
export async function backendPids(admin: pg.Client, database: string): Promise<number[]> {
  const r = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return r.rows.map((x) => x.pid);
}

/** Seconds of CPU each side used between two readings; undefined if /proc showed nothing. */
function cpuSpent(before: Map<number, number>, after: Map<number, number>, serverPid: number, loadGenerator: number): Cpu | undefined {
  let server = 0, database = 0, seen = false;
  for (const [pid, t] of after) {
    // A backend the pool opened during the window spent all of its CPU in it.
    const t0 = before.get(pid) ?? (pid === serverPid ? undefined : 0);
    if (t0 === undefined) continue;
    seen = true;
    if (pid === serverPid) server += t - t0; else database += t - t0;
  }
  return seen && after.has(serverPid) ? { server, database, loadGenerator } : undefined;
}

/** The windows' figures pooled: every latency and every failure, and the counters summed. */
export function poolWindows(windows: Window[]): Window {
  const all = summary(windows.flatMap((w) => w.latencies), windows.reduce((a, w) => a + w.failed, 0), windows.reduce((a, w) => a + w.timedOut, 0));
  const cpus = windows.map((w) => w.cpu);
  const cpu = cpus.length && cpus.every((c) => c) ? (cpus as Cpu[]).reduce((a, c) => ({
    server: a.server + c.server, database: a.database + c.database, loadGenerator: a.loadGenerator + c.loadGenerator })) : undefined;
  const wals = windows.map((w) => w.wal);
  const wal = wals.length && wals.every((x) => x) ? (wals as Wal[]).reduce((a, x) => ({
    records: a.records + x.records, fpi: a.fpi + x.fpi, bytes: a.bytes + x.bytes, syncs: a.syncs + x.syncs })) : undefined;
  return { ...all, cpu, wal };
}

/** One request a latency run sends; `idempotencyKey` goes out as the Idempotency-Key header. */
export type BenchRequest = { path: string; body: unknown; idempotencyKey?: string };
/** A POST through the API as the bench's key, for setting up what the requests need. */
export type Post = (path: string, body: unknown) => Promise<Record<string, unknown> & { id: string }>;
/**
 * What a latency run sends: `prepare` creates the rows its requests need through the API and
 * returns the request to send `i`th (warm-up and every window count from 0 again).
 */
export type Workload = { name: string; prepare: (post: Post) => Promise<(i: number) => BenchRequest> };

/** Part (b)'s workload: a new subscription for one of 200 carded customers, each with its own Idempotency-Key. */
export const subscriptionWorkload: Workload = {
  name: 'http',
  prepare: async (post) => {
    const product = await post('/v1/products', { name: 'Bench box' });
    const price = await post('/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
    const customers: string[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await post('/v1/customers', { email: `bench${i}@example.com` });
      await post('/v1/payment_methods', { customer: c.id, token: 'tok_visa' });
      customers.push(c.id);
    }
    const keyPrefix = `bench-${randomUUID()}-`;
    let sent = 0;
    return (i) => ({ path: '/v1/subscriptions', body: { customer: customers[i % customers.length], items: [{ price: price.id }] }, idempotencyKey: `${keyPrefix}${sent++}` });
  },
};

export type LatencyServer = {
  deployment: Deployment;
  /** Row count of every table of the server's database, as right before the warm-up, and now. */
  rowsBeforeWarmup: Map<string, number>;
  rowCounts: () => Promise<Map<string, number>>;
  /** `windows` consecutive windows of `seconds` at `rate` requests per second; a CHECKPOINT is issued halfway through the middle one. */
  measure: (rate: number, seconds: number, windows: number) => Promise<LatencyResult>;
  stop: () => Promise<void>;
};

/** The headers of a request as the bench's key. */
export const authHeaders = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };

/** `rebill <deployment>` running in its own process on its own fresh database. */
export type RebillProcess = {
  /** The database's name and URL, and the API's base URL. */
  name: string; url: string; base: string; port: number; pid: number;
  post: Post;
  stop: () => Promise<void>;
  /**
   * Stops the process and starts another on the same database and port; resolves once `waitFor`
   * answers 200 (`/health`: serving; `/health/ready`: also done with what it does at start).
   */
  restart: (waitFor?: '/health' | '/health/ready') => Promise<void>;
};

/**
 * Clones `template` into a fresh database named `rebill_bench_<label>_…` and starts
 * `rebill <deployment>` on it in its own process, with the bench's API key; resolves once
 * /health answers.
 */
export async function startRebill(admin: pg.Client, serverUrl: string, template: string, deployment: Deployment, label: string): Promise<RebillProcess> {
  const name = `rebill_bench_${label}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=.tmp/prof", goes to the server's node.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const spawnServer = async (waitFor: string) => {
    const server = spawn(process.execPath, [...nodeArgs, 'bin/rebill.js', deployment], {
      env: { ...process.env, DATABASE_URL: url.toString(), PORT: String(port), LOG_LEVEL: 'warn', REBILL_BOOTSTRAP_KEY: BENCH_KEY },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    server.stdout!.resume();
    const exited = new Promise((r) => server.once('exit', r));
    const stop = async () => {
      // The database stays until the whole run ends (run.ts drops every bench database then).
      // Dropping it here would delete hundreds of megabytes just before the next measurement: on
      // a disk that discards freed blocks, that holds up every commit's fsync for a while.
      server.kill('SIGTERM');
      await exited;
    };
    try {
      for (let i = 0; ; i++) {
        try { if ((await fetch(base + waitFor)).ok) break; } catch { /* not up yet */ }
        if (i > 3000) throw new Error(`rebill ${deployment} did not answer ${waitFor}`);
        await sleep(10);
      }
    } catch (err) {
      await stop();
      throw err;
    }
    return { pid: server.pid ?? -1, stop };
  };
  let current = await spawnServer('/health');
  const post: Post = async (path, body) => {
    const r = await fetch(base + path, { method: 'POST', headers: authHeaders, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return await r.json() as Record<string, unknown> & { id: string };
  };
  const process_: RebillProcess = {
    name, url: url.toString(), base, port, pid: current.pid, post,
    stop: async () => { await current.stop(); },
    restart: async (waitFor = '/health') => {
      await current.stop();
      current = await spawnServer(waitFor);
      process_.pid = current.pid;
    },
  };
  return process_;
}

/**
 * Starts `rebill <deployment>` in its own process on a fresh database, lets the workload create
 * what its requests need and warms the server up with them. Its `measure` then sends the
 * workload's requests (by default part (b)'s POST /v1/subscriptions) at a fixed rate. Each request is sent
 * at its scheduled time whether or not earlier ones have answered (open loop), and its latency
 * counts from that scheduled time, so a stalled server cannot hide its queueing delay; one that
 * has not answered TIMEOUT_MS after it was due is abandoned and counts as failed.
 */
export async function startLatencyServer(
  admin: pg.Client, serverUrl: string, template: string, deployment: Deployment, workload: Workload = subscriptionWorkload,
): Promise<LatencyServer> {
  const rebill = await startRebill(admin, serverUrl, template, deployment, `${workload.name}_${deployment}`);
  const { name, url, port, post, stop } = rebill;
  try {
    const request = await workload.prepare(post);
    const rowsNow = async () => {
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      try { return await rowCounts(pool); } finally { await pool.end(); }
    };
    const rowsBeforeWarmup = await rowsNow();
    // node:http with keep-alive: the load generator shares the machine's two cores with the
    // server and PostgreSQL, so it should spend as little CPU per request as it can.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    /** One request; resolves with its status, or 0 when it was abandoned at `deadline` (performance.now()). */
    const send = (i: number, deadline = Infinity) => new Promise<number>((resolve, reject) => {
      const r = request(i);
      const payload = JSON.stringify(r.body);
      const req = http.request({ host: '127.0.0.1', port, path: r.path, method: 'POST', agent,
        headers: { ...authHeaders, 'content-length': Buffer.byteLength(payload),
          ...(r.idempotencyKey === undefined ? {} : { 'idempotency-key': r.idempotencyKey }) } }, (res) => {
        res.resume();
        res.on('end', () => { clearTimeout(timer); resolve(res.statusCode ?? 0); });
      });
      const timer = deadline === Infinity ? undefined
        : setTimeout(() => { req.destroy(); resolve(0); }, Math.max(0, deadline - performance.now()));
      req.on('error', (err) => { clearTimeout(timer); reject(err); });
      req.end(payload);
    });

    // More lanes than the server has database connections, so every connection is opened and
    // has prepared its statements before the measurement, as on a server that has seen a peak.
    const LANES = 16;
    const inLanes = (n: number) => Promise.all(Array.from({ length: LANES }, async (_, lane) => { for (let i = lane; i < n; i += LANES) await send(i); }));
    // Warm up, not measured: a fresh process runs cold code for its first thousands of requests
    // (V8 is still optimizing), and a fresh database has no statistics yet. A server that has
    // been up a minute has both: the JIT settled, and autovacuum's ANALYZE done.
    const warmup = Number(process.env.BENCH_WARMUP ?? 3000);
    await inLanes(warmup);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    await db.query('VACUUM ANALYZE');
    // Earlier parts of the run leave the disk busy writing back their pages, and a commit's
    // fsync then waits behind that; start the measurement from a checkpoint instead.
    await db.query('CHECKPOINT').catch(() => undefined);
    await db.end();
    // After a checkpoint every page's first change is logged whole, and after ANALYZE every
    // cached plan is made anew: let that pass, as it would between checkpoints on a live server.
    await inLanes(1000);

    /**
     * Waits until the server is idle (under 0.1 s of CPU in a second, for its process and its
     * backends alike): requests abandoned at their timeout still run on the server, and their
     * backlog must not spill into the next measurement. Gives up after a minute.
     */
    const settle = async () => {
      for (let i = 0; i < 60; i++) {
        const pids = [rebill.pid, ...await backendPids(admin, name)];
        const t0 = cpuSeconds(pids);
        await sleep(1000);
        const t1 = cpuSeconds(pids);
        if ([...t1].reduce((a, [pid, t]) => a + t - (t0.get(pid) ?? t), 0) < 0.1) return;
      }
    };

    /** One window; with `checkpointAt` (ms into it), a CHECKPOINT is issued then, as a live server's would come. */
    const window = async (rate: number, seconds: number, checkpointAt: number | null): Promise<Window> => {
      const pids = [rebill.pid, ...await backendPids(admin, name)];
      const before = await walTotals(admin);
      const checkpointsBefore = await checkpointCount(admin);
      const cpuBefore = cpuSeconds(pids);
      const ownBefore = process.cpuUsage();
      const stopWatching = watchPageCache();
      const total = rate * seconds;
      const interval = 1000 / rate;
      const latencies: number[] = [];
      let failed = 0, timedOut = 0;
      const t0 = performance.now() + 20;
      const inflight: Promise<unknown>[] = [];
      if (checkpointAt !== null) {
        inflight.push(sleep(t0 + checkpointAt - performance.now()).then(() => admin.query('CHECKPOINT')).catch((err: Error) => {
          console.log(`      (CHECKPOINT not issued: ${err.message})`);
        }));
      }
      for (let i = 0; i < total; i++) {
        const scheduled = t0 + i * interval;
        const wait = scheduled - performance.now();
        if (wait > 0) await sleep(wait);
        inflight.push(send(i, scheduled + TIMEOUT_MS).then((status) => {
          if (status === 200) latencies.push(performance.now() - scheduled);
          else { failed++; if (status === 0) timedOut++; }
        }, () => { failed++; }));
      }
      await Promise.all(inflight);
      const own = process.cpuUsage(ownBefore);
      const pageCache = stopWatching();
      // Backends read again: a pool that replaced connections during the window has new ones.
      const pidsAfter = [...new Set([...pids, ...await backendPids(admin, name)])];
      const cpu = cpuSpent(cpuBefore, cpuSeconds(pidsAfter), rebill.pid, (own.user + own.system) / 1e6);
      const after = await walTotals(admin);
      const checkpointsAfter = await checkpointCount(admin);
      const wal = before && after
        ? { records: after.records - before.records, fpi: after.fpi - before.fpi, bytes: after.bytes - before.bytes, syncs: after.syncs - before.syncs } : undefined;
      const checkpoints = {
        counted: checkpointsBefore !== null && checkpointsAfter !== null ? checkpointsAfter - checkpointsBefore : null,
        issuedAt: checkpointAt === null ? null : checkpointAt / 1000,
      };
      return { ...summary(latencies, failed, timedOut), wal, cpu, pageCache, checkpoints };
    };

    const measure = async (rate: number, seconds: number, windows: number): Promise<LatencyResult> => {
      // Consecutive windows on the same server: each is reported, and so are all of them pooled.
      const withCheckpoint = Math.floor(windows / 2);
      const runs: Window[] = [];
      for (let w = 0; w < windows; w++) runs.push(await window(rate, seconds, w === withCheckpoint ? seconds * 500 : null));
      await settle();
      return { deployment, rate, seconds, windows: runs, pooled: poolWindows(runs) };
    };
    return { deployment, rowsBeforeWarmup, rowCounts: rowsNow, measure, stop: async () => { agent.destroy(); await stop(); } };
  } catch (err) {
    await stop();
    throw err;
  }
}
