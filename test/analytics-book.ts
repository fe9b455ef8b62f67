// A random book for property tests of analytics: subscriptions with revisions in time order and
// MRR steps that follow their statuses (something only while active or past_due).
import fc from 'fast-check';
import type { History } from '../src/domain/analytics/subscribers.ts';

export const STATUSES = ['incomplete', 'trialing', 'active', 'past_due', 'paused', 'unpaid', 'canceled', 'incomplete_expired'] as const;
export const DAY = 86_400_000;

const revision = fc.record({ day: fc.integer({ min: 0, max: 120 }), status: fc.constantFrom(...STATUSES), mrr: fc.bigInt({ min: 1n, max: 100_000n }) });

export const bookArbitrary = fc.array(fc.record({ customer: fc.integer({ min: 0, max: 6 }), revisions: fc.array(revision, { minLength: 1, maxLength: 6 }) }), { maxLength: 12 })
  .map((subs) => subs.map(({ customer, revisions }, i): History => {
    const sorted = [...revisions].sort((a, b) => a.day - b.day);
    return {
      subscription: `sub_${i}`, customer: `cus_${customer}`, currency: 'usd',
      revisions: sorted.map((r) => ({ at: new Date(r.day * DAY), status: r.status })),
      steps: sorted.map((r) => ({ at: new Date(r.day * DAY), mrr: r.status === 'active' || r.status === 'past_due' ? r.mrr : 0n })),
    };
  }));
