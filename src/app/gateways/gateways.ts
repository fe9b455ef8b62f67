import { DomainError, invalid } from '../../domain/errors.ts';
import { credentialProblem, GATEWAY_TYPES, type GatewayType } from '../../domain/gateway-types.ts';
import { newId } from '../../domain/ids.ts';
import { urlProblem } from '../../domain/webhook-url.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps, SecretSealer } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { gatewayView, type Row } from '../views.ts';

export type GatewayInput = {
  type?: GatewayType; name?: string; api_base?: string | null; credentials?: Record<string, string>; active?: boolean; metadata?: Record<string, string>;
};

export function sealerOf(deps: Deps): SecretSealer {
  const box = deps.secrets ?? deps.webhooks?.secrets;
  if (!box) throw new Error('secrets cannot be sealed: Deps.secrets is missing');
  return box;
}

/** The types this installation can build an adapter for; creating another is refused. */
export const availableTypes = (deps: Deps): GatewayType[] => GATEWAY_TYPES.filter((t) => deps.gatewayFactories?.[t]);

function checkType(deps: Deps, type: GatewayType) {
  if (!availableTypes(deps).includes(type)) {
    throw invalid('gateway_type_unavailable', `This installation has no adapter for '${type}' gateways (available: ${availableTypes(deps).join(', ') || 'none'}).`, 'type');
  }
}

function checkCredentials(type: GatewayType, given: Record<string, string>, partial: boolean) {
  const p = credentialProblem(type, given, partial);
  if (p) throw new DomainError(p.code, p.message, p.param);
}

// The processor's API is reached by Rebill's servers: the same rules as webhook URLs (https,
// public addresses; http to loopback only when allowed, for local test servers).
function checkApiBase(deps: Deps, raw: string | null | undefined): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  const policy = deps.webhooks?.policy ?? { allowHttp: false, allowPrivate: false };
  const { problem, url } = urlProblem(raw, policy);
  if (problem === 'scheme') throw invalid('webhook_url_insecure', 'api_base must use https (http only to a loopback host with REBILL_WEBHOOKS_ALLOW_HTTP=1)', 'api_base');
  if (problem === 'address') throw invalid('webhook_url_not_public', 'api_base points to a private, loopback or link-local address', 'api_base');
  if (problem || url!.search || url!.hash) throw invalid('parameter_invalid', 'api_base must be an absolute URL without query or fragment', 'api_base');
  return url!.toString().replace(/\/$/, '');
}

async function locked(u: UnitOfWork, id: string) {
  const row = await u.tx.selectFrom('gateways').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw notFound('gateway', id, 'id');
  return row;
}

/** Opens a gateway's credentials; only adapters see them. */
export function credentialsOf(deps: Deps, row: Row<'gateways'>): Record<string, string> {
  return row.credentials_sealed ? JSON.parse(sealerOf(deps).open(row.credentials_sealed)) as Record<string, string> : {};
}

export async function createGateway(deps: Deps, actor: Actor, input: GatewayInput & { type: GatewayType; name: string }) {
  checkType(deps, input.type);
  const credentials = input.credentials ?? {};
  checkCredentials(input.type, credentials, false);
  if (input.type === 'custom_http' && !input.api_base) throw invalid('parameter_missing', 'a custom_http gateway needs api_base, the URL of your gateway service', 'api_base');
  const apiBase = checkApiBase(deps, input.api_base) ?? null;
  const sealed = Object.keys(credentials).length ? sealerOf(deps).seal(JSON.stringify(credentials)) : null;
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const row = await u.tx.insertInto('gateways').values({
      account_id: u.accountId, id: newId('gateway'), type: input.type, name: input.name, api_base: apiBase, credentials_sealed: sealed,
      active: input.active ?? true, metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = gatewayView(row, Object.keys(credentials));
    u.audit('gateway.created', 'gateway', row.id, null, view, now);
    u.emit('gateway.created', row.id, view, now);
    return view;
  });
}

export async function getGateway(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('gateways').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('gateway', id, 'id');
  return gatewayView(row, Object.keys(credentialsOf(deps, row)));
}

export async function listGateways(deps: Deps, accountId: string, page: Page) {
  const q = deps.db.selectFrom('gateways').selectAll().where('account_id', '=', accountId);
  return await paginate(q, 'id', page, (r: Row<'gateways'>) => gatewayView(r, Object.keys(credentialsOf(deps, r))));
}

/** Renames, points elsewhere, replaces the credentials given (the others stay), or (de)activates. */
export async function updateGateway(deps: Deps, actor: Actor, id: string, input: GatewayInput) {
  const now = deps.clock.now();
  const apiBase = checkApiBase(deps, input.api_base);
  return await command(deps, actor, async (u) => {
    const before = await locked(u, id);
    const type = before.type as GatewayType;
    if (input.credentials) checkCredentials(type, input.credentials, true);
    if (type === 'custom_http' && input.api_base === null) throw invalid('parameter_invalid', 'a custom_http gateway needs api_base', 'api_base');
    const old = credentialsOf(deps, before);
    const credentials = { ...old, ...(input.credentials ?? {}) };
    const after = await u.tx.updateTable('gateways').set({
      name: input.name ?? before.name, api_base: apiBase === undefined ? before.api_base : apiBase, active: input.active ?? before.active,
      credentials_sealed: input.credentials ? sealerOf(deps).seal(JSON.stringify(credentials)) : before.credentials_sealed,
      metadata: JSON.stringify({ ...(before.metadata as Record<string, string>), ...(input.metadata ?? {}) }), updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = gatewayView(after, Object.keys(credentials));
    // Which credentials changed is recorded, never their values.
    u.audit('gateway.updated', 'gateway', id, gatewayView(before, Object.keys(old)), { ...view, credentials_replaced: Object.keys(input.credentials ?? {}) }, now);
    u.emit('gateway.updated', id, view, now);
    return view;
  });
}
