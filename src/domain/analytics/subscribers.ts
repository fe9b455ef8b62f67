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
  return subscriberSeries(book, [start, end])[0]!;
}

/**
 * The figures of each period between consecutive `edges` (in time order) of a book, in one pass
 * over each subscription's revisions: the same as subscriberFigures period by period.
 */
export function subscriberSeries(book: readonly History[], edges: readonly Date[]): SubscriberFigures[] {
  // Milliseconds compared, not Dates: this runs for every revision of the book.
  const t = edges.map((e) => e.getTime());
  const periods = Array.from({ length: Math.max(0, t.length - 1) }, () => ({
    byStatus: Object.fromEntries(SHOWN_STATUSES.map((s) => [s, 0])) as Record<ShownStatus, number>,
    newSubscriptions: 0, canceled: 0, trialsEnded: 0, trialsConverted: 0,
  }));
  // Each customer's MRR at each edge. In each currency it is never negative, so "paying" is any of it above zero.
  const customerMrr = new Map<string, bigint[]>();
  for (const h of book) {
    const revs = h.revisions;
    let i = 0;
    let status: string | undefined;
    periods.forEach((f, n) => {
      // The revisions up to the period's end: the last of them is the status then; those after its start are its events.
      for (; i < revs.length && revs[i]!.at.getTime() <= t[n + 1]!; i++) {
        const r = revs[i]!;
        status = r.status;
        if (r.at.getTime() <= t[n]!) continue;
        const before = revs[i - 1]?.status;
        if (i === 0) f.newSubscriptions++;
        if (ENDED.has(r.status) && !(before !== undefined && ENDED.has(before))) f.canceled++;
        if (before === 'trialing' && r.status !== 'trialing') {
          f.trialsEnded++;
          if (PAYING.has(r.status)) f.trialsConverted++;
        }
      }
      if (status !== undefined && status in f.byStatus) f.byStatus[status as ShownStatus]++;
    });
    const mrr = customerMrr.get(h.customer) ?? edges.map(() => 0n);
    edges.forEach((e, k) => { mrr[k] = mrr[k]! + valueAt(h.steps, e); });
    customerMrr.set(h.customer, mrr);
  }
  const customers = [...customerMrr.values()];
  return periods.map((f, n) => {
    const paying = customers.filter((c) => c[n]! > 0n);
    const churned = paying.filter((c) => c[n + 1] === 0n).length;
    return {
      ...f, payingCustomersStart: paying.length, churnedCustomers: churned, logoChurnRate: rate(BigInt(churned), BigInt(paying.length)),
      trialsConverted: f.trialsConverted, trialConversionRate: rate(BigInt(f.trialsConverted), BigInt(f.trialsEnded)),
    };
  });
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
