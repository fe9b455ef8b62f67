import { sql, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { systemClock } from '../../adapters/clock.ts';
import { delivered, nextAttemptAt, shouldDisable } from '../../domain/webhook-delivery.ts';
import { signedHeaders } from '../../domain/webhook-signature.ts';
import type { Deps, WebhookResponse, WebhookSender } from '../ports.ts';
import type { Row } from '../views.ts';
import { disableFailingEndpoint, signingSecrets } from './endpoints.ts';

/**
 * How long a batch may hold its deliveries by default (REBILL_WEBHOOK_LEASE_MS,
 * Deps.webhooks.leaseMs): well past the 10 s request timeout, so only a dead or hung worker
 * loses them.
 */
export const DELIVERY_LEASE_MS = 60_000;
/** Deliveries claimed (and then sent side by side) at once by one loop. */
export const DELIVERY_BATCH = 200;
/** Tries kept in a delivery's history; manual retries and replays could otherwise grow it without end. */
const HISTORY_LIMIT = 50;

type Claimed = { account_id: string; id: string; endpoint_id: string; event_id: string; attempts: number };
/** A claimed delivery with its event and endpoint as they are now (null when gone). */
type Claim = { d: Claimed; event: { id: string; body: string } | null; endpoint: Row<'webhook_endpoints'> | null };
/** `final`: never to be tried again (the endpoint or the event is gone). */
type Outcome = { d: Claimed; res: WebhookResponse; at: Date; final?: boolean };

function senderOf(deps: Deps): WebhookSender {
  const sender = deps.webhooks?.sender;
  if (!sender) throw new Error('webhook deliveries need Deps.webhooks.sender');
  return sender;
}

/**
 * Sends one batch of due deliveries and records what came back; answers how many were tried.
 * Claims take the earliest due deliveries whose object has no earlier delivery still pending to
 * the same endpoint, so one object's events reach an endpoint in stream order (a retrying one
 * holds back the ones after it). Everything in the batch goes out side by side, and the outcomes
 * are written in one statement.
 *
 * The batch is held by its transaction: its rows stay locked (FOR UPDATE, other workers skip
 * them) while the requests are out, and the outcomes are written and committed at the end. A
 * worker that dies loses its connection, PostgreSQL rolls back and the rows are free at once; one
 * that hangs idles in the transaction past the lease and PostgreSQL ends its session. Each
 * delivery costs one row lock and one update, not a lease write and then an update.
 */
export async function deliverDue(deps: Deps, _owner: string, opts: { batch?: number } = {}): Promise<number> {
  const lease = deps.webhooks?.leaseMs ?? DELIVERY_LEASE_MS;
  const done = await deps.db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('idle_in_transaction_session_timeout', ${String(lease)}, true)`.execute(tx);
    const claimed = await claim(tx, deps.clock.now(), opts.batch ?? DELIVERY_BATCH);
    if (claimed.length === 0) return null;
    const outcomes = await sendAll(deps, claimed);
    await record(tx, deps.clock.now(), outcomes);
    return { outcomes, endpoints: new Map(claimed.filter((c) => c.endpoint).map((c) => [`${c.d.account_id}/${c.d.endpoint_id}`, c.endpoint!])) };
  });
  if (!done) return 0;
  await trackHealth(deps, done.outcomes, done.endpoints, deps.clock.now());
  return done.outcomes.length;
}

async function sendAll(deps: Deps, claimed: Claim[]): Promise<Outcome[]> {
  const sender = senderOf(deps);
  const secrets = new Map<string, string[]>();
  const signal = sender.deadline();
  return await Promise.all(claimed.map(async ({ d, event, endpoint }): Promise<Outcome> => {
    const gone = !event ? 'event no longer kept' : !endpoint || endpoint.deleted_at ? 'endpoint deleted' : endpoint.disabled ? 'endpoint disabled' : null;
    if (gone) return { d, res: { status: null, durationMs: 0, error: gone }, at: deps.clock.now(), final: true };
    const key = `${d.account_id}/${d.endpoint_id}`;
    if (!secrets.has(key)) secrets.set(key, signingSecrets(deps, endpoint!, deps.clock.now()));
    const body = event!.body;
    // The timestamp is checked by the receiver against its own clock (to refuse replays), so it
    // is the real time even when Rebill runs on an injected clock.
    const headers = signedHeaders(secrets.get(key)!, event!.id, systemClock.now(), body);
    const res = await sender.send({ url: endpoint!.url, headers, body, signal });
    return { d, res, at: deps.clock.now() };
  }));
}

/**
 * Claims a batch and reads, in the same statement, each delivery's event and what sending needs
 * of its endpoint: one round trip per batch before the sends.
 */
async function claim(tx: Transaction<DB>, now: Date, batch: number): Promise<Claim[]> {
  // The body is built by PostgreSQL from the stored row, in the field order of eventView (the
  // object GET /v1/events/:id answers): the worker neither parses the event's data nor
  // serializes it again. `data` keeps jsonb's text form, the same JSON value.
  const r = await sql<Claimed & { e_id: string | null; e_body: string | null }>`
    WITH c AS (
      SELECT c.account_id, c.id, c.endpoint_id, c.event_id, c.attempts FROM webhook_deliveries c
      WHERE c.status = 'pending' AND c.next_attempt_at <= ${now}::timestamptz
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                        WHERE p.status = 'pending' AND p.account_id = c.account_id AND p.endpoint_id = c.endpoint_id
                          AND p.object_id = c.object_id AND p.event_sequence < c.event_sequence)
      ORDER BY c.next_attempt_at, c.event_sequence LIMIT ${batch} FOR UPDATE SKIP LOCKED)
    SELECT c.*, e.id AS e_id,
      '{"id":' || to_json(e.id)::text || ',"object":"event","type":' || to_json(e.type)::text
        || ',"created":"' || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        || '","api_version":' || to_json(e.api_version)::text || ',"sequence":' || coalesce(e.sequence::text, 'null')
        || ',"data":' || e.data::text || ',"request":' || coalesce(to_json(e.request_id)::text, 'null') || '}' AS e_body
    FROM c LEFT JOIN events e ON e.account_id = c.account_id AND e.id = c.event_id`.execute(tx);
  // A batch usually goes to a handful of endpoints: read each once.
  const keys = [...new Map(r.rows.map((d) => [`${d.account_id}/${d.endpoint_id}`, [d.account_id, d.endpoint_id] as const])).values()];
  const endpoints = keys.length === 0 ? [] : (await sql<Row<'webhook_endpoints'>>`
    SELECT w.account_id, w.id, w.url, w.disabled, w.deleted_at, w.secret_sealed, w.previous_secret_sealed, w.previous_secret_expires_at, w.failing_since
    FROM webhook_endpoints w JOIN unnest(${keys.map((k) => k[0])}::text[], ${keys.map((k) => k[1])}::text[]) AS k(account_id, id)
      ON w.account_id = k.account_id AND w.id = k.id`.execute(tx)).rows;
  const byKey = new Map(endpoints.map((w) => [`${w.account_id}/${w.id}`, w]));
  return r.rows.map((row) => ({
    d: { account_id: row.account_id, id: row.id, endpoint_id: row.endpoint_id, event_id: row.event_id, attempts: row.attempts },
    event: row.e_id === null ? null : { id: row.e_id, body: row.e_body! },
    endpoint: byKey.get(`${row.account_id}/${row.endpoint_id}`) ?? null,
  }));
}

/** Writes every outcome of a batch in one statement, in the transaction holding the batch. */
async function record(tx: Transaction<DB>, now: Date, outcomes: Outcome[]) {
  // Times go as ISO text, and each history entry is built by the statement from the columns:
  // quoting 200 JSON texts and dates into array literals cost the worker more than the rest.
  const cols = {
    account: [] as string[], id: [] as string[], status: [] as string[], attempts: [] as number[], next: [] as (string | null)[],
    code: [] as (number | null)[], error: [] as (string | null)[], at: [] as string[], duration: [] as number[],
  };
  for (const { d, res, at, final } of outcomes) {
    const ok = delivered(res.status);
    const attempts = ok ? d.attempts : d.attempts + 1;
    const next = ok || final ? null : nextAttemptAt(attempts, at);
    cols.account.push(d.account_id); cols.id.push(d.id); cols.status.push(ok ? 'succeeded' : next ? 'pending' : 'failed');
    cols.attempts.push(attempts); cols.next.push(next?.toISOString() ?? null); cols.code.push(res.status); cols.error.push(res.error);
    cols.at.push(at.toISOString()); cols.duration.push(Math.round(res.durationMs));
  }
  await sql`
    UPDATE webhook_deliveries d SET status = t.status, attempts = t.attempts, next_attempt_at = t.next::timestamptz,
      last_status_code = t.code, last_error = t.error, last_attempt_at = t.at::timestamptz,
      delivered_at = CASE WHEN t.status = 'succeeded' THEN t.at::timestamptz ELSE d.delivered_at END,
      history = (CASE WHEN jsonb_array_length(d.history) >= ${HISTORY_LIMIT} THEN d.history - 0 ELSE d.history END)
        || jsonb_build_array(jsonb_build_object('at', t.at, 'status_code', t.code, 'duration_ms', t.duration, 'error', t.error)),
      updated_at = ${now}::timestamptz
    FROM unnest(${cols.account}::text[], ${cols.id}::text[], ${cols.status}::text[], ${cols.attempts}::int[], ${cols.next}::text[],
                ${cols.code}::int[], ${cols.error}::text[], ${cols.at}::text[], ${cols.duration}::int[])
      AS t(account_id, id, status, attempts, next, code, error, at, duration)
    WHERE d.account_id = t.account_id AND d.id = t.id`.execute(tx);
}

/**
 * After the batch committed: each endpoint's failure streak. A success ends it, a failure starts
 * it if none is running; an endpoint whose streak reaches five days is disabled.
 */
async function trackHealth(deps: Deps, outcomes: Outcome[], endpoints: Map<string, Row<'webhook_endpoints'>>, now: Date) {
  const healthy = new Set<string>();
  const failing = new Set<string>();
  for (const { d, res, final } of outcomes) {
    const key = `${d.account_id}/${d.endpoint_id}`;
    if (delivered(res.status)) healthy.add(key);
    else if (!final) failing.add(key);
  }
  for (const key of healthy) failing.delete(key);
  const [healAccounts, healIds] = split([...healthy].filter((k) => endpoints.get(k)?.failing_since));
  if (healIds.length) {
    await sql`UPDATE webhook_endpoints w SET failing_since = NULL FROM unnest(${healAccounts}::text[], ${healIds}::text[]) AS t(account_id, id)
      WHERE w.account_id = t.account_id AND w.id = t.id`.execute(deps.db);
  }
  const starting = [...failing].filter((k) => !endpoints.get(k)?.failing_since);
  if (starting.length) {
    const [accounts, ids] = split(starting);
    await sql`UPDATE webhook_endpoints w SET failing_since = ${now}::timestamptz FROM unnest(${accounts}::text[], ${ids}::text[]) AS t(account_id, id)
      WHERE w.account_id = t.account_id AND w.id = t.id AND w.failing_since IS NULL`.execute(deps.db);
  }
  for (const key of failing) {
    const e = endpoints.get(key);
    if (e && !e.disabled && shouldDisable(e.failing_since, now)) await disableFailingEndpoint(deps, e.account_id, e.id, now);
  }
}

function split(keys: string[]): [string[], string[]] {
  const pairs = keys.map((k) => k.split('/') as [string, string]);
  return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
}
