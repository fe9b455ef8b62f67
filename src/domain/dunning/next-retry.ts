// What dunning does after a decline: retry (when), ask for a new card, alert the merchant, or stop.
import { reattemptAllowed, type DeclineRecord } from '../declines-network.ts';
import type { DunningPolicy } from './policy.ts';
import type { CaseFacts, RetryStrategy } from './strategy.ts';

export type RetryPlan =
  /** `delayedBy`: the card-network limit that pushed the strategy's time later, if one did. */
  | { kind: 'retry'; at: Date; delayedBy: string | null }
  | { kind: 'request_new_card'; reason: string }
  | { kind: 'alert_merchant'; reason: string }
  | { kind: 'exhausted'; reason: 'max_retries' | 'schedule_done' };

/**
 * The next step of a case after its latest decline. The policy's rule for the decline's category
 * comes first; then its maximum of retries; then the strategy's time, never earlier than now; and
 * last the card networks, whose limits hold whatever the policy or the strategy say: a "never"
 * turns the plan into a request for a new card, a count or a wait moves the retry to the first
 * instant the networks allow. `cardDeclines`: every decline on this card, of any invoice, since
 * the networks count per card.
 */
export function planNextRetry(policy: DunningPolicy, strategy: RetryStrategy, facts: CaseFacts, cardDeclines: readonly DeclineRecord[]): RetryPlan {
  const last = facts.declines.at(-1);
  if (!last) throw new Error('planNextRetry: a dunning case starts with a decline');
  const action = last.doNotRetry && policy.categoryActions[last.category] === 'follow_schedule' ? 'request_new_card' : policy.categoryActions[last.category];
  if (action === 'request_new_card') return { kind: 'request_new_card', reason: last.doNotRetry && last.category === 'soft' ? 'do_not_retry' : `${last.category}_decline` };
  if (action === 'alert_merchant') return { kind: 'alert_merchant', reason: `${last.category}_decline` };
  if (facts.retriesSoFar >= policy.maxRetries) return { kind: 'exhausted', reason: 'max_retries' };
  const wanted = strategy.nextAttemptAt(facts, policy);
  if (!wanted) return { kind: 'exhausted', reason: 'schedule_done' };
  let at = wanted.getTime() < facts.now.getTime() ? facts.now : wanted;
  let delayedBy: string | null = null;
  // Each answer names the first instant one limit allows; another limit may still hold then.
  for (let i = 0; i < 8; i++) {
    const verdict = reattemptAllowed(cardDeclines, at);
    if (verdict.allowed) return { kind: 'retry', at, delayedBy };
    if (!verdict.nextAllowedAt) return { kind: 'request_new_card', reason: verdict.reason ?? 'network_never' };
    at = verdict.nextAllowedAt;
    delayedBy = verdict.reason;
  }
  throw new Error('planNextRetry: the card-network limits did not settle on a time');
}
