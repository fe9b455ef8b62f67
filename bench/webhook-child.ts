import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { connect } from '../src/adapters/postgres/pool.ts';
import { CONNECTIONS_PER_ORIGIN, WEBHOOK_TIMEOUT_MS } from '../src/adapters/webhook-sender.ts';
import { DELIVERY_BATCH, deliverDue } from '../src/app/webhooks/deliver.ts';
import { signedHeaders } from '../src/domain/webhook-signature.ts';
import type { eventView } from '../src/app/views.ts';
import { makeDeps } from '../src/runtime.ts';

/**
 * One part (e) sender process. `engine <db url> <secret key> <loops>` runs `loops` delivery loops
 * (REBILL_WEBHOOK_CONCURRENCY's default is 2), each calling `deliverDue` as the worker's webhooks
 * lane does, until nothing is left to claim. `reference <file> <url> <whsec> <loops> <part>
 * <parts>` sends its share of the events in the file (every `parts`-th, from `part`) with
 * undici and no database, in the engine's shape: `loops` loops each signing and sending a batch of
 * DELIVERY_BATCH side by side through one Agent with the engine's connections and timeouts.
 * Both say "ready", start on "go", print what they did and when, and close on the next line.
 */
type EventObject = ReturnType<typeof eventView>;
const [mode, ...args] = process.argv.slice(2);
let run: () => Promise<number>;
let close: () => Promise<void>;

if (mode === 'engine') {
  const [url, secretKey, loops] = args as [string, string, string];
  const database = connect(url, { max: 2 * Number(loops) + 1, applicationName: 'bench-webhooks' });
  await database.pool.query('SELECT 1');
  const deps = makeDeps(database, pino({ level: 'warn' }), { recoveryDelayMs: 60_000, secretKey, webhooksAllowHttp: true });
  const owner = `bench:${process.pid}`;
  run = async () => {
    let count = 0;
    await Promise.all(Array.from({ length: Number(loops) }, async () => {
      for (let n = await deliverDue(deps, owner); n > 0; n = await deliverDue(deps, owner)) count += n;
    }));
    return count;
  };
  close = async () => { await deps.webhooks?.sender?.close(); await database.close(); };
} else if (mode === 'reference') {
  const [file, url, secret, loops, part, parts] = args as [string, string, string, string, string, string];
  const all = JSON.parse(readFileSync(file, 'utf8')) as EventObject[];
  const mine = all.filter((_, i) => i % Number(parts) === Number(part));
  const agent = new Agent({ connections: CONNECTIONS_PER_ORIGIN, pipelining: 1, headersTimeout: WEBHOOK_TIMEOUT_MS, bodyTimeout: WEBHOOK_TIMEOUT_MS,
    connect: { timeout: WEBHOOK_TIMEOUT_MS } });
  // The same tricks as the engine: bodies ready before sending (the engine has PostgreSQL build
  // them), one deadline per batch, answers read past unparsed.
  const bodies = new Map(mine.map((e) => [e.id, JSON.stringify(e)]));
  async function send(event: EventObject, signal: AbortSignal): Promise<boolean> {
    const body = bodies.get(event.id)!;
    const headers = signedHeaders([secret], event.id, new Date(), body);
    const res = await request(url, {
      method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', 'user-agent': 'Rebill-Webhooks/1', ...headers },
      body, signal,
    });
    await res.body.dump({ limit: 64 * 1024 });
    return res.statusCode >= 200 && res.statusCode < 300;
  }
  let next = 0;
  run = async () => {
    let count = 0;
    await Promise.all(Array.from({ length: Number(loops) }, async () => {
      while (next < mine.length) {
        const batch = mine.slice(next, next + DELIVERY_BATCH);
        next += batch.length;
        const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
        const ok = await Promise.all(batch.map((e) => send(e, signal)));
        count += ok.filter(Boolean).length;
      }
    }));
    return count;
  };
  close = () => agent.close();
} else {
  throw new Error('usage: webhook-child.ts engine <db url> <secret key> <loops> | reference <file> <url> <whsec> <loops> <part> <parts>');
}

console.log('ready');
const input = createInterface({ input: process.stdin });
const nextLine = () => new Promise<void>((resolve) => input.once('line', () => resolve()));
await nextLine();
const start = Date.now();
const cpu0 = process.cpuUsage();
const count = await run();
const end = Date.now();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ count, start, end, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
// The connections stay open until the parent has read their backends' CPU time.
await nextLine();
await close();
process.exit(0);
