import { DEFAULT_POLICY, type CategoryAction, type DunningPolicy, type EndAction, type RetryStrategyName } from '../../domain/dunning/policy.ts';
import type { DeclineCategory } from '../../domain/declines.ts';
import type { Db } from '../time.ts';
import type { Row } from '../views.ts';

/** A policy as the API and a case's snapshot spell it. */
export type PolicyJson = {
  retry_schedule_days: number[]; preferred_hour: number | null; max_retries: number;
  category_actions: Record<DeclineCategory, CategoryAction>; grace_period_days: number; end_action: EndAction; mark_uncollectible: boolean;
  retry_strategy: RetryStrategyName;
};

export const policyJson = (p: DunningPolicy): PolicyJson => ({
  retry_schedule_days: [...p.retryScheduleDays], preferred_hour: p.preferredHour, max_retries: p.maxRetries,
  category_actions: { ...p.categoryActions }, grace_period_days: p.gracePeriodDays, end_action: p.endAction, mark_uncollectible: p.markUncollectible,
  retry_strategy: p.retryStrategy,
});

/** Snapshots taken before strategies could be chosen have no `retry_strategy`: they followed the schedule as written. */
export const policyFromJson = (j: Omit<PolicyJson, 'retry_strategy'> & { retry_strategy?: RetryStrategyName }): DunningPolicy => ({
  retryScheduleDays: j.retry_schedule_days, preferredHour: j.preferred_hour, maxRetries: j.max_retries,
  categoryActions: j.category_actions, gracePeriodDays: j.grace_period_days, endAction: j.end_action, markUncollectible: j.mark_uncollectible,
  retryStrategy: j.retry_strategy ?? 'fixed_schedule',
});

/** The rules of a stored policy row, as the API spells them. */
export function rulesOfRow(r: Row<'dunning_policies'>): PolicyJson {
  return {
    retry_schedule_days: r.retry_schedule_days, preferred_hour: r.preferred_hour, max_retries: r.max_retries,
    category_actions: (typeof r.category_actions === 'string' ? JSON.parse(r.category_actions) : r.category_actions) as PolicyJson['category_actions'],
    grace_period_days: r.grace_period_days, end_action: r.end_action as EndAction, mark_uncollectible: r.mark_uncollectible,
    retry_strategy: r.retry_strategy as RetryStrategyName,
  };
}

/** The columns that store `rules` in a dunning_policies row. */
export const policyColumns = (r: PolicyJson) => ({ ...r, category_actions: JSON.stringify(r.category_actions) });

export const policyOfRow = (r: Row<'dunning_policies'>): DunningPolicy => policyFromJson(rulesOfRow(r));

/**
 * The policy that governs an invoice's recovery: the subscription's own, else its customer's,
 * else the account's default, else Rebill's built-in one (`id` null).
 */
export async function policyFor(db: Db, accountId: string, refs: { subscriptionPolicy: string | null; customerPolicy: string | null }): Promise<{ id: string | null; policy: DunningPolicy }> {
  const wanted = [refs.subscriptionPolicy, refs.customerPolicy].filter((x): x is string => x !== null);
  const rows = await db.selectFrom('dunning_policies').selectAll().where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('is_default', '=', true), ...(wanted.length ? [eb('id', 'in', wanted)] : [])])).execute();
  const pick = wanted.map((id) => rows.find((r) => r.id === id)).find((r) => r) ?? rows.find((r) => r.is_default);
  return pick ? { id: pick.id, policy: policyOfRow(pick) } : { id: null, policy: DEFAULT_POLICY };
}
