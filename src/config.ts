import path from 'node:path';

/** Every setting Rebill reads from the environment, in one place (the README's table mirrors it). */
export type Config = {
  databaseUrl: string | undefined;
  port: number;
  host: string;
  dataDir: string;
  bootstrapKey: string | undefined;
  logLevel: string;
  workerConcurrency: number;
  /** Worker loops running background jobs (the polled billing duties have `workerConcurrency`). */
  jobConcurrency: number;
  /** How long a stopping worker waits for the jobs in hand before handing them back. */
  shutdownTimeoutMs: number;
  pollMs: number;
  recoveryDelayMs: number;
  sandboxLatencyMs: number;
  /** How often the worker gives committed events their place in the stream. */
  eventSequenceMs: number;
  /** Days an event is kept once sequenced; at least 30. */
  eventRetentionDays: number;
  /** Seals secrets at rest (32 bytes, hex or base64); unset: a key generated once into the data directory. */
  secretKey: string | undefined;
  /** Webhooks may use `http` to a loopback host (tests, local development). */
  webhooksAllowHttp: boolean;
  /** Webhooks may go to private, loopback and link-local addresses. */
  webhooksAllowPrivate: boolean;
  /** Worker loops sending webhook deliveries (each sends a batch of up to 200 side by side). */
  webhookConcurrency: number;
  /** How often an idle delivery loop looks for due deliveries. */
  webhookPollMs: number;
  /** One delivery request, connection to last byte read. */
  webhookTimeoutMs: number;
  /** How long a batch of deliveries may be held in its transaction; at least twice `webhookTimeoutMs` (see `webhookTimings`). */
  webhookLeaseMs: number;
  /** Customer emails go through this SMTP server (smtp:// or smtps://, credentials in the URL); unset: no emails. */
  smtpUrl: string | undefined;
  /** From address of customer emails. */
  mailFrom: string;
  /** Where customers reach this Rebill (unsubscribe links). */
  publicUrl: string;
  /**
   * Which proxies in front of Rebill may name the client (X-Forwarded-For, -Proto, -Host): their
   * addresses or CIDR ranges, or how many hops to trust; unset: none, the client is the socket's
   * peer. Login throttling and the audit trail key on that client address.
   */
  trustProxy: string[] | number | false;
  /** Twilio-compatible SMS settings; all three of sid, token and from, or no SMS. */
  twilio: { accountSid: string; authToken: string; from: string; apiBase: string } | undefined;
};

function int(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

/** The lease must outlast a batch: this many request timeouts (the batch's sends, plus its reads and its write). */
export const WEBHOOK_LEASE_TIMEOUTS = 2;

/**
 * The delivery timeout and lease. A lease that runs out while its worker is still waiting for a
 * slow receiver hands the delivery to another worker, which sends it a second time, so a lease
 * shorter than two timeouts is refused rather than quietly raised: the operator asked for
 * something that would duplicate deliveries. The timeout itself is at least 100 ms.
 */
function webhookTimings(env: NodeJS.ProcessEnv): Pick<Config, 'webhookTimeoutMs' | 'webhookLeaseMs'> {
  const timeoutMs = int('REBILL_WEBHOOK_TIMEOUT_MS', 10_000, env);
  if (timeoutMs < 100) throw new Error(`REBILL_WEBHOOK_TIMEOUT_MS must be at least 100, got ${timeoutMs}`);
  const leaseMs = int('REBILL_WEBHOOK_LEASE_MS', Math.max(60_000, WEBHOOK_LEASE_TIMEOUTS * timeoutMs), env);
  if (leaseMs < WEBHOOK_LEASE_TIMEOUTS * timeoutMs) {
    throw new Error(`REBILL_WEBHOOK_LEASE_MS must be at least ${WEBHOOK_LEASE_TIMEOUTS}× REBILL_WEBHOOK_TIMEOUT_MS (${WEBHOOK_LEASE_TIMEOUTS * timeoutMs}), got ${leaseMs}: a shorter lease sends slow deliveries twice`);
  }
  return { webhookTimeoutMs: timeoutMs, webhookLeaseMs: leaseMs };
}

const ADDRESS_OR_RANGE = /^(?:[0-9.]+|[0-9a-f:.]*:[0-9a-f:.]*)(?:\/[0-9]{1,3})?$/i;

/**
 * REBILL_TRUST_PROXY: a hop count ("1": the nearest proxy), or a comma-separated list of proxy
 * addresses and CIDR ranges ("127.0.0.1,10.0.0.0/8"). Trusting every sender ("true") is refused:
 * then any client could name itself in X-Forwarded-For and dodge the login limits.
 */
export function trustProxyOf(raw: string | undefined): Config['trustProxy'] {
  if (raw === undefined || raw.trim() === '') return false;
  if (/^[0-9]+$/.test(raw.trim())) return Number(raw.trim());
  const list = raw.split(',').map((a) => a.trim()).filter(Boolean);
  const bad = list.find((a) => !ADDRESS_OR_RANGE.test(a));
  if (bad !== undefined || list.length === 0) {
    throw new Error(`REBILL_TRUST_PROXY must be a hop count or proxy addresses/CIDR ranges separated by commas, got '${bad ?? raw}'`);
  }
  return list;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    port: int('PORT', 4000, env),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.REBILL_DATA_DIR || '.rebill'),
    bootstrapKey: env.REBILL_BOOTSTRAP_KEY || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    workerConcurrency: int('REBILL_WORKER_CONCURRENCY', 2, env),
    jobConcurrency: int('REBILL_JOB_CONCURRENCY', 2, env),
    shutdownTimeoutMs: int('REBILL_SHUTDOWN_TIMEOUT_MS', 10_000, env),
    pollMs: int('REBILL_POLL_MS', 1000, env),
    recoveryDelayMs: int('REBILL_RECOVERY_DELAY_MS', 60_000, env),
    sandboxLatencyMs: int('REBILL_SANDBOX_LATENCY_MS', 0, env),
    secretKey: env.REBILL_SECRET_KEY || undefined,
    webhooksAllowHttp: env.REBILL_WEBHOOKS_ALLOW_HTTP === '1',
    webhooksAllowPrivate: env.REBILL_WEBHOOKS_ALLOW_PRIVATE === '1',
    eventSequenceMs: int('REBILL_EVENT_SEQUENCE_MS', 200, env),
    eventRetentionDays: Math.max(30, int('REBILL_EVENT_RETENTION_DAYS', 30, env)),
    webhookConcurrency: int('REBILL_WEBHOOK_CONCURRENCY', 2, env),
    webhookPollMs: int('REBILL_WEBHOOK_POLL_MS', 200, env),
    ...webhookTimings(env),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.REBILL_MAIL_FROM || 'billing@rebill.local',
    publicUrl: env.REBILL_PUBLIC_URL || `http://${env.HOST || '127.0.0.1'}:${int('PORT', 4000, env)}`,
    trustProxy: trustProxyOf(env.REBILL_TRUST_PROXY),
    twilio: env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM
      ? { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM, apiBase: env.TWILIO_API_BASE || 'https://api.twilio.com' }
      : undefined,
  };
}
