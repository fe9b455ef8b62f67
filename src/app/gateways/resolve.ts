import { invalid } from '../../domain/errors.ts';
import { BUILTIN_GATEWAY, type GatewayType } from '../../domain/gateway-types.ts';
import { notFound } from '../errors.ts';
import type { Deps, PaymentGateway } from '../ports.ts';
import { credentialsOf } from './gateways.ts';

// Adapters are built once per gateway version: a change of credentials or api_base bumps the
// version, and the next charge builds a fresh adapter. Keyed per Deps, so tests stay apart.
const built = new WeakMap<Deps, Map<string, { version: number; gateway: PaymentGateway }>>();

/**
 * The adapter behind a gateway reference as payment methods, attempts and refunds store it:
 * `sandbox` (the built-in one) or a configured gateway's id. Recovery and refunds of past
 * charges go through here whatever the gateway's `active` flag says.
 */
export async function gatewayFor(deps: Deps, accountId: string, ref: string): Promise<PaymentGateway> {
  if (ref === BUILTIN_GATEWAY) return deps.gateway;
  const row = await deps.db.selectFrom('gateways').selectAll().where('account_id', '=', accountId).where('id', '=', ref).executeTakeFirst();
  if (!row) throw new Error(`gateway '${ref}' of account ${accountId} does not exist`);
  let cache = built.get(deps);
  if (!cache) { cache = new Map(); built.set(deps, cache); }
  const key = `${accountId}/${ref}`;
  const hit = cache.get(key);
  if (hit && hit.version === row.version) return hit.gateway;
  const factory = deps.gatewayFactories?.[row.type as GatewayType];
  if (!factory) throw new Error(`no adapter for '${row.type}' gateways in this installation`);
  const gateway = factory({ accountId, id: row.id, type: row.type as GatewayType, apiBase: row.api_base, credentials: credentialsOf(deps, row) });
  cache.set(key, { version: row.version, gateway });
  return gateway;
}

/** A gateway that may take a new payment method or charge: it exists in the account and is active. */
export async function activeGateway(deps: Deps, accountId: string, ref: string, param = 'gateway'): Promise<PaymentGateway> {
  if (ref !== BUILTIN_GATEWAY) {
    const row = await deps.db.selectFrom('gateways').select(['active']).where('account_id', '=', accountId).where('id', '=', ref).executeTakeFirst();
    if (!row) throw notFound('gateway', ref, param);
    if (!row.active) throw invalid('gateway_inactive', `Gateway '${ref}' is inactive.`, param);
  }
  return await gatewayFor(deps, accountId, ref);
}
