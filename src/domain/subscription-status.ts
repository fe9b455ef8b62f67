import { DomainError } from './errors.ts';

export const SUBSCRIPTION_STATUSES = [
  'incomplete', 'trialing', 'active', 'past_due', 'paused', 'unpaid', 'canceled', 'incomplete_expired',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** What happened to a subscription; the table below says where each takes it. */
export type SubscriptionEvent =
  | 'payment_succeeded'   // an invoice of the subscription was paid
  | 'payment_failed'      // a renewal (or trial-end) charge failed
  | 'first_payment_failed'
  | 'trial_ended'         // the trial ran out; the first paid period starts
  | 'incomplete_expired'  // the first invoice stayed unpaid past the deadline
  | 'cancel'
  | 'pause'
  | 'resume'
  | 'mark_unpaid';

type Table = Record<SubscriptionStatus, Partial<Record<SubscriptionEvent, SubscriptionStatus>>>;

const TRANSITIONS: Table = {
  incomplete: { payment_succeeded: 'active', first_payment_failed: 'incomplete', incomplete_expired: 'incomplete_expired', cancel: 'canceled' },
  trialing: { trial_ended: 'active', payment_succeeded: 'active', payment_failed: 'past_due', cancel: 'canceled', pause: 'paused' },
  active: { payment_succeeded: 'active', payment_failed: 'past_due', cancel: 'canceled', pause: 'paused' },
  past_due: { payment_succeeded: 'active', payment_failed: 'past_due', cancel: 'canceled', mark_unpaid: 'unpaid' },
  paused: { resume: 'active', cancel: 'canceled' },
  unpaid: { payment_succeeded: 'active', payment_failed: 'unpaid', cancel: 'canceled' },
  canceled: {},
  incomplete_expired: {},
};

/** The status after `event`, or an error naming the current status when the table has no such move. */
export function transition(from: SubscriptionStatus, event: SubscriptionEvent): SubscriptionStatus {
  const to = TRANSITIONS[from][event];
  if (!to) {
    throw new DomainError('subscription_status_invalid',
      `A subscription in status '${from}' cannot ${event.replace(/_/g, ' ')}.`);
  }
  return to;
}

export function canTransition(from: SubscriptionStatus, event: SubscriptionEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

/** Statuses from which nothing more happens. */
export function isTerminal(s: SubscriptionStatus): boolean {
  return s === 'canceled' || s === 'incomplete_expired';
}

/** Whether the customer has access to what the subscription sells (entitlement is derived). */
export function grantsAccess(s: SubscriptionStatus): boolean {
  return s === 'trialing' || s === 'active' || s === 'past_due';
}
