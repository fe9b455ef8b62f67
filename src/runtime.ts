import os from 'node:os';
import { createHmac } from 'node:crypto';
import { smtpMailer } from './adapters/mailer/smtp.ts';
import { twilioSender } from './adapters/sms/twilio.ts';
import path from 'node:path';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from './adapters/clock.ts';
import { customHttpFactory } from './adapters/gateways/custom-http/adapter.ts';
import { SandboxGateway } from './adapters/gateways/sandbox/gateway.ts';
import { stripeGatewayFactory } from './adapters/gateways/stripe/adapter.ts';
import { razorpayFactory } from './adapters/gateways/razorpay/adapter.ts';
import { startEmbeddedPostgres, type EmbeddedServer } from './adapters/postgres/embedded.ts';
import { migrate } from './adapters/postgres/migrate.ts';
import { connect, preparedRunner, withDatabase, type Database } from './adapters/postgres/pool.ts';
import { PostgresUsageStore } from './app/usage/store.ts';
import type { Deps, PaymentGateway } from './app/ports.ts';
import type { Config } from './config.ts';
import type { UrlPolicy } from './domain/webhook-url.ts';
import { loadSecretKey } from './adapters/secret-key-file.ts';
import { SecretBox } from './adapters/secret-box.ts';
import { createWebhookSender } from './adapters/webhook-sender.ts';

export type Runtime = { database: Database; deps: Deps; embedded: EmbeddedServer | null; url: string; close: () => Promise<void> };

/** Creates `name` on the server behind `url` unless it exists. */
export async function ensureDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** The database: DATABASE_URL when set, otherwise an embedded PostgreSQL under the data directory. */
export async function openDatabase(config: Config, log: Logger, poolSize: number): Promise<{ url: string; embedded: EmbeddedServer | null }> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: null };
  log.info({ dir: config.dataDir }, 'no DATABASE_URL: starting embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'));
  await ensureDatabase(embedded.url, 'rebill');
  void poolSize;
  return { url: withDatabase(embedded.url, 'rebill'), embedded };
}

type NotificationConfig = Pick<Config, 'smtpUrl' | 'mailFrom' | 'publicUrl' | 'twilio'>;

export function makeDeps(database: Database, log: Logger, config: Pick<Config, 'recoveryDelayMs'> & Partial<Pick<Config, 'sandboxLatencyMs' | 'secretKey' | 'webhooksAllowHttp' | 'webhooksAllowPrivate' | 'eventRetentionDays' | 'webhookTimeoutMs' | 'webhookLeaseMs'> & NotificationConfig>, overrides: { clock?: Clock; gateway?: PaymentGateway } = {}): Deps {
  return {
    db: database.db,
    runStatement: preparedRunner(database.pool),
    usageStore: new PostgresUsageStore(database.db, database.pool),
    clock: overrides.clock ?? systemClock,
    gateway: overrides.gateway ?? new SandboxGateway(database.db, { latencyMs: config.sandboxLatencyMs }),
    log,
    recoveryDelayMs: config.recoveryDelayMs,
    workerId: `${os.hostname()}:${process.pid}`,
    eventRetentionDays: config.eventRetentionDays,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    gatewayFactories: gatewayFactories(database.db, config.sandboxLatencyMs, { allowHttp: config.webhooksAllowHttp ?? false, allowPrivate: config.webhooksAllowPrivate ?? false }),
    ...(config.secretKey ? { secrets: new SecretBox(config.secretKey), webhooks: webhooksOf({ ...config, secretKey: config.secretKey }) } : {}),
    ...(config.secretKey && config.publicUrl ? { notifications: notificationsOf({ ...config, publicUrl: config.publicUrl, mailFrom: config.mailFrom ?? 'billing@rebill.local' }, config.secretKey) } : {}),
  };
}

/** Mailer and SMS sender from the settings; unsubscribe links are signed with a key derived from the secret key. */
function notificationsOf(c: Partial<NotificationConfig> & Pick<Config, 'publicUrl' | 'mailFrom'>, secretKey: string): NonNullable<Deps['notifications']> {
  return {
    from: c.mailFrom, publicUrl: c.publicUrl,
    signingKey: createHmac('sha256', secretKey).update('rebill:unsubscribe-links').digest(),
    ...(c.smtpUrl ? { mailer: smtpMailer(c.smtpUrl) } : {}),
    ...(c.twilio ? { sms: twilioSender(c.twilio) } : {}),
  };
}

/**
 * The adapters of the gateway types accounts may configure. `policy`: where a custom gateway
 * service may be reached (the same rules as webhook deliveries).
 */
export function gatewayFactories(db: Database['db'], sandboxLatencyMs?: number, policy?: UrlPolicy, stripeTimeoutMs?: number): NonNullable<Deps['gatewayFactories']> {
  return {
    sandbox: (c) => new SandboxGateway(db, { name: c.id, latencyMs: sandboxLatencyMs }),
    stripe: stripeGatewayFactory({ timeoutMs: stripeTimeoutMs }),
    razorpay: razorpayFactory(),
    custom_http: customHttpFactory({ policy }),
  };
}

function webhooksOf(c: { secretKey: string } & Partial<Pick<Config, 'webhooksAllowHttp' | 'webhooksAllowPrivate' | 'webhookTimeoutMs' | 'webhookLeaseMs'>>) {
  const policy = { allowHttp: c.webhooksAllowHttp ?? false, allowPrivate: c.webhooksAllowPrivate ?? false };
  // loadConfig has checked that the lease outlasts the timeout (config.ts, webhookTimings).
  return { secrets: new SecretBox(c.secretKey), policy, sender: createWebhookSender({ policy, timeoutMs: c.webhookTimeoutMs }), leaseMs: c.webhookLeaseMs };
}

export async function openRuntime(config: Config, opts: { poolSize?: number; applicationName?: string } = {}): Promise<Runtime> {
  const log = pino({ level: config.logLevel });
  const { url, embedded } = await openDatabase(config, log, opts.poolSize ?? 10);
  const database = connect(url, { max: opts.poolSize ?? 10, applicationName: opts.applicationName ?? 'rebill' });
  await migrate(database.pool);
  const secretKey = config.secretKey ?? await loadSecretKey(config.dataDir, log);
  const deps = makeDeps(database, log, { ...config, secretKey });
  return {
    database, deps, embedded, url,
    close: async () => { await deps.webhooks?.sender?.close(); await database.close(); await embedded?.stop(); },
  };
}
