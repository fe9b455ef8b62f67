import { DEFAULT_POLICY, policyProblem } from '../../domain/dunning/policy.ts';
import { invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { policyColumns, policyFromJson, policyJson, type PolicyJson } from './policy-of.ts';
import { invoiceMessages, messagesOfCase } from './messages.ts';
import { dunningCaseView, dunningPolicyView } from './view.ts';
import type { Row } from '../views.ts';

export type PolicyInput = Partial<Omit<PolicyJson, 'category_actions'>> & {
  category_actions?: Partial<PolicyJson['category_actions']>; name?: string; is_default?: boolean; metadata?: Record<string, string>;
};

const definedOnly = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The rules as given over `base`, checked as a whole: a policy is refused by the first field in error. */
function rulesOf(input: PolicyInput, base: PolicyJson): PolicyJson {
  const rules: PolicyJson = {
    retry_schedule_days: input.retry_schedule_days ?? base.retry_schedule_days,
    preferred_hour: input.preferred_hour === undefined ? base.preferred_hour : input.preferred_hour,
    // A new schedule without its own maximum retries all of its days.
    max_retries: input.max_retries ?? (input.retry_schedule_days ? input.retry_schedule_days.length : base.max_retries),
    category_actions: { ...base.category_actions, ...definedOnly(input.category_actions ?? {}) },
    grace_period_days: input.grace_period_days ?? base.grace_period_days, end_action: input.end_action ?? base.end_action,
    mark_uncollectible: input.mark_uncollectible ?? base.mark_uncollectible, retry_strategy: input.retry_strategy ?? base.retry_strategy,
  };
  const problem = policyProblem(policyFromJson(rules));
  if (problem) throw invalid('parameter_invalid', problem.message, problem.param);
  return rules;
}

/** Only one default per account: making one the default makes the former one an ordinary policy. */
async function takeDefault(u: UnitOfWork, id: string, now: Date) {
  await u.tx.updateTable('dunning_policies').set((eb) => ({ is_default: false, updated_at: now, version: eb('version', '+', 1) }))
    .where('account_id', '=', u.accountId).where('is_default', '=', true).where('id', '<>', id).execute();
}

/** Refuses a policy id that is not one of this account's: `param` names the field that gave it. */
export async function checkPolicyRef(u: UnitOfWork, id: string, param: string): Promise<void> {
  const p = await u.tx.selectFrom('dunning_policies').select('id').where('account_id', '=', u.accountId).where('id', '=', id).executeTakeFirst();
  if (!p) throw notFound('dunning policy', id, param);
}

export async function createDunningPolicy(deps: Deps, actor: Actor, input: PolicyInput & { name: string }) {
  const rules = rulesOf(input, policyJson(DEFAULT_POLICY));
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    const id = newId('dunningPolicy');
    // The account row serializes default changes: two policies made default at once cannot both stay so.
    await u.tx.selectFrom('accounts').select('id').where('id', '=', u.accountId).forUpdate().executeTakeFirst();
    if (input.is_default) await takeDefault(u, id, now);
    const row = await u.tx.insertInto('dunning_policies').values({
      account_id: u.accountId, id, name: input.name, is_default: input.is_default ?? false, ...policyColumns(rules),
      metadata: JSON.stringify(input.metadata ?? {}), created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = dunningPolicyView(row);
    u.audit('dunning_policy.created', 'dunning_policy', id, null, view, now);
    return view;
  });
}

export async function updateDunningPolicy(deps: Deps, actor: Actor, id: string, input: PolicyInput) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    await u.tx.selectFrom('accounts').select('id').where('id', '=', u.accountId).forUpdate().executeTakeFirst();
    const before = await u.tx.selectFrom('dunning_policies').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('dunning policy', id, 'id');
    const rules = rulesOf(input, dunningPolicyView(before));
    if (input.is_default) await takeDefault(u, id, now);
    const after = await u.tx.updateTable('dunning_policies').set({
      name: input.name ?? before.name, is_default: input.is_default ?? before.is_default, ...policyColumns(rules),
      metadata: JSON.stringify(input.metadata ?? before.metadata), updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = dunningPolicyView(after);
    // Running cases keep the rules they opened with; only new cases follow the change.
    u.audit('dunning_policy.updated', 'dunning_policy', id, dunningPolicyView(before), view, now);
    return view;
  });
}

export async function getDunningPolicy(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('dunning_policies').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('dunning policy', id, 'id');
  return dunningPolicyView(row);
}

export async function listDunningPolicies(deps: Deps, accountId: string, page: Page) {
  return await paginate(deps.db.selectFrom('dunning_policies').selectAll().where('account_id', '=', accountId), 'id', page, dunningPolicyView);
}

/** Cases as the API shows them, with their messages: one more query for the whole set. */
async function casesWithMessages(deps: Deps, accountId: string, rows: Row<'dunning_cases'>[]) {
  const byInvoice = await invoiceMessages(deps.db, accountId, rows.map((c) => c.invoice_id));
  return rows.map((c) => dunningCaseView(c, messagesOfCase(c, byInvoice)));
}

export async function getDunningCase(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('dunning_cases').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('dunning case', id, 'id');
  return (await casesWithMessages(deps, accountId, [row]))[0]!;
}

export async function listDunningCases(deps: Deps, accountId: string, page: Page & { customer?: string | undefined; invoice?: string | undefined; status?: string | undefined }) {
  let q = deps.db.selectFrom('dunning_cases').selectAll().where('account_id', '=', accountId);
  if (page.customer) q = q.where('customer_id', '=', page.customer);
  if (page.invoice) q = q.where('invoice_id', '=', page.invoice);
  if (page.status) q = q.where('status', '=', page.status);
  const rows = await paginate(q, 'id', page, (c) => c);
  return { ...rows, data: await casesWithMessages(deps, accountId, rows.data) };
}
