import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type pg from 'pg';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { SecretBox } from '../src/adapters/secret-box.ts';
import { connect } from '../src/adapters/postgres/pool.ts';
import { createAccount } from '../src/app/accounts/accounts.ts';
import { sequenceEvents } from '../src/app/events/sequencer.ts';
import { systemActor } from '../src/app/ports.ts';
import { eventView } from '../src/app/views.ts';
import { isDeepStrictEqual } from 'node:util';
import { createEndpoint } from '../src/app/webhooks/endpoints.ts';
import { newId } from '../src/domain/ids.ts';
import { makeDeps } from '../src/runtime.ts';

/** Delivery loops per worker process: REBILL_WEBHOOK_CONCURRENCY's default, for engine and reference alike. */
export const WEBHOOK_LOOPS = Number(process.env.BENCH_WEBHOOK_LOOPS ?? 2);

/**
 * CPU seconds used during a run: by the sender processes, by the receiver, by the PostgreSQL
 * backends of the run's connections (engine), and by the rest of the machine (PostgreSQL's WAL
 * writer and checkpointer, and whatever else runs on it), from /proc (null where there is none).
 */
export type RunCpu = { senders: number; receiver: number; database: number | null; rest: number | null };
export type WebhookResult = { mode: 'engine' | 'reference'; processes: number; count: number; seconds: number; perSecond: number; cpu: RunCpu };

/** CPU seconds used so far by the server processes serving database `name` (null if they are not on this machine). */
async function backendsCpu(admin: pg.Client, name: string): Promise<number | null> {
  const pids = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).rows.map((r) => r.pid);
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      return null;
    }
  }
  return ticks / 100;
}

/** CPU seconds the whole machine has spent busy since boot (Linux), or null. */
export function machineBusy(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq: all but idle and iowait, in USER_HZ (100/s).
    return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100;
  } catch {
    return null;
  }
}

function lines(p: ChildProcess): Interface {
  return createInterface({ input: p.stdout! });
}
const nextLine = (l: Interface) => new Promise<string>((resolve) => l.once('line', resolve));

/** The receiver process (bench/webhook-receiver.ts): its URL, and what it got since last asked. */
export type Receiver = { url: string; collect: () => Promise<{ count: number; cpuSeconds: number; sample: { headers: Record<string, string>; body: string }[] }>; stop: () => Promise<void> };

export async function startReceiver(): Promise<Receiver> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'bench/webhook-receiver.ts', '100'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = lines(p);
  const { port } = JSON.parse(await nextLine(out)) as { port: number };
  const exited = new Promise<void>((resolve) => p.on('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    collect: async () => { const answer = nextLine(out); p.stdin!.write('report\n'); return JSON.parse(await answer); },
    stop: async () => { p.stdin!.end(); await exited; },
  };
}

/** A prepared run: a fresh database with `count` pending deliveries, and the requests they make. */
export type Prepared = {
  name: string; url: string; secretKey: string; secret: string; count: number;
  /** Inserting the events, and sequencing them with their fan-out into deliveries (one transaction per 5,000). */
  insertSeconds: number; fanOutSeconds: number;
  /** The events as a delivery sends them (eventView), for the reference. */
  file: string;
};

/**
 * A fresh database cloned from the template, an account, one endpoint at the receiver taking
 * `customer.created`, and `count` such events of as many customers (one event per object: no
 * delivery waits for an earlier one of its object), sequenced and fanned out by the engine's
 * sequencer. Not timed as part of the deliveries; the fan-out's time is reported on its own.
 */
export async function prepareDeliveries(admin: pg.Client, serverUrl: string, template: string, count: number, receiverUrl: string): Promise<Prepared> {
  const name = `rebill_bench_webhooks_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const u = new URL(serverUrl); u.pathname = `/${name}`;
  const url = u.toString();
  const d = connect(url, { max: 2 });
  try {
    const secretKey = SecretBox.newKey();
    const deps = makeDeps(d, pino({ level: 'warn' }), { recoveryDelayMs: 60_000, secretKey, webhooksAllowHttp: true });
    const { account } = await createAccount(d.db, 'Bench');
    const endpoint = await createEndpoint(deps, systemActor(account.id), { url: receiverUrl, enabled_events: ['customer.created'] });
    const t0 = performance.now();
    const base = Date.now();
    for (let from = 0; from < count; from += 5000) {
      const ids: string[] = []; const objects: string[] = []; const data: string[] = []; const at: Date[] = [];
      for (let i = from; i < Math.min(count, from + 5000); i++) {
        const customer = newId('customer');
        ids.push(newId('event')); objects.push(customer); at.push(new Date(base + i));
        data.push(JSON.stringify({ object: customerObject(customer, i, new Date(base + i).toISOString()) }));
      }
      await d.pool.query(`INSERT INTO events (account_id, id, type, object_id, data, request_id, created_at)
        SELECT $1, t.id, 'customer.created', t.object_id, t.data, NULL, t.at
        FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::timestamptz[]) AS t(id, object_id, data, at)`, [account.id, ids, objects, data, at]);
    }
    const t1 = performance.now();
    await sequenceEvents(d.db, new Date());
    const t2 = performance.now();
    await d.pool.query('VACUUM ANALYZE');
    const { n } = (await d.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`)).rows[0]!;
    if (n !== count) throw new Error(`(e): ${n} pending deliveries after the fan-out, not ${count}`);
    const events = await d.db.selectFrom('events').selectAll().where('type', '=', 'customer.created').orderBy('sequence').execute();
    const file = path.join(os.tmpdir(), `${name}.json`);
    writeFileSync(file, JSON.stringify(events.map(eventView)));
    return { name, url, secretKey, secret: endpoint.secret!, count, insertSeconds: (t1 - t0) / 1000, fanOutSeconds: (t2 - t1) / 1000, file };
  } finally {
    await d.close();
  }
}

/** A customer as the API shows one (the size of a real event's body, about 600 bytes). */
function customerObject(id: string, i: number, at: string) {
  return {
    id, object: 'customer', email: `customer${i}@example.com`, name: `Customer ${i}`, metadata: { source: 'bench', index: String(i) },
    test_clock: null, invoice_settings: { default_payment_method: null }, invoice_prefix: null, next_invoice_sequence: 1,
    balance: 0, currency: 'usd', address: { line1: `${i} Main Street`, line2: null, city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
    tax_exempt: 'none', tax_ids: [], created: at, updated: at, discounts: [],
  };
}

type ChildReport = { count: number; start: number; end: number; cpuSeconds: number };

function child(args: string[]) {
  const p = spawn(process.execPath, [...(process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', 'bench/webhook-child.ts', ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = lines(p);
  const ready = nextLine(out);
  const report = new Promise<ChildReport>((resolve, reject) => {
    out.on('line', (l) => { if (l.startsWith('{')) resolve(JSON.parse(l)); });
    p.on('exit', (code) => reject(new Error(`webhook ${args[0]} process exited with ${code} before reporting`)));
  });
  const exited = new Promise<void>((resolve, reject) => p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`webhook ${args[0]} process exited with ${code}`)))));
  // Awaited only by close(); a process that dies before is reported through `report`.
  exited.catch(() => undefined);
  return { ready, report, go: () => p.stdin!.write('go\n'), close: () => { p.stdin!.write('close\n'); return exited; } };
}

/**
 * Delivers the prepared deliveries with `processes` processes: `engine` from the database,
 * `reference` from the file. Timed from the first process's start to the last one's end; then
 * checks that the receiver answered every delivery once, that the sample it kept verifies with
 * the official `standardwebhooks` package and is each event as `eventView` gives it (the same
 * JSON value), and
 * (engine) that every delivery is `succeeded`.
 */
export async function runDeliveries(admin: pg.Client, p: Prepared, receiver: Receiver, mode: 'engine' | 'reference', processes: number): Promise<WebhookResult> {
  const kids = Array.from({ length: processes }, (_, i) => child(mode === 'engine'
    ? ['engine', p.url, p.secretKey, String(WEBHOOK_LOOPS)]
    : ['reference', p.file, receiver.url, p.secret, String(WEBHOOK_LOOPS), String(i), String(processes)]));
  await Promise.all(kids.map((k) => k.ready));
  await receiver.collect();
  const busy0 = machineBusy();
  kids.forEach((k) => k.go());
  const reports = await Promise.all(kids.map((k) => k.report));
  const busy1 = machineBusy();
  // The engine's connections were opened for the run (but one, which ran SELECT 1 before it).
  const database = mode === 'engine' ? await backendsCpu(admin, p.name) : 0;
  await Promise.all(kids.map((k) => k.close()));
  const start = Math.min(...reports.map((r) => r.start));
  const end = Math.max(...reports.map((r) => r.end));
  const done = reports.reduce((a, r) => a + r.count, 0);
  const got = await receiver.collect();
  const wh = new Webhook(p.secret);
  // Both sides must send each event as the API shows it (eventView), signed: the same JSON value
  // (the engine's body keeps jsonb's spacing inside `data`).
  const bodies = new Map((JSON.parse(readFileSync(p.file, 'utf8')) as { id: string }[]).map((e) => [e.id, JSON.stringify(e)]));
  const bad = got.sample.filter((r) => {
    try { wh.verify(r.body, r.headers); } catch { return true; }
    const expected = bodies.get(r.headers['webhook-id']!);
    return expected === undefined || !isDeepStrictEqual(JSON.parse(r.body), JSON.parse(expected));
  });
  if (done !== p.count || got.count !== p.count || got.sample.length === 0 || bad.length) {
    throw new Error(`(e) ${mode}/${processes}: sent ${done}, the receiver answered ${got.count}, of ${p.count}; ${bad.length} of ${got.sample.length} ` +
      'sampled requests failed verification or were not the event as the API shows it');
  }
  if (mode === 'engine') {
    const d = connect(p.url, { max: 1 });
    try {
      const r = (await d.pool.query<{ ok: number; all: number }>(`SELECT count(*) FILTER (WHERE status = 'succeeded' AND jsonb_array_length(history) = 1)::int AS ok,
        count(*)::int AS all FROM webhook_deliveries`)).rows[0]!;
      if (r.ok !== p.count || r.all !== p.count) throw new Error(`(e) engine/${processes}: ${r.ok} of ${r.all} deliveries succeeded at their first try, not ${p.count}`);
    } finally {
      await d.close();
    }
  }
  const seconds = (end - start) / 1000;
  const senders = reports.reduce((a, r) => a + r.cpuSeconds, 0);
  const rest = busy0 === null || busy1 === null || database === null ? null : Math.max(0, busy1 - busy0 - senders - got.cpuSeconds - database);
  return { mode, processes, count: p.count, seconds, perSecond: p.count / seconds, cpu: { senders, receiver: got.cpuSeconds, database, rest } };
}
