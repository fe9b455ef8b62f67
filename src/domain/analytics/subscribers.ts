// Subscriber analytics (issue 19): how many subscriptions are in each status, how many came and
// went, how many customers stopped paying and how many trials turned into paying subscriptions.
// Plain arithmetic over each subscription's revisions and MRR steps; the app reads them.
//
// A period runs from `start` to `end`; the state "at" an instant includes a change made at that
// very instant (as MRR's does), so a change at a boundary counts in the period that ends there:
// the events of a period are those with start < at <= end.
import { valueAt, type Step } from './mrr.ts';
import { rate } from './rates.ts';

/** One subscription's history, as the book loader gives it. */
export type History = {
  subscription: string; customer: string; currency: string;
  /** In time order. */
  revisions: readonly { at: Date; status: string }[];
  steps: readonly Step[];
};

/** Statuses shown at each period's end (canceled and incomplete ones are flows, not stock). */
export const SHOWN_STATUSES = ['active', 'trialing', 'past_due', 'paused', 'unpaid'] as const;
type ShownStatus = (typeof SHOWN_STATUSES)[number];
const ENDED = new Set(['canceled', 'incomplete_expired']);
const PAYING = new Set(['active', 'past_due']);

/** The last of the revisions made at or before `at` (undefined before the first). */
export function revisionAt<R extends { at: Date }>(revisions: readonly R[], at: Date): R | undefined {
  let found: R | undefined;
  for (const r of revisions) { if (r.at > at) break; found = r; }
  return found;
}

export type SubscriberFigures = {
  byStatus: Record<ShownStatus, number>;
  newSubscriptions: number; canceled: number;
  payingCustomersStart: number; churnedCustomers: number; logoChurnRate: string | null;
  trialsEnded: number; trialsConverted: number; trialConversionRate: string | null;
};

/** The figures of one period (start, end] of a book. */
export function subscriberFigures(book: readonly History[], start: Date, end: Date): SubscriberFigures {
  const byStatus = Object.fromEntries(SHOWN_STATUSES.map((s) => [s, 0])) as Record<ShownStatus, number>;
  const within = (at: Date) => at > start && at <= end;
  let newSubscriptions = 0, canceled = 0, trialsEnded = 0, trialsConverted = 0;
  // A customer's MRR in each currency is never negative, so "paying" is any of it above zero.
  const customerMrr = new Map<string, { start: bigint; end: bigint }>();
  for (const h of book) {
    // One pass over the revisions (in time order) up to the period's end: the last of them is the
    // status then; those after its start are its events.
    const revs = h.revisions;
    let status: string | undefined;
    for (let i = 0; i < revs.length && revs[i]!.at <= end; i++) {
      const r = revs[i]!;
      status = r.status;
      if (!within(r.at)) continue;
      const before = revs[i - 1]?.status;
      if (i === 0) newSubscriptions++;
      if (ENDED.has(r.status) && !(before !== undefined && ENDED.has(before))) canceled++;
      if (before === 'trialing' && r.status !== 'trialing') {
        trialsEnded++;
        if (PAYING.has(r.status)) trialsConverted++;
      }
    }
    if (status !== undefined && status in byStatus) byStatus[status as ShownStatus]++;
    const c = customerMrr.get(h.customer) ?? { start: 0n, end: 0n };
    customerMrr.set(h.customer, { start: c.start + valueAt(h.steps, start), end: c.end + valueAt(h.steps, end) });
  }
  const paying = [...customerMrr.values()].filter((c) => c.start > 0n);
  const churned = paying.filter((c) => c.end === 0n).length;
  return {
    byStatus, newSubscriptions, canceled,
    payingCustomersStart: paying.length, churnedCustomers: churned, logoChurnRate: rate(BigInt(churned), BigInt(paying.length)),
    trialsEnded, trialsConverted, trialConversionRate: rate(BigInt(trialsConverted), BigInt(trialsEnded)),
  };
}

/** A currency's MRR movements over a period, as positive amounts (churn and contraction are losses). */
export type RevenueMoves = { starting: bigint; churned: bigint; contraction: bigint; expansion: bigint; reactivation: bigint };

/**
 * Revenue churn rates of a period: gross = (churned + contraction) / starting, net = (churned +
 * contraction − expansion − reactivation) / starting, negative when the customers already paying
 * grew more than they shrank; null without starting MRR.
 */
export function revenueChurnRates(m: RevenueMoves): { gross: string | null; net: string | null } {
  const lost = m.churned + m.contraction;
  return { gross: rate(lost, m.starting), net: rate(lost - m.expansion - m.reactivation, m.starting) };
}
