import { sql, type Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { BUILTIN_GATEWAY } from '../../domain/gateway-types.ts';
import { HEALTH_RULE, healthReport, REPORT_MS, routingVerdict, type GatewayResult, type WindowSummary } from '../../domain/gateway-health.ts';
import { notFound } from '../errors.ts';
import type { ChargeOutcome, Deps } from '../ports.ts';
import type * as R from '../resources.ts';

/** One charge call as payment_attempts keeps it (027): real time, how long, what came back. */
export type CallRecord = { account_id: string; id: string; gateway_called_at: Date; gateway_ms: number; gateway_result: GatewayResult };

/** No answer, or a processing_error (the processor's own failure), is the gateway's fault; a card's refusal is not. */
export function resultOf(outcome: ChargeOutcome | null): GatewayResult {
  if (outcome === null) return 'gateway_error';
  if (outcome.status === 'succeeded') return 'succeeded';
  if (outcome.status === 'failed') return outcome.decline.declineCode === 'processing_error' ? 'gateway_error' : 'declined';
  return 'pending';
}

/** Times a gateway call in real time (deps.clock), whatever business time the attempt lives in. */
export async function timed<T>(deps: Pick<Deps, 'clock'>, call: () => Promise<T>): Promise<{ value: T; at: Date; ms: number } | { error: unknown; at: Date; ms: number }> {
  const at = deps.clock.now();
  try {
    const value = await call();
    return { value, at, ms: Math.max(0, deps.clock.now().getTime() - at.getTime()) };
  } catch (error) {
    return { error, at, ms: Math.max(0, deps.clock.now().getTime() - at.getTime()) };
  }
}

/** Writes a batch's call records in one statement. */
export async function recordCalls(db: Kysely<DB>, calls: CallRecord[]): Promise<void> {
  if (calls.length === 0) return;
  await sql`UPDATE payment_attempts pa SET gateway_called_at = v.gateway_called_at, gateway_ms = v.gateway_ms, gateway_result = v.gateway_result
    FROM rebill_rows(NULL::payment_attempts, ${JSON.stringify(calls)}::jsonb) v
    WHERE pa.account_id = v.account_id AND pa.id = v.id`.execute(db);
}

const key = (accountId: string, gateway: string) => `${accountId}/${gateway}`;

/**
 * Routing's view of the gateways a batch is about to charge: one grouped query over the breaker's
 * window for all of them (served by payment_attempts_gateway_calls_idx). Gateways without
 * recent calls are absent: they are used as usual.
 */
export async function routingHealth(tx: Kysely<DB>, pairs: { accountId: string; gateway: string }[], now: Date): Promise<Map<string, 'use' | 'probe' | 'skip'>> {
  if (pairs.length === 0) return new Map();
  const from = new Date(now.getTime() - HEALTH_RULE.windowMs);
  // A gateway trips only when its latest call failed on its side, so that call, one index probe
  // per gateway, clears nearly every gateway at once; counting the window (which on a busy
  // gateway means thousands of calls per batch) is left to the few whose latest call failed.
  const unique = [...new Map(pairs.map((p) => [key(p.accountId, p.gateway), p])).values()];
  const latest = (await sql<{ account_id: string; gateway: string; last_result: GatewayResult }>`
    SELECT p.account_id, p.gateway, l.gateway_result AS last_result
    FROM unnest(${unique.map((p) => p.accountId)}::text[], ${unique.map((p) => p.gateway)}::text[]) AS p(account_id, gateway)
    CROSS JOIN LATERAL (SELECT gateway_result FROM payment_attempts pa
      WHERE pa.account_id = p.account_id AND pa.gateway = p.gateway AND pa.gateway_called_at IS NOT NULL
        AND pa.gateway_called_at > ${from}::timestamptz AND pa.gateway_called_at <= ${now}::timestamptz
      ORDER BY pa.gateway_called_at DESC LIMIT 1) l`.execute(tx)).rows;
  const suspects = latest.filter((r) => r.last_result === 'gateway_error');
  if (suspects.length === 0) return new Map();
  const rows = await tx.selectFrom('payment_attempts')
    .select((eb) => ['account_id', 'gateway', eb.fn.countAll<string>().as('calls'),
      sql<string>`count(*) FILTER (WHERE gateway_result = 'gateway_error')`.as('errors'),
      eb.fn.max('gateway_called_at').as('last_at'),
      sql<GatewayResult>`(array_agg(gateway_result ORDER BY gateway_called_at DESC))[1]`.as('last_result')])
    .where('account_id', 'in', [...new Set(suspects.map((p) => p.account_id))]).where('gateway', 'in', [...new Set(suspects.map((p) => p.gateway))])
    .where('gateway_called_at', '>', from).where('gateway_called_at', '<=', now)
    .groupBy(['account_id', 'gateway']).execute();
  return new Map(rows.map((r) => {
    const w: WindowSummary = { calls: Number(r.calls), errors: Number(r.errors), lastAt: r.last_at, lastResult: r.last_result };
    return [key(r.account_id, r.gateway), routingVerdict(w, now)];
  }));
}
export const healthKey = key;

/** GET /v1/gateways/:id/health: the last hour of one gateway (`sandbox` too) in the account. */
export async function getGatewayHealth(deps: Deps, accountId: string, id: string): Promise<R.GatewayHealthObject> {
  if (id !== BUILTIN_GATEWAY) {
    const row = await deps.db.selectFrom('gateways').select('id').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('gateway', id, 'id');
  }
  const now = deps.clock.now();
  const calls = await deps.db.selectFrom('payment_attempts').select(['gateway_called_at', 'gateway_ms', 'gateway_result'])
    .where('account_id', '=', accountId).where('gateway', '=', id)
    .where('gateway_called_at', '>', new Date(now.getTime() - REPORT_MS - HEALTH_RULE.windowMs)).where('gateway_called_at', '<=', now)
    .orderBy('gateway_called_at').execute();
  const r = healthReport(calls.map((c) => ({ at: c.gateway_called_at!, ms: c.gateway_ms ?? 0, result: c.gateway_result as GatewayResult })), now);
  return {
    object: 'gateway_health', gateway: id, from: new Date(now.getTime() - REPORT_MS).toISOString(), to: now.toISOString(),
    attempts: r.attempts, succeeded: r.succeeded, declined: r.declined, gateway_errors: r.gateway_errors, pending: r.pending,
    success_rate: r.success_rate, latency_ms: r.latency_ms, status: r.status, since: r.since ? r.since.toISOString() : null,
  };
}
