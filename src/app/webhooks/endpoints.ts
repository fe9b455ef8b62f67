import { randomBytes } from 'node:crypto';
import { invalid } from '../../domain/errors.ts';
import { isEventType } from '../../domain/event-types.ts';
import { newId } from '../../domain/ids.ts';
import { shouldDisable } from '../../domain/webhook-delivery.ts';
import { secretOf } from '../../domain/webhook-signature.ts';
import { urlProblem, type UrlProblem } from '../../domain/webhook-url.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { webhookEndpointView, type Row } from '../views.ts';

export type EndpointInput = {
  url?: string; enabled_events?: string[]; description?: string | null; disabled?: boolean; metadata?: Record<string, string>;
};

/** As many as Stripe allows; more is a misconfiguration, and each costs a delivery per event. */
export const MAX_ENDPOINTS = 16;
/** A rotation keeps the previous secret valid for at most a week. */
export const MAX_ROTATION_OVERLAP_S = 7 * 24 * 3600;

const URL_ERRORS: Record<UrlProblem, readonly ['webhook_url_invalid' | 'webhook_url_insecure' | 'webhook_url_not_public', string]> = {
  invalid: ['webhook_url_invalid', 'url is not a valid absolute URL'],
  credentials: ['webhook_url_invalid', 'url must not carry a user name or password'],
  scheme: ['webhook_url_insecure', 'url must use https (http only to a loopback host with REBILL_WEBHOOKS_ALLOW_HTTP=1)'],
  address: ['webhook_url_not_public', 'url points to a private, loopback or link-local address (allowed only with REBILL_WEBHOOKS_ALLOW_PRIVATE=1)'],
};

function webhooksOf(deps: Deps) {
  if (!deps.webhooks) throw new Error('webhooks are not configured: Deps.webhooks is missing');
  return deps.webhooks;
}

function checkUrl(deps: Deps, raw: string): string {
  const { problem, url } = urlProblem(raw, webhooksOf(deps).policy);
  if (problem) throw invalid(URL_ERRORS[problem][0], URL_ERRORS[problem][1], 'url');
  return url!.toString();
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw invalid('parameter_invalid', 'enabled_events needs at least one type, or "*"', 'enabled_events');
  const seen = new Set<string>();
  for (const [i, t] of events.entries()) {
    if (t !== '*' && !isEventType(t)) throw invalid('parameter_invalid', `'${t}' is not an event type Rebill sends`, `enabled_events[${i}]`);
    if (seen.has(t)) throw invalid('parameter_invalid', `'${t}' appears twice`, `enabled_events[${i}]`);
    seen.add(t);
  }
  return events.includes('*') ? ['*'] : events;
}

const newSecret = () => secretOf(randomBytes(32));

async function locked(u: UnitOfWork, id: string) {
  const row = await u.tx.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', u.accountId).where('id', '=', id)
    .where('deleted_at', 'is', null).forUpdate().executeTakeFirst();
  if (!row) throw notFound('webhook endpoint', id, 'id');
  return row;
}

/** A new endpoint; its signing secret is in this answer only. */
export async function createEndpoint(deps: Deps, actor: Actor, input: EndpointInput & { url: string; enabled_events: string[] }) {
  const url = checkUrl(deps, input.url);
  const events = checkEvents(input.enabled_events);
  const secret = newSecret();
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    // The account row is locked so two creations cannot both pass the count.
    await u.tx.selectFrom('accounts').select('id').where('id', '=', u.accountId).forUpdate().executeTakeFirst();
    const { n } = await u.tx.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('account_id', '=', u.accountId).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    if (Number(n) >= MAX_ENDPOINTS) throw invalid('webhook_endpoint_limit', `an account has at most ${MAX_ENDPOINTS} webhook endpoints`, 'url');
    const row = await u.tx.insertInto('webhook_endpoints').values({
      account_id: u.accountId, id: newId('webhookEndpoint'), url, description: input.description ?? null, enabled_events: events,
      disabled: input.disabled ?? false, secret_sealed: webhooksOf(deps).secrets.seal(secret), previous_secret_sealed: null,
      previous_secret_expires_at: null, metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = webhookEndpointView(row, now);
    u.audit('webhook_endpoint.created', 'webhook_endpoint', row.id, null, view, now);
    return webhookEndpointView(row, now, secret);
  });
}

export async function getEndpoint(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('id', '=', id)
    .where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) throw notFound('webhook endpoint', id, 'id');
  return webhookEndpointView(row, deps.clock.now());
}

export async function listEndpoints(deps: Deps, accountId: string, page: Page) {
  const now = deps.clock.now();
  const q = deps.db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('deleted_at', 'is', null);
  return await paginate(q, 'id', page, (r: Row<'webhook_endpoints'>) => webhookEndpointView(r, now));
}

/** Changes the URL, the events, the description, `disabled` (enabling again clears the failure streak) or metadata. */
export async function updateEndpoint(deps: Deps, actor: Actor, id: string, input: EndpointInput) {
  const url = input.url === undefined ? undefined : checkUrl(deps, input.url);
  const events = input.enabled_events === undefined ? undefined : checkEvents(input.enabled_events);
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await locked(u, id);
    const after = await u.tx.updateTable('webhook_endpoints').set({
      url: url ?? before.url, enabled_events: events ?? before.enabled_events,
      description: input.description === undefined ? before.description : input.description,
      disabled: input.disabled ?? before.disabled, failing_since: input.disabled === false ? null : before.failing_since,
      metadata: JSON.stringify({ ...(before.metadata as Record<string, string>), ...(input.metadata ?? {}) }), updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    if (after.disabled && !before.disabled) await giveUpPending(u, id, 'endpoint disabled', now);
    const view = webhookEndpointView(after, now);
    u.audit('webhook_endpoint.updated', 'webhook_endpoint', id, webhookEndpointView(before, now), view, now);
    return view;
  });
}

/** Stops all deliveries to the endpoint; it is no longer shown (its past deliveries stay on record). */
export async function deleteEndpoint(deps: Deps, actor: Actor, id: string) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await locked(u, id);
    await u.tx.updateTable('webhook_endpoints').set({ deleted_at: now, updated_at: now, version: before.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).execute();
    await giveUpPending(u, id, 'endpoint deleted', now);
    u.audit('webhook_endpoint.deleted', 'webhook_endpoint', id, webhookEndpointView(before, now), null, now);
    return { id, object: 'webhook_endpoint', deleted: true as const };
  });
}

/**
 * A new signing secret, which signs from now on; the current one keeps signing beside it for
 * `expires_in` seconds (default a day), so receivers can switch without missing a delivery.
 */
export async function rotateSecret(deps: Deps, actor: Actor, id: string, input: { expires_in?: number }) {
  const overlap = input.expires_in ?? 24 * 3600;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_ROTATION_OVERLAP_S) {
    throw invalid('parameter_invalid', `expires_in must be whole seconds from 0 to ${MAX_ROTATION_OVERLAP_S}`, 'expires_in');
  }
  const secret = newSecret();
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await locked(u, id);
    const after = await u.tx.updateTable('webhook_endpoints').set({
      secret_sealed: webhooksOf(deps).secrets.seal(secret),
      previous_secret_sealed: overlap > 0 ? before.secret_sealed : null,
      previous_secret_expires_at: overlap > 0 ? new Date(now.getTime() + overlap * 1000) : null,
      updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    u.audit('webhook_endpoint.secret_rotated', 'webhook_endpoint', id, null, { secret_rotation: webhookEndpointView(after, now).secret_rotation }, now);
    return webhookEndpointView(after, now, secret);
  });
}

/**
 * Disables an endpoint that has failed every delivery for five days: its pending deliveries
 * are given up (a replay sends them once it works again) and `webhook_endpoint.disabled` tells
 * the account's other endpoints. Does nothing if it was changed meanwhile (enabled, deleted, healed).
 */
export async function disableFailingEndpoint(deps: Deps, accountId: string, id: string, now: Date): Promise<boolean> {
  return await command(deps, { accountId, actor: 'system:webhooks', requestId: null }, async (u) => {
    const before = await u.tx.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('id', '=', id)
      .where('deleted_at', 'is', null).where('disabled', '=', false).forUpdate().executeTakeFirst();
    if (!before || !shouldDisable(before.failing_since, now)) return false;
    const after = await u.tx.updateTable('webhook_endpoints').set({ disabled: true, updated_at: now, version: before.version + 1 })
      .where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await giveUpPending(u, id, 'endpoint disabled', now);
    const view = webhookEndpointView(after, now);
    u.audit('webhook_endpoint.disabled', 'webhook_endpoint', id, webhookEndpointView(before, now), view, now);
    u.emit('webhook_endpoint.disabled', id, view, now, { reason: 'failing', failing_since: before.failing_since!.toISOString() });
    return true;
  });
}

/** Pending deliveries of an endpoint that stops taking them become `failed` (replayable). */
async function giveUpPending(u: UnitOfWork, endpointId: string, why: string, now: Date) {
  await u.tx.updateTable('webhook_deliveries').set({ status: 'failed', next_attempt_at: null, last_error: why, updated_at: now })
    .where('account_id', '=', u.accountId).where('endpoint_id', '=', endpointId).where('status', '=', 'pending').execute();
}

/** The secrets a delivery at `now` is signed with: the current one, and the previous while it lasts. */
export function signingSecrets(deps: Deps, e: Row<'webhook_endpoints'>, now: Date): string[] {
  const box = webhooksOf(deps).secrets;
  const out = [box.open(e.secret_sealed)];
  if (e.previous_secret_sealed && e.previous_secret_expires_at && e.previous_secret_expires_at > now) out.push(box.open(e.previous_secret_sealed));
  return out;
}
