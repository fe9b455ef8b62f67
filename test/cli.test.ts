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
import { parkSubscription } from './builders.ts';
import { seedDueSubscriptions } from './fixtures/seed-due.ts';
import { testDatabase } from './support.ts';

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
    await first.stop();

    const second = await start(dir);
    expect(second.output()).not.toContain('Admin API key');
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
