import { normalizeCurrency } from '../../domain/currency.ts';
import { isCountry } from '../../domain/customer-tax.ts';
import { invalid } from '../../domain/errors.ts';
import { BUILTIN_GATEWAY } from '../../domain/gateway-types.ts';
import { newId } from '../../domain/ids.ts';
import type { RoutingRule } from '../../domain/routing.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { routingRuleView, type Row } from '../views.ts';

export type RoutingRuleInput = {
  gateway?: string; position?: number; currency?: string | null; amount_gte?: number | null; amount_lte?: number | null;
  brand?: string | null; card_country?: string | null; customer_country?: string | null; customer_metadata?: Record<string, string>;
  active?: boolean; description?: string | null;
};

/** An account has at most this many rules: each is tried for every charge of its customers. */
export const MAX_RULES = 50;

async function checkGateway(u: UnitOfWork, ref: string) {
  if (ref === BUILTIN_GATEWAY) return;
  const g = await u.tx.selectFrom('gateways').select('id').where('account_id', '=', u.accountId).where('id', '=', ref).executeTakeFirst();
  if (!g) throw notFound('gateway', ref, 'gateway');
}

const country = (v: string | null | undefined, param: string) => {
  if (v === undefined || v === null) return v;
  if (!isCountry(v)) throw invalid('parameter_invalid', `${param} must be an ISO 3166-1 alpha-2 country code`, param);
  return v;
};

/** The conditions as given, checked; undefined keeps what is stored. */
function conditions(input: RoutingRuleInput) {
  return {
    currency: input.currency === undefined || input.currency === null ? input.currency : normalizeCurrency(input.currency),
    amount_gte: input.amount_gte === undefined || input.amount_gte === null ? input.amount_gte : BigInt(input.amount_gte),
    amount_lte: input.amount_lte === undefined || input.amount_lte === null ? input.amount_lte : BigInt(input.amount_lte),
    brand: input.brand === undefined || input.brand === null ? input.brand : input.brand.toLowerCase(),
    card_country: country(input.card_country, 'card_country'),
    customer_country: country(input.customer_country, 'customer_country'),
  };
}

function checkRange(gte: bigint | null, lte: bigint | null) {
  if (gte !== null && lte !== null && gte > lte) throw invalid('parameter_invalid', 'amount_gte is above amount_lte', 'amount_gte');
}

async function locked(u: UnitOfWork, id: string) {
  const row = await u.tx.selectFrom('routing_rules').selectAll().where('account_id', '=', u.accountId).where('id', '=', id)
    .where('deleted_at', 'is', null).forUpdate().executeTakeFirst();
  if (!row) throw notFound('routing rule', id, 'id');
  return row;
}

export async function createRoutingRule(deps: Deps, actor: Actor, input: RoutingRuleInput & { gateway: string }) {
  const c = conditions(input);
  checkRange(c.amount_gte ?? null, c.amount_lte ?? null);
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    await checkGateway(u, input.gateway);
    // The account row is locked so two creations cannot both pass the count or take one position.
    await u.tx.selectFrom('accounts').select('id').where('id', '=', u.accountId).forUpdate().executeTakeFirst();
    const live = await u.tx.selectFrom('routing_rules').select(['position']).where('account_id', '=', u.accountId).where('deleted_at', 'is', null).execute();
    if (live.length >= MAX_RULES) throw invalid('routing_rule_limit', `an account has at most ${MAX_RULES} routing rules`, 'gateway');
    const row = await u.tx.insertInto('routing_rules').values({
      account_id: u.accountId, id: newId('routingRule'), gateway: input.gateway,
      position: input.position ?? (live.length ? Math.max(...live.map((r) => r.position)) + 1 : 0),
      currency: c.currency ?? null, amount_gte: c.amount_gte ?? null, amount_lte: c.amount_lte ?? null, brand: c.brand ?? null,
      card_country: c.card_country ?? null, customer_country: c.customer_country ?? null,
      customer_metadata: JSON.stringify(input.customer_metadata ?? {}), active: input.active ?? true, description: input.description ?? null,
      created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = routingRuleView(row);
    u.audit('routing_rule.created', 'routing_rule', row.id, null, view, now);
    return view;
  });
}

export async function getRoutingRule(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('routing_rules').selectAll().where('account_id', '=', accountId).where('id', '=', id)
    .where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) throw notFound('routing rule', id, 'id');
  return routingRuleView(row);
}

/** Newest first, as every list; the order rules are tried in is their `position`. */
export async function listRoutingRules(deps: Deps, accountId: string, page: Page) {
  const q = deps.db.selectFrom('routing_rules').selectAll().where('account_id', '=', accountId).where('deleted_at', 'is', null);
  return await paginate(q, 'id', page, (r: Row<'routing_rules'>) => routingRuleView(r));
}

export async function updateRoutingRule(deps: Deps, actor: Actor, id: string, input: RoutingRuleInput) {
  const c = conditions(input);
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await locked(u, id);
    if (input.gateway !== undefined) await checkGateway(u, input.gateway);
    const pick = <T>(given: T | undefined, stored: T) => (given === undefined ? stored : given);
    const gte = pick(c.amount_gte, before.amount_gte);
    const lte = pick(c.amount_lte, before.amount_lte);
    checkRange(gte, lte);
    const after = await u.tx.updateTable('routing_rules').set({
      gateway: pick(input.gateway, before.gateway), position: pick(input.position, before.position),
      currency: pick(c.currency, before.currency), amount_gte: gte, amount_lte: lte, brand: pick(c.brand, before.brand),
      card_country: pick(c.card_country, before.card_country), customer_country: pick(c.customer_country, before.customer_country),
      customer_metadata: input.customer_metadata ? JSON.stringify(input.customer_metadata) : JSON.stringify(before.customer_metadata),
      active: pick(input.active, before.active), description: pick(input.description, before.description), updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = routingRuleView(after);
    u.audit('routing_rule.updated', 'routing_rule', id, routingRuleView(before), view, now);
    return view;
  });
}

export async function deleteRoutingRule(deps: Deps, actor: Actor, id: string) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await locked(u, id);
    await u.tx.updateTable('routing_rules').set({ deleted_at: now, updated_at: now, version: before.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', id).execute();
    u.audit('routing_rule.deleted', 'routing_rule', id, routingRuleView(before), null, now);
    return { id, object: 'routing_rule', deleted: true as const };
  });
}

/** The live rules of some accounts, in the order they are tried, as the pure router takes them. */
export async function liveRules(db: UnitOfWork['tx'], accountIds: string[]): Promise<Map<string, RoutingRule[]>> {
  const out = new Map<string, RoutingRule[]>();
  if (accountIds.length === 0) return out;
  // A rule pointing at an inactive gateway is passed over, like an inactive rule.
  const rows = await db.selectFrom('routing_rules as r').selectAll('r').where('r.account_id', 'in', accountIds).where('r.active', '=', true)
    .where('r.deleted_at', 'is', null)
    .where((eb) => eb.or([eb('r.gateway', '=', BUILTIN_GATEWAY), eb.exists(eb.selectFrom('gateways as g').select('g.id')
      .whereRef('g.account_id', '=', 'r.account_id').whereRef('g.id', '=', 'r.gateway').where('g.active', '=', true))]))
    .orderBy('r.account_id').orderBy('r.position').orderBy('r.created_at').execute();
  for (const r of rows) {
    const list = out.get(r.account_id) ?? [];
    list.push({
      id: r.id, gateway: r.gateway, currency: r.currency, amountGte: r.amount_gte, amountLte: r.amount_lte, brand: r.brand,
      cardCountry: r.card_country, customerCountry: r.customer_country, customerMetadata: r.customer_metadata as Record<string, string>,
    });
    out.set(r.account_id, list);
  }
  return out;
}
