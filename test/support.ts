import { gatewayFactories } from '../src/runtime.ts';
import { createWebhookSender, type Resolve } from '../src/adapters/webhook-sender.ts';
import pg from 'pg';
import { SecretBox } from '../src/adapters/secret-box.ts';
import { pino } from 'pino';
import { afterAll, inject } from 'vitest';
import { ManualClock } from '../src/adapters/clock.ts';
import { SandboxGateway } from '../src/adapters/gateways/sandbox/gateway.ts';
import { connect, preparedRunner, withDatabase, type Database } from '../src/adapters/postgres/pool.ts';
import { PostgresUsageStore } from '../src/app/usage/store.ts';
import { createAccount } from '../src/app/accounts/accounts.ts';
import type { Deps, PaymentGateway } from '../src/app/ports.ts';
import { rebillClient, type RebillClient } from '../src/client/index.ts';
import { catalogueMismatch } from '../src/http/response-check.ts';
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

/**
 * The server checks the errors it serializes against the catalogue; this also covers what it
 * writes without serializing: replayed idempotent responses, the router's and Node's refusals.
 */
function agreesWithCatalogue(method: string, url: string, status: number, body: unknown): void {
  const problem = catalogueMismatch(status, body);
  if (problem) throw new Error(`${method} ${url}: ${problem}`);
}

export async function harness(opts: { gateway?: (d: Database) => PaymentGateway; recoveryDelayMs?: number; now?: Date; resolve?: Resolve } = {}): Promise<Harness> {
  const database = await testDatabase();
  const clock = new ManualClock(opts.now ?? new Date('2027-01-01T00:00:00Z'));
  const policy = { allowHttp: true, allowPrivate: false };
  const secrets = new SecretBox(SecretBox.newKey());
  const deps: Deps = {
    db: database.db, runStatement: preparedRunner(database.pool), usageStore: new PostgresUsageStore(database.db, database.pool), clock, gateway: opts.gateway ? opts.gateway(database) : new SandboxGateway(database.db),
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }), recoveryDelayMs: opts.recoveryDelayMs ?? 60_000,
    // Receivers in tests listen on 127.0.0.1 over http.
    webhooks: { secrets, policy, sender: createWebhookSender({ policy, resolve: opts.resolve }) },
    secrets, gatewayFactories: gatewayFactories(database.db, undefined, policy),
  };
  afterAll(async () => { await deps.webhooks!.sender!.close(); });
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
    // A PDF comes back as its bytes; everything else the API answers is JSON.
    const binary = res.headers.get('content-type')?.startsWith('application/pdf');
    const text = binary ? '' : await res.text();
    const parsed = binary ? Buffer.from(await res.arrayBuffer()) : text ? JSON.parse(text) : null;
    agreesWithCatalogue(method, url, res.status, parsed);
    return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers.entries()) };
  };
  const client = rebillClient({
    baseUrl: base, apiKey: key.secret,
    fetch: async (request) => {
      const res = await fetch(request);
      if (res.status >= 400) agreesWithCatalogue(request.method, request.url, res.status, await res.clone().json().catch(() => null));
      return res;
    },
  });
  return { database, deps, clock, app, key: key.secret, accountId: account.id, call, client };
}

/**
 * Row counts of every table a rejected request must leave untouched: all of the public schema and
 * the sandbox gateway's charges and refunds, read from the catalogue so a new table is covered unasked.
 */
export async function tableCounts(h: Harness): Promise<Record<string, number>> {
  const tables = await h.database.pool.query<{ name: string; sql: string }>(
    `SELECT CASE WHEN table_schema = 'public' THEN table_name ELSE table_schema || '.' || table_name END AS name,
            quote_ident(table_schema) || '.' || quote_ident(table_name) AS sql
       FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND (table_schema = 'public' OR (table_schema, table_name) IN (('sandbox', 'charges'), ('sandbox', 'refunds')))`);
  const sql = tables.rows.map((t, i) => `SELECT $${i + 1}::text AS name, count(*)::int AS n FROM ${t.sql}`).join(' UNION ALL ');
  const counts = await h.database.pool.query<{ name: string; n: number }>(sql, tables.rows.map((t) => t.name));
  return Object.fromEntries(counts.rows.sort((a, b) => (a.name < b.name ? -1 : 1)).map((r) => [r.name, r.n]));
}

/** `METHOD /path/:param` for every route the server registers (HEAD is implied by GET), sorted. */
export function registeredRoutes(app: Harness['app']): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const start = line.search(/[^│├└─\s]/);
    if (start < 0) continue;
    const depth = Math.floor(start / 4);
    const m = /^(\S+)(?: \(([^)]*)\))?$/.exec(line.slice(start).trim());
    if (!m) throw new Error(`cannot read route line: ${line}`);
    stack.length = depth;
    stack[depth] = m[1]!;
    const path = stack.join('');
    for (const method of (m[2] ?? '').split(',').map((x) => x.trim()).filter((x) => x && x !== 'HEAD')) routes.push(`${method} ${path}`);
  }
  return [...new Set(routes)].sort();
}
