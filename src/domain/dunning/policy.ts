// A dunning policy: how Rebill tries to recover a failed renewal (issue 17). Pure data and its
// checks; the schedule's arithmetic is in schedule.ts, the choice of each retry in next-retry.ts.
import { DECLINE_CATEGORIES, type DeclineCategory } from '../declines.ts';

/** What a decline of each category makes dunning do. */
export const CATEGORY_ACTIONS = ['follow_schedule', 'request_new_card', 'alert_merchant'] as const;
export type CategoryAction = (typeof CATEGORY_ACTIONS)[number];

/** What happens to the subscription when retries are exhausted. */
export const END_ACTIONS = ['cancel', 'mark_unpaid', 'leave_past_due'] as const;
export type EndAction = (typeof END_ACTIONS)[number];

/**
 * How the time of each retry is chosen (strategies.ts): the schedule as written, or pay-day aware
 * for insufficient funds. Compared on one synthetic book by `rebill simulate dunning`.
 */
export const RETRY_STRATEGIES = ['fixed_schedule', 'payday_aware'] as const;
export type RetryStrategyName = (typeof RETRY_STRATEGIES)[number];

export type DunningPolicy = {
  /** Days after the first failure at which to retry, strictly increasing: [1, 3, 5, 7]. */
  retryScheduleDays: readonly number[];
  /** Hour of day (0–23) in the customer's time zone for retries; null: the failure's own time of day. */
  preferredHour: number | null;
  /** At most this many retries after the first failure, whatever the schedule says. */
  maxRetries: number;
  categoryActions: Readonly<Record<DeclineCategory, CategoryAction>>;
  /** Days after the first failure during which the customer keeps access. */
  gracePeriodDays: number;
  endAction: EndAction;
  /** Also mark the invoice uncollectible when retries are exhausted. */
  markUncollectible: boolean;
  /** Which strategy times the retries; the policy's schedule bounds every one of them. */
  retryStrategy: RetryStrategyName;
};

/**
 * What an account has until it says otherwise: four retries over a week (the common 1-3-5-7), in
 * the customer's morning; a hard or fraud decline asks for a new card at once (the card on file
 * can never succeed); a merchant-side problem is the merchant's to fix, not the customer's; a week
 * of grace, then the subscription stays past_due for the merchant to decide.
 */
export const DEFAULT_POLICY: DunningPolicy = {
  retryScheduleDays: [1, 3, 5, 7],
  preferredHour: 10,
  maxRetries: 4,
  categoryActions: { soft: 'follow_schedule', hard: 'request_new_card', fraud: 'request_new_card', config: 'alert_merchant' },
  gracePeriodDays: 7,
  endAction: 'leave_past_due',
  markUncollectible: false,
  retryStrategy: 'fixed_schedule',
};

/** Retries further than this from the first failure are not dunning but a new sale. */
export const MAX_SCHEDULE_DAYS = 60;
/** More retries than the card networks allow in 30 days (Visa: 15) would never all be sent. */
export const MAX_RETRIES = 15;
export const MAX_GRACE_DAYS = 90;

export type PolicyProblem = { param: string; message: string };

/**
 * The first thing wrong with a policy, named by the API field that holds it, or null. Every
 * number must be a whole number in range; a schedule of fractional days or a retry before the
 * failure it follows means the merchant meant something else.
 */
export function policyProblem(p: DunningPolicy): PolicyProblem | null {
  const days = p.retryScheduleDays;
  if (days.length === 0) return { param: 'retry_schedule_days', message: 'Give at least one retry day; to never retry, set every category to request_new_card or alert_merchant.' };
  if (days.length > MAX_RETRIES) return { param: 'retry_schedule_days', message: `At most ${MAX_RETRIES} retry days.` };
  for (let i = 0; i < days.length; i++) {
    const d = days[i]!;
    if (!Number.isInteger(d) || d < 1 || d > MAX_SCHEDULE_DAYS) return { param: 'retry_schedule_days', message: `Retry days are whole days from 1 to ${MAX_SCHEDULE_DAYS} after the first failure.` };
    if (i > 0 && d <= days[i - 1]!) return { param: 'retry_schedule_days', message: 'Retry days must be strictly increasing.' };
  }
  if (p.preferredHour !== null && (!Number.isInteger(p.preferredHour) || p.preferredHour < 0 || p.preferredHour > 23)) {
    return { param: 'preferred_hour', message: 'The preferred hour is a whole hour from 0 to 23, or null.' };
  }
  if (!Number.isInteger(p.maxRetries) || p.maxRetries < 0 || p.maxRetries > MAX_RETRIES) return { param: 'max_retries', message: `At most ${MAX_RETRIES} retries (0 for none).` };
  for (const c of DECLINE_CATEGORIES) {
    if (!(CATEGORY_ACTIONS as readonly string[]).includes(p.categoryActions[c])) return { param: `category_actions[${c}]`, message: `One of ${CATEGORY_ACTIONS.join(', ')}.` };
  }
  // A card the issuer called stolen or the networks said never to retry cannot follow a schedule.
  if (p.categoryActions.hard === 'follow_schedule' || p.categoryActions.fraud === 'follow_schedule') {
    return { param: p.categoryActions.hard === 'follow_schedule' ? 'category_actions[hard]' : 'category_actions[fraud]', message: 'Hard and fraud declines are never retried on the same card: request_new_card or alert_merchant.' };
  }
  if (!Number.isInteger(p.gracePeriodDays) || p.gracePeriodDays < 0 || p.gracePeriodDays > MAX_GRACE_DAYS) return { param: 'grace_period_days', message: `Whole days from 0 to ${MAX_GRACE_DAYS}.` };
  if (!(END_ACTIONS as readonly string[]).includes(p.endAction)) return { param: 'end_action', message: `One of ${END_ACTIONS.join(', ')}.` };
  if (!(RETRY_STRATEGIES as readonly string[]).includes(p.retryStrategy)) return { param: 'retry_strategy', message: `One of ${RETRY_STRATEGIES.join(', ')}.` };
  return null;
}
