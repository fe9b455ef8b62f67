import pg from 'pg';
import { pino } from 'pino';
import { afterAll, inject } from 'vitest';
import { ManualClock } from '../src/adapters/clock.ts';
import { SandboxGateway } from '../src/adapters/gateways/sandbox/gateway.ts';
import { connect, preparedRunner, withDatabase, type Database } from '../src/adapters/postgres/pool.ts';
import { createAccount } from '../src/app/accounts.ts';
import type { Deps, PaymentGateway } from '../src/app/ports.ts';
import { rebillClient, type RebillClient } from '../src/client/index.ts';
import { buildServer } from '../src/http/server.ts';

let counter = 0;

/** A database with no tables at all, for testing migrations; dropped with the run's others. */
export async function emptyDatabase(): Promise<pg.Pool> {
  const server = inject('pgServerUrl');
  const name = `${inject('pgTemplate')}_${process.pid}_empty${++counter}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: withDatabase(server, name), max: 2 });
  afterAll(async () => { await pool.end(); });
  return pool;
}

/** A fresh database cloned from the migrated template, dropped when the file's tests end. */
export async function testDatabase(opts: { max?: number } = {}): Promise<Database & { url: string; name: string }> {
  const server = inject('pgServerUrl');
  const template = inject('pgTemplate');
  const name = `${template}_${process.pid}_${++counter}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  const url = withDatabase(server, name);
  const database = connect(url, { max: opts.max ?? 8 });
  afterAll(async () => { await database.close(); });
  return { ...database, url, name };
}

export type Harness = {
  database: Database & { url: string };
  deps: Deps;
  clock: ManualClock;
  app: Awaited<ReturnType<typeof buildServer>>;
  key: string;
  accountId: string;
  /** The typed client generated from the OpenAPI document, holding this account's admin key. */
  client: RebillClient;
  /** JSON request over HTTP against the real server listening on a loopback port. */
  call: (method: string, url: string, body?: unknown, opts?: { key?: string | null; headers?: Record<string, string> }) => Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
};

export async function harness(opts: { gateway?: (d: Database) => PaymentGateway; recoveryDelayMs?: number; now?: Date } = {}): Promise<Harness> {
  const database = await testDatabase();
  const clock = new ManualClock(opts.now ?? new Date('2027-01-01T00:00:00Z'));
  const deps: Deps = {
    db: database.db, runStatement: preparedRunner(database.pool), clock, gateway: opts.gateway ? opts.gateway(database) : new SandboxGateway(database.db),
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }), recoveryDelayMs: opts.recoveryDelayMs ?? 60_000,
  };
  const app = await buildServer(deps, { logLevel: process.env.TEST_LOG ?? 'silent', checkResponses: true });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(async () => { await app.close(); });
  const { account, key } = await createAccount(database.db, 'Test merchant');
  const call: Harness['call'] = async (method, url, body, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const k = o.key === undefined ? key.secret : o.key;
    if (k) headers.authorization = `Bearer ${k}`;
    if (body !== undefined && typeof body !== 'string') headers['content-type'] = 'application/json';
    const res = await fetch(base + url, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: Object.fromEntries(res.headers.entries()) };
  };
  const client = rebillClient({ baseUrl: base, apiKey: key.secret });
  return { database, deps, clock, app, key: key.secret, accountId: account.id, call, client };
}

/** Row counts of every table that a rejected request must leave untouched. */
export async function tableCounts(h: Harness): Promise<Record<string, number>> {
  const tables = ['customers', 'products', 'prices', 'payment_methods', 'subscriptions', 'subscription_items', 'invoices',
    'invoice_lines', 'payment_attempts', 'events', 'audit_log', 'test_clocks'];
  const out: Record<string, number> = {};
  for (const t of tables) {
    const r = await h.database.pool.query(`SELECT count(*)::int AS n FROM ${t}`);
    out[t] = r.rows[0].n;
  }
  return out;
}
