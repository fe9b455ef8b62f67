import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { connect } from '../src/adapters/postgres/pool.ts';
import { processNextDue } from '../src/app/billing/process-due.ts';
import { retryDueCases } from '../src/app/dunning/retry-due.ts';
import { makeDeps } from '../src/runtime.ts';
import { runReadyJobs } from './dunning.ts';
import { referenceBatch } from './reference-renewals.ts';

/**
 * One benchmark worker process: `engine` runs Rebill's billing loop, `reference` the raw-SQL
 * reference, `dunning` the dunning duty (retryDueCases, which records each batch's outcomes in
 * its cases) and then any job left ready, as the worker's loops would. It connects, says "ready", starts on "go", and when nothing is due prints what it did and when.
 */
const [mode, url] = process.argv.slice(2);
if (!url || !['engine', 'reference', 'dunning'].includes(mode!)) throw new Error('usage: renewal-child.ts engine|reference|dunning <url>');
const database = connect(url, { max: 9, applicationName: `bench-${mode}` });
await database.pool.query('SELECT 1');
const deps = makeDeps(database, pino({ level: 'warn' }), { recoveryDelayMs: 60_000 });
const owner = `bench-${process.pid}`;
// A batch of retries, then their settlements: the count is of retries; a round that settled
// something goes on, since another process's charges may have left jobs for this one.
const dunningStep = async () => { const n = await retryDueCases(deps); const settled = await runReadyJobs(deps, owner); return n || (settled ? -1 : 0); };
const step = mode === 'engine' ? () => processNextDue(deps) : mode === 'dunning' ? dunningStep : () => referenceBatch(database.pool);

console.log('ready');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const start = Date.now();
let count = 0;
for (;;) {
  const n = await step();
  if (n === 0) break;
  count += Math.max(n, 0);
}
const end = Date.now();
console.log(JSON.stringify({ count, start, end }));
await database.close();
process.exit(0);
