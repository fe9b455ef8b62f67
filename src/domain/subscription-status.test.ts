import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.ts';
import { SUBSCRIPTION_STATUSES, canTransition, grantsAccess, isTerminal, transition } from './subscription-status.ts';
import { dueAction, nextActionAt } from './subscription-schedule.ts';

describe('subscription state machine', () => {
  it('moves through the documented lifecycle', () => {
    expect(transition('incomplete', 'payment_succeeded')).toBe('active');
    expect(transition('incomplete', 'incomplete_expired')).toBe('incomplete_expired');
    expect(transition('trialing', 'trial_ended')).toBe('active');
    expect(transition('active', 'payment_failed')).toBe('past_due');
    expect(transition('past_due', 'payment_succeeded')).toBe('active');
    expect(transition('active', 'cancel')).toBe('canceled');
  });

  it('refuses an illegal move with an error naming the current status', () => {
    try {
      transition('canceled', 'payment_succeeded');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('subscription_status_invalid');
      expect((e as DomainError).message).toContain("'canceled'");
    }
    expect(() => transition('incomplete_expired', 'cancel')).toThrow(/incomplete_expired/);
    expect(() => transition('active', 'incomplete_expired')).toThrow(/'active'/);
  });

  it('has terminal states that accept nothing', () => {
    for (const s of SUBSCRIPTION_STATUSES.filter(isTerminal)) {
      for (const e of ['payment_succeeded', 'cancel', 'resume', 'trial_ended'] as const) expect(canTransition(s, e)).toBe(false);
    }
    expect(grantsAccess('past_due')).toBe(true);
    expect(grantsAccess('canceled')).toBe(false);
  });
});

describe('subscription schedule', () => {
  const base = { created_at: new Date('2027-01-01T00:00Z'), trial_end: null, current_period_end: new Date('2027-02-01T00:00Z'), cancel_at_period_end: false };
  it('expires an incomplete subscription 23 hours after creation', () => {
    const s = { ...base, status: 'incomplete' as const };
    expect(nextActionAt(s)?.toISOString()).toBe('2027-01-01T23:00:00.000Z');
    expect(dueAction(s, new Date('2027-01-01T22:59Z'))).toBeNull();
    expect(dueAction(s, new Date('2027-01-01T23:00Z'))).toBe('expire_incomplete');
  });
  it('ends trials, renews, and cancels at period end', () => {
    expect(dueAction({ ...base, status: 'trialing', trial_end: new Date('2027-01-15T00:00Z') }, new Date('2027-01-15T00:00Z'))).toBe('end_trial');
    expect(dueAction({ ...base, status: 'active' }, new Date('2027-02-01T00:00Z'))).toBe('renew');
    expect(dueAction({ ...base, status: 'past_due', cancel_at_period_end: true }, new Date('2027-02-01T00:00Z'))).toBe('cancel_at_period_end');
    expect(nextActionAt({ ...base, status: 'canceled' })).toBeNull();
  });
  it('an ended subscription is looked at again only while it has usage to bill', () => {
    const canceled = { ...base, status: 'canceled' as const };
    expect(dueAction({ ...canceled, next_action_at: null }, new Date('2027-03-01T00:00Z'))).toBeNull();
    expect(dueAction({ ...canceled, next_action_at: new Date('2027-01-15T00:00Z') }, new Date('2027-01-14T23:59Z'))).toBeNull();
    expect(dueAction({ ...canceled, next_action_at: new Date('2027-01-15T00:00Z') }, new Date('2027-01-15T00:00Z'))).toBe('ended_usage');
  });
});
