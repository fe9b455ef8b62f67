import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { connect } from '../src/adapters/postgres/pool.ts';
import { processNextDue } from '../src/app/billing/process-due.ts';
import { makeDeps } from '../src/runtime.ts';
import { referenceBatch } from './reference-renewals.ts';

/**
 * One benchmark worker process: `engine` runs Rebill's billing loop, `reference` the raw-SQL
 * reference. It connects, says "ready", starts on "go", and when nothing is due prints what it
 * did and when.
 */
const [mode, url] = process.argv.slice(2);
if (!url || (mode !== 'engine' && mode !== 'reference')) throw new Error('usage: renewal-child.ts engine|reference <url>');
const database = connect(url, { max: 9, applicationName: `bench-${mode}` });
await database.pool.query('SELECT 1');
const deps = makeDeps(database, pino({ level: 'warn' }), { recoveryDelayMs: 60_000 });
const step = mode === 'engine' ? () => processNextDue(deps) : () => referenceBatch(database.pool);

console.log('ready');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const start = Date.now();
let count = 0;
for (;;) {
  const n = await step();
  if (n === 0) break;
  count += n;
}
const end = Date.now();
console.log(JSON.stringify({ count, start, end }));
await database.close();
process.exit(0);
