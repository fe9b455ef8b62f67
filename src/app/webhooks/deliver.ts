import { sql } from 'kysely';
import { systemClock } from '../../adapters/clock.ts';
import { delivered, nextAttemptAt, shouldDisable } from '../../domain/webhook-delivery.ts';
import { signedHeaders } from '../../domain/webhook-signature.ts';
import type { Deps, WebhookResponse, WebhookSender } from '../ports.ts';
import { eventView, type Row } from '../views.ts';
import { disableFailingEndpoint, signingSecrets } from './endpoints.ts';

/**
 * A claim holds its deliveries this long by default (REBILL_WEBHOOK_LEASE_MS, Deps.webhooks.leaseMs):
 * well past the 10 s request timeout, so only a dead worker loses them.
 */
export const DELIVERY_LEASE_MS = 60_000;
/** Deliveries claimed (and then sent side by side) at once by one loop. */
export const DELIVERY_BATCH = 200;
/** Tries kept in a delivery's history; manual retries and replays could otherwise grow it without end. */
const HISTORY_LIMIT = 50;

type Claimed = { account_id: string; id: string; endpoint_id: string; event_id: string; attempts: number };
/** A claimed delivery with its event and endpoint as they are now (null when gone). */
type Claim = { d: Claimed; event: Row<'events'> | null; endpoint: Row<'webhook_endpoints'> | null };
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
 */
export async function deliverDue(deps: Deps, owner: string, opts: { batch?: number } = {}): Promise<number> {
  const sender = senderOf(deps);
  const claimed = await claim(deps, owner, opts.batch ?? DELIVERY_BATCH);
  if (claimed.length === 0) return 0;
  const endpoints = new Map(claimed.filter((c) => c.endpoint).map((c) => [`${c.d.account_id}/${c.d.endpoint_id}`, c.endpoint!]));
  const secrets = new Map<string, string[]>();
  const outcomes = await Promise.all(claimed.map(async ({ d, event, endpoint }): Promise<Outcome> => {
    const gone = !event ? 'event no longer kept' : !endpoint || endpoint.deleted_at ? 'endpoint deleted' : endpoint.disabled ? 'endpoint disabled' : null;
    if (gone) return { d, res: { status: null, durationMs: 0, error: gone }, at: deps.clock.now(), final: true };
    const key = `${d.account_id}/${d.endpoint_id}`;
    if (!secrets.has(key)) secrets.set(key, signingSecrets(deps, endpoint!, deps.clock.now()));
    const body = JSON.stringify(eventView(event!));
    // The timestamp is checked by the receiver against its own clock (to refuse replays), so it
    // is the real time even when Rebill runs on an injected clock.
    const headers = signedHeaders(secrets.get(key)!, event!.id, systemClock.now(), body);
    const res = await sender.send({ url: endpoint!.url, headers, body });
    return { d, res, at: deps.clock.now() };
  }));
  await record(deps, owner, outcomes, endpoints);
  return claimed.length;
}

/**
 * Claims a batch and reads, in the same statement, each delivery's event and what sending needs
 * of its endpoint: one round trip per batch before the sends.
 */
async function claim(deps: Deps, owner: string, batch: number): Promise<Claim[]> {
  const now = deps.clock.now();
  const r = await sql<Claimed & EventColumns & EndpointColumns>`
    WITH c AS (
      UPDATE webhook_deliveries d SET locked_by = ${owner}, locked_until = ${new Date(now.getTime() + (deps.webhooks?.leaseMs ?? DELIVERY_LEASE_MS))}::timestamptz
      FROM (SELECT c.account_id, c.id FROM webhook_deliveries c
            WHERE c.status = 'pending' AND c.next_attempt_at <= ${now}::timestamptz
              AND (c.locked_until IS NULL OR c.locked_until <= ${now}::timestamptz)
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                              WHERE p.status = 'pending' AND p.account_id = c.account_id AND p.endpoint_id = c.endpoint_id
                                AND p.object_id = c.object_id AND p.event_sequence < c.event_sequence)
            ORDER BY c.next_attempt_at, c.event_sequence LIMIT ${batch} FOR UPDATE SKIP LOCKED) t
      WHERE d.account_id = t.account_id AND d.id = t.id
      RETURNING d.account_id, d.id, d.endpoint_id, d.event_id, d.attempts)
    SELECT c.*, e.id AS e_id, e.type AS e_type, e.object_id AS e_object_id, e.data AS e_data, e.request_id AS e_request_id,
      e.created_at AS e_created_at, e.sequence AS e_sequence, e.sequenced_at AS e_sequenced_at, e.api_version AS e_api_version,
      w.id AS w_id, w.url AS w_url, w.disabled AS w_disabled, w.deleted_at AS w_deleted_at, w.secret_sealed AS w_secret_sealed,
      w.previous_secret_sealed AS w_previous_secret_sealed, w.previous_secret_expires_at AS w_previous_secret_expires_at,
      w.failing_since AS w_failing_since
    FROM c LEFT JOIN events e ON e.account_id = c.account_id AND e.id = c.event_id
      LEFT JOIN webhook_endpoints w ON w.account_id = c.account_id AND w.id = c.endpoint_id`.execute(deps.db);
  return r.rows.map((row) => ({
    d: { account_id: row.account_id, id: row.id, endpoint_id: row.endpoint_id, event_id: row.event_id, attempts: row.attempts },
    event: row.e_id === null ? null : {
      account_id: row.account_id, id: row.e_id, type: row.e_type, object_id: row.e_object_id, data: row.e_data, request_id: row.e_request_id,
      created_at: row.e_created_at, sequence: row.e_sequence, sequenced_at: row.e_sequenced_at, api_version: row.e_api_version,
    } as Row<'events'>,
    // Only what sending, the health streak and disabling read of an endpoint.
    endpoint: row.w_id === null ? null : {
      account_id: row.account_id, id: row.w_id, url: row.w_url, disabled: row.w_disabled, deleted_at: row.w_deleted_at,
      secret_sealed: row.w_secret_sealed, previous_secret_sealed: row.w_previous_secret_sealed,
      previous_secret_expires_at: row.w_previous_secret_expires_at, failing_since: row.w_failing_since,
    } as Row<'webhook_endpoints'>,
  }));
}

type EventColumns = {
  e_id: string | null; e_type: string; e_object_id: string; e_data: unknown; e_request_id: string | null;
  e_created_at: Date; e_sequence: string | null; e_sequenced_at: Date | null; e_api_version: string;
};
type EndpointColumns = {
  w_id: string | null; w_url: string; w_disabled: boolean; w_deleted_at: Date | null; w_secret_sealed: string;
  w_previous_secret_sealed: string | null; w_previous_secret_expires_at: Date | null; w_failing_since: Date | null;
};

/**
 * Writes every outcome of a batch in one statement (only for deliveries still this worker's),
 * then keeps each endpoint's failure streak: a success ends it, a failure starts it if none
 * is running. An endpoint whose streak reaches five days is disabled.
 */
async function record(deps: Deps, owner: string, outcomes: Outcome[], endpoints: Map<string, Row<'webhook_endpoints'>>) {
  const now = deps.clock.now();
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
      locked_by = NULL, locked_until = NULL, last_status_code = t.code, last_error = t.error, last_attempt_at = t.at::timestamptz,
      delivered_at = CASE WHEN t.status = 'succeeded' THEN t.at::timestamptz ELSE d.delivered_at END,
      history = (CASE WHEN jsonb_array_length(d.history) >= ${HISTORY_LIMIT} THEN d.history - 0 ELSE d.history END)
        || jsonb_build_array(jsonb_build_object('at', t.at, 'status_code', t.code, 'duration_ms', t.duration, 'error', t.error)),
      updated_at = ${now}::timestamptz
    FROM unnest(${cols.account}::text[], ${cols.id}::text[], ${cols.status}::text[], ${cols.attempts}::int[], ${cols.next}::text[],
                ${cols.code}::int[], ${cols.error}::text[], ${cols.at}::text[], ${cols.duration}::int[])
      AS t(account_id, id, status, attempts, next, code, error, at, duration)
    WHERE d.account_id = t.account_id AND d.id = t.id AND d.locked_by = ${owner}`.execute(deps.db);
  await trackHealth(deps, outcomes, endpoints, now);
}

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
