// `rebill simulate dunning`: one synthetic book, every retry strategy, the real engine, in a
// temporary database of its own (created on the configured server, or the embedded one, and
// dropped at the end), so a merchant's data is never touched.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { migrate } from '../adapters/postgres/migrate.ts';
import { connect, withDatabase } from '../adapters/postgres/pool.ts';
import { RETRY_STRATEGIES, type RetryStrategyName } from '../domain/dunning/policy.ts';
import { ensureDatabase, makeDeps } from '../runtime.ts';
import { runStrategy, type StrategyRun } from './engine.ts';
import { SimulationGateway } from './gateway.ts';
import { DEFAULT_MODEL, generateBook, type Model, type Renewal } from './model.ts';

/** The book's first renewal day: fixed, so a seed names one book whatever day it is run. */
export const BOOK_START = new Date('2027-03-01T00:00:00Z');

export type SimulationOptions = { renewals: number; seed: number; days: number; strategies?: readonly RetryStrategyName[]; model?: Model };
export type Simulation = { book: Renewal[]; runs: StrategyRun[]; setupMs: number; database: string };

async function admin(url: string, statement: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try { await client.query(statement); } finally { await client.end(); }
}

/**
 * Runs every strategy against the same book, each in an account of its own, in a fresh database
 * on the server behind `serverUrl`, and hands the result to `report` while that database still
 * exists; it is dropped afterwards whatever happens. Dropping makes the server checkpoint, which
 * can take long on a busy server: `dropMs` says how long, apart from the simulation's own time.
 */
export async function simulateDunning(serverUrl: string, log: Logger, o: SimulationOptions, report: (sim: Simulation) => Promise<void>): Promise<{ dropMs: number }> {
  const model = o.model ?? { ...DEFAULT_MODEL, spreadDays: Math.min(DEFAULT_MODEL.spreadDays, o.days) };
  const book = generateBook(o.renewals, o.seed, BOOK_START, model);
  const name = `rebill_sim_${randomBytes(6).toString('hex')}`;
  const started = Date.now();
  let dropMs = 0;
  await ensureDatabase(serverUrl, name);
  try {
    // A throwaway database need not wait for each commit to reach the disk; nothing else changes.
    await admin(serverUrl, `ALTER DATABASE "${name}" SET synchronous_commit TO off`);
    const database = connect(withDatabase(serverUrl, name), { max: 10, applicationName: 'rebill-simulate' });
    try {
      await migrate(database.pool);
      const setupMs = Date.now() - started;
      // The strategies run side by side: separate accounts and clocks share nothing but the
      // sequencer, and each processor answers by the book alone, so the order changes no figure.
      const runs = await Promise.all((o.strategies ?? RETRY_STRATEGIES).map(async (strategy) => {
        const gateway = new SimulationGateway(book, o.seed, model);
        const deps = makeDeps(database, log, { recoveryDelayMs: 60_000 }, { gateway });
        return await runStrategy(deps, book, strategy, BOOK_START, o.days);
      }));
      await report({ book, runs, setupMs, database: name });
    } finally {
      await database.close();
    }
  } finally {
    const dropping = Date.now();
    await admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((err: unknown) => log.error({ err, database: name }, 'could not drop the simulation database'));
    dropMs = Date.now() - dropping;
  }
  return { dropMs };
}
