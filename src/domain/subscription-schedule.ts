import { addHours } from './calendar.ts';
import type { SubscriptionStatus } from './subscription-status.ts';

/** A first invoice left unpaid this long turns an `incomplete` subscription `incomplete_expired`. */
export const INCOMPLETE_EXPIRY_HOURS = 23;

export type ScheduleFacts = {
  status: SubscriptionStatus;
  created_at: Date;
  trial_end: Date | null;
  current_period_end: Date;
  cancel_at_period_end: boolean;
  /** An ended subscription's stored next look: set only while it has usage still to bill. */
  next_action_at?: Date | null;
};

/**
 * `ended_usage`: an ended subscription with metered items bills what it still owes for usage:
 * the part-period it ran when canceled mid-period, then, once no late event can arrive for its
 * last period (35 days), what arrived late or was canceled since its last invoice.
 */
export type DueAction = 'expire_incomplete' | 'end_trial' | 'cancel_at_period_end' | 'renew' | 'ended_usage';

/** The next moment the billing engine must look at a subscription, or null for never. */
export function nextActionAt(s: ScheduleFacts): Date | null {
  switch (s.status) {
    case 'incomplete': return addHours(s.created_at, INCOMPLETE_EXPIRY_HOURS);
    case 'trialing': return s.trial_end ?? s.current_period_end;
    case 'active':
    case 'past_due':
    case 'unpaid': return s.current_period_end;
    default: return null;
  }
}

/** What is due at `now`, if anything. A trial or period ending with cancel_at_period_end ends the subscription. */
export function dueAction(s: ScheduleFacts, now: Date): DueAction | null {
  if (s.status === 'canceled') {
    return s.next_action_at && s.next_action_at.getTime() <= now.getTime() ? 'ended_usage' : null;
  }
  const at = nextActionAt(s);
  if (!at || at.getTime() > now.getTime()) return null;
  if (s.status === 'incomplete') return 'expire_incomplete';
  if (s.cancel_at_period_end) return 'cancel_at_period_end';
  return s.status === 'trialing' ? 'end_trial' : 'renew';
}
