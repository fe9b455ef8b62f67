import http from 'node:http';
import pg from 'pg';
import { copyRows } from '../src/adapters/postgres/copy.ts';
import { batchBodies, makeEvents, METERS } from './ingest-events.ts';
import { authHeaders, backendPids, cpuSeconds, startRebill, walTotals, type RebillProcess } from './latency.ts';
import { machineBusy } from './webhooks.ts';

/**
 * CPU seconds of one timed run: Rebill's process, its PostgreSQL backends, this process, and the
 * rest of the machine (PostgreSQL's WAL writer and checkpointer, and whatever else runs on it);
 * the WAL written, and how many of its records were whole pages.
 */
export type Spent = { server: number; database: number; loadGenerator: number; rest: number | null; walBytes: number | null; walFpi: number | null };
export type IngestResult = { connections: number; events: number; seconds: number; perSecond: number; accepted: number; duplicates: number; rejected: number; spent: Spent };
/** A server of part (g) ready to be sent the events: meters and customers made, warmed up. */
export type IngestServer = { rebill: RebillProcess; accountId: string; meterIds: string[]; customerIds: string[]; warmedUpWith: number };

const WARMUP_EVENTS = Number(process.env.BENCH_INGEST_WARMUP ?? 20_000);

/** Measures what a timed stretch costs: CPU of the server, its database backends and this process, and the WAL written. */
async function meter(admin: pg.Client, database: string, serverPid: number | null) {
  const pids = [...(serverPid === null ? [] : [serverPid]), ...await backendPids(admin, database)];
  const wal0 = await walTotals(admin);
  const cpu0 = cpuSeconds(pids);
  const own0 = process.cpuUsage();
  const busy0 = machineBusy();
  const t0 = performance.now();
  return async (): Promise<{ seconds: number; spent: Spent }> => {
    const seconds = (performance.now() - t0) / 1000;
    const own = process.cpuUsage(own0);
    const cpu1 = cpuSeconds(pids);
    const busy1 = machineBusy();
    const wal1 = await walTotals(admin);
    let server = 0, database = 0;
    for (const [pid, t] of cpu1) {
      const d = t - (cpu0.get(pid) ?? t);
      if (pid === serverPid) server += d; else database += d;
    }
    const loadGenerator = (own.user + own.system) / 1e6;
    const rest = busy0 === null || busy1 === null ? null : Math.max(0, busy1 - busy0 - server - database - loadGenerator);
    const wal = wal0 && wal1 ? { walBytes: wal1.bytes - wal0.bytes, walFpi: wal1.fpi - wal0.fpi } : { walBytes: null, walFpi: null };
    return { seconds, spent: { server, database, loadGenerator, rest, ...wal } };
  };
}

/** One POST of a serialized batch on `agent`; answers the batch's counts (read from the answer's head, not parsed whole). */
function postBatch(server: RebillProcess, agent: http.Agent, body: Buffer): Promise<{ accepted: number; duplicates: number; rejected: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: '/v1/billing/meter_event_batches', method: 'POST', agent,
      headers: { ...authHeaders, 'content-length': body.length } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        const head = /"accepted":(\d+),"duplicates":(\d+),"rejected":(\d+)/.exec(text.slice(0, 300));
        if (res.statusCode !== 200 || !head) { reject(new Error(`meter_event_batches: ${res.statusCode} ${text.slice(0, 300)}`)); return; }
        resolve({ accepted: Number(head[1]), duplicates: Number(head[2]), rejected: Number(head[3]) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends `bodies` over `connections` keep-alive connections, one request in flight on each (a
 * client with C connections, each waiting for its answer before sending the next batch); timed
 * from the first request to the last answer.
 */
export async function sendBatches(admin: pg.Client, s: IngestServer, bodies: Buffer[], connections: number, events: number): Promise<IngestResult> {
  const agents = Array.from({ length: connections }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const totals = { accepted: 0, duplicates: 0, rejected: 0 };
  try {
    // One request per connection first, untimed: the sockets are open before the clock starts.
    await Promise.all(agents.map((a) => postBatch(s.rebill, a, Buffer.from('{"events":[{}]}'))));
    const done = await meter(admin, s.rebill.name, s.rebill.pid);
    await Promise.all(agents.map(async (agent, lane) => {
      for (let b = lane; b < bodies.length; b += connections) {
        const r = await postBatch(s.rebill, agent, bodies[b]!);
        totals.accepted += r.accepted; totals.duplicates += r.duplicates; totals.rejected += r.rejected;
      }
    }));
    const { seconds, spent } = await done();
    return { connections, events, seconds, perSecond: events / seconds, ...totals, spent };
  } finally {
    agents.forEach((a) => a.destroy());
  }
}

/**
 * `rebill start` (the default deployment) on a fresh database: the account's meters and
 * `customers` customers made through the API, then a warm-up of other events (new V8 code and
 * an empty table's first pages would otherwise be measured), VACUUM ANALYZE and a CHECKPOINT,
 * so earlier parts' write-back does not hold up this part's commits.
 */
export async function startIngestServer(admin: pg.Client, serverUrl: string, template: string, customers: number, label: string): Promise<IngestServer> {
  const rebill = await startRebill(admin, serverUrl, template, 'start', label);
  try {
    const meterIds: string[] = [];
    for (const m of METERS) {
      const made = await rebill.post('/v1/billing/meters', {
        event_name: m.event_name, display_name: m.event_name, default_aggregation: { formula: m.formula }, ...('dimensions' in m ? { dimensions: m.dimensions } : {}),
      });
      meterIds.push(made.id);
    }
    const customerIds: string[] = new Array(customers);
    await Promise.all(Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane; i < customers; i += 8) customerIds[i] = (await rebill.post('/v1/customers', { email: `usage${i}@example.com` })).id;
    }));
    const warm = makeEvents(WARMUP_EVENTS, customers, new Date(), 3, WARMUP_EVENTS);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const body of batchBodies(warm, 1000, customerIds)) await postBatch(rebill, agent, body);
    agent.destroy();
    const db = new pg.Client({ connectionString: rebill.url });
    await db.connect();
    const accountId = (await db.query<{ id: string }>('SELECT account_id AS id FROM meters LIMIT 1')).rows[0]!.id;
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT').catch(() => undefined);
    await db.end();
    return { rebill, accountId, meterIds, customerIds, warmedUpWith: WARMUP_EVENTS };
  } catch (err) {
    await rebill.stop();
    throw err;
  }
}

/** Rows in the server's meter_events: exactly the events sent once each, plus the warm-up's. */
export async function storedEvents(s: IngestServer): Promise<number> {
  const db = new pg.Client({ connectionString: s.rebill.url });
  await db.connect();
  try { return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM meter_events')).rows[0]!.n; } finally { await db.end(); }
}

export type FloorResult = { connections: number; rows: number; seconds: number; perSecond: number; spent: Spent; settings: string };

/** The durability settings a connection runs with, as "name=value" pairs. */
async function durability(db: pg.Client): Promise<string> {
  const r = await db.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'full_page_writes', 'wal_level', 'commit_delay') ORDER BY name");
  return r.rows.map((x) => `${x.name}=${x.setting}`).join(' ');
}

/**
 * The floor: the same rows COPYed into a bare table with meter_events' columns and primary key and
 * nothing else, in a fresh database from the same template, `chunks` (one COPY statement and commit each, as the engine commits each
 * batch) over `connections` connections; or, with one chunk, everything in one COPY.
 */
export async function copyFloor(admin: pg.Client, serverUrl: string, template: string, chunks: Buffer[], connections: number, rows: number): Promise<FloorResult> {
  const name = `rebill_bench_floor_${connections}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const clients = Array.from({ length: connections }, () => new pg.Client({ connectionString: url.toString(), application_name: 'rebill' }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    const first = clients[0]!;
    // meter_events' own columns (types, collations, NOT NULL, defaults) and its primary key; nothing else.
    await first.query('CREATE TABLE floor_events (LIKE meter_events INCLUDING DEFAULTS, PRIMARY KEY (account_id, identifier))');
    await first.query('CHECKPOINT').catch(() => undefined);
    const settings = await durability(first);
    const statement = 'COPY floor_events (account_id, identifier, meter_id, customer_id, "timestamp", value, unique_key, payload, created_at) FROM STDIN';
    let copied = 0;
    const done = await meter(admin, name, null);
    await Promise.all(clients.map(async (client, lane) => {
      for (let b = lane; b < chunks.length; b += connections) {
        const n = await copyRows(client, statement, chunks[b]!);
        copied += n;
      }
    }));
    const { seconds, spent } = await done();
    if (copied !== rows) throw new Error(`(g) floor: COPY took ${copied} rows, expected ${rows}`);
    return { connections, rows, seconds, perSecond: rows / seconds, spent, settings };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
