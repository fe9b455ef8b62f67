import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { parsePercent } from '../../domain/percent.ts';
import type { TaxRate } from '../../domain/tax.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command } from '../unit-of-work.ts';
import { taxRateView, type Row } from '../views.ts';

type Db = Kysely<DB> | Transaction<DB>;

export type TaxRateInput = {
  display_name: string; percentage: string | number; inclusive: boolean; description?: string | null; country?: string | null;
  state?: string | null; jurisdiction?: string | null; tax_type?: string | null; active?: boolean; metadata?: Record<string, string>;
};

/** A registered rate as the tax step uses it. */
export const taxRateOf = (r: Row<'tax_rates'>): TaxRate => ({ id: r.id, rate: BigInt(r.percentage), inclusive: r.inclusive });

export async function createTaxRate(deps: Deps, actor: Actor, input: TaxRateInput) {
  const percentage = parsePercent(input.percentage, 4, 'percentage');
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const row = await u.tx.insertInto('tax_rates').values({
      account_id: u.accountId, id: newId('taxRate'), display_name: input.display_name, description: input.description ?? null, percentage,
      inclusive: input.inclusive, country: input.country?.toUpperCase() ?? null, state: input.state ?? null, jurisdiction: input.jurisdiction ?? null,
      tax_type: input.tax_type ?? null, active: input.active ?? true, metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = taxRateView(row);
    u.audit('tax_rate.created', 'tax_rate', row.id, null, view, now);
    u.emit('tax_rate.created', row.id, view, now);
    return view;
  });
}

export async function getTaxRate(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('tax_rates').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('tax rate', id, 'id');
  return taxRateView(row);
}

export async function listTaxRates(deps: Deps, accountId: string, page: Page & { active?: boolean | undefined }) {
  let q = deps.db.selectFrom('tax_rates').selectAll().where('account_id', '=', accountId);
  if (page.active !== undefined) q = q.where('active', '=', page.active);
  return await paginate(q, 'id', page, taxRateView);
}

/** What may change on a rate: its name and description, whether it is active. Its percentage never: invoices refer to it. */
export async function updateTaxRate(deps: Deps, actor: Actor, id: string, input: { display_name?: string; description?: string | null; active?: boolean; metadata?: Record<string, string> }) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const before = await u.tx.selectFrom('tax_rates').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('tax rate', id, 'id');
    const after = await u.tx.updateTable('tax_rates').set({
      display_name: input.display_name ?? before.display_name, description: input.description === undefined ? before.description : input.description,
      active: input.active ?? before.active, metadata: JSON.stringify({ ...(before.metadata as Record<string, string>), ...(input.metadata ?? {}) }),
      updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = taxRateView(after);
    u.audit('tax_rate.updated', 'tax_rate', id, taxRateView(before), view, now);
    u.emit('tax_rate.updated', id, view, now);
    return view;
  });
}

/** The rates named by `ids` (all of the account's, all active), in the order given. */
export async function checkTaxRates(db: Db, accountId: string, ids: readonly string[], param: string): Promise<Row<'tax_rates'>[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('tax_rates').selectAll().where('account_id', '=', accountId).where('id', 'in', [...ids]).execute();
  return ids.map((id, i) => {
    const r = rows.find((x) => x.id === id);
    if (!r) throw notFound('tax rate', id, `${param}[${i}]`);
    if (!r.active) throw invalid('tax_rate_inactive', `tax rate '${id}' is archived`, `${param}[${i}]`);
    if (ids.indexOf(id) !== i) throw invalid('parameter_invalid', `tax rate '${id}' appears twice`, `${param}[${i}]`);
    return r;
  });
}

/**
 * The default tax rates of many subscriptions in one query (none when none has any), keyed by
 * subscription. A rate archived since it was set still applies: archiving stops new use only.
 */
export async function loadTaxRates(db: Db, subs: readonly Row<'subscriptions'>[]): Promise<Map<string, TaxRate[]>> {
  const out = new Map<string, TaxRate[]>();
  const taxed = subs.filter((s) => s.default_tax_rates.length > 0);
  if (taxed.length === 0) return out;
  const rows = await db.selectFrom('tax_rates').selectAll().where('account_id', 'in', [...new Set(taxed.map((s) => s.account_id))])
    .where('id', 'in', [...new Set(taxed.flatMap((s) => s.default_tax_rates))]).execute();
  const byKey = new Map(rows.map((r) => [`${r.account_id}/${r.id}`, taxRateOf(r)]));
  for (const s of taxed) out.set(s.id, s.default_tax_rates.flatMap((id) => byKey.get(`${s.account_id}/${id}`) ?? []));
  return out;
}
