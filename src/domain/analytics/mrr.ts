// Monthly recurring revenue, exact to the minor unit. A subscription's MRR at an instant is what
// one full period of its licensed items would be invoiced then, net of the recurring discounts in
// force (forever, or repeating and not yet over), normalized to a month and rounded half-up once
// per subscription. Metered items are usage, reported as revenue of their own, not MRR. Only
// active and past_due subscriptions count: a trial has not paid yet, and a paused, unpaid or
// canceled one brings nothing in.
import type { Decimal } from 'decimal.js';
import { boundary } from '../calendar.ts';
import { Dec } from '../decimal.ts';
import { applyDiscounts, type Discount } from '../discounts.ts';
import { roundHalfUp } from '../money.ts';
import { lineAmount, type PriceModel } from '../pricing.ts';

export type Interval = 'day' | 'week' | 'month' | 'year';
/** A recurring price in the subscription's currency, as MRR sees it. */
export type MrrPrice = { product: string; model: PriceModel; interval: Interval; intervalCount: number; metered: boolean };
/** A discount of a subscription with when it applies; once-only coupons are not recurring. */
export type MrrDiscount = Discount & { startsAt: Date; endsAt: Date | null; recurring: boolean };
export type MrrRevision = { at: Date; status: string; currency: string; items: readonly { price: string; quantity: number }[]; discountIds: readonly string[] };

const COUNTED = new Set(['active', 'past_due']);

/**
 * An amount billed every `count` intervals, per month: a year is 12 months, a week 12/52 of one
 * and a day 12/365 (so 52 weekly or 365 daily periods make one year's 12 months).
 */
export function monthly(amount: Decimal.Value, interval: Interval, count: number): Decimal {
  const a = new Dec(amount);
  switch (interval) {
    case 'month': return a.div(count);
    case 'year': return a.div(12 * count);
    case 'week': return a.times(52).div(12 * count);
    case 'day': return a.times(365).div(12 * count);
  }
}

const inForce = (d: MrrDiscount, at: Date) => d.recurring && d.startsAt <= at && (d.endsAt === null || at < d.endsAt);

/**
 * Each licensed item of a revision at `at` as a monthly amount, net of its share of the discounts
 * in force, not yet rounded; nothing unless the revision is counted (active or past_due).
 */
function monthlyLines(rev: MrrRevision, prices: ReadonlyMap<string, MrrPrice>, discounts: ReadonlyMap<string, MrrDiscount>, at: Date): { price: string; monthly: Decimal }[] {
  if (!COUNTED.has(rev.status)) return [];
  const lines = rev.items.flatMap((item) => {
    const price = prices.get(item.price);
    return price && !price.metered ? [{ id: item.price, price, amount: lineAmount(price.model, item.quantity) }] : [];
  });
  if (lines.length === 0) return [];
  const active = rev.discountIds.map((id) => discounts.get(id)).filter((d): d is MrrDiscount => d !== undefined && inForce(d, at));
  const taken = applyDiscounts(rev.currency, lines.map((l) => ({ amount: l.amount, product: l.price.product, discountable: true })), active).lines;
  return lines.map((l, i) => {
    const net = l.amount - taken[i]!.reduce((sum, d) => sum + d.amount, 0n);
    return { price: l.id, monthly: monthly(net.toString(), l.price.interval, l.price.intervalCount) };
  });
}

/** The MRR of one revision of a subscription at `at` (which discounts are in force depends on it). */
export function revisionMrr(rev: MrrRevision, prices: ReadonlyMap<string, MrrPrice>, discounts: ReadonlyMap<string, MrrDiscount>, at: Date): bigint {
  return roundHalfUp(monthlyLines(rev, prices, discounts, at).reduce((total, l) => total.plus(l.monthly), new Dec(0)));
}

/**
 * The MRR a revision brings from each of its licensed prices at `at` (a price on two items is
 * added up first), rounded half-up once per price: what a plan brings in, for ARPU and LTV.
 */
export function priceMrr(rev: MrrRevision, prices: ReadonlyMap<string, MrrPrice>, discounts: ReadonlyMap<string, MrrDiscount>, at: Date): Map<string, bigint> {
  const sums = new Map<string, Decimal>();
  for (const l of monthlyLines(rev, prices, discounts, at)) sums.set(l.price, (sums.get(l.price) ?? new Dec(0)).plus(l.monthly));
  return new Map([...sums].map(([price, total]) => [price, roundHalfUp(total)]));
}

export type Step = { at: Date; mrr: bigint };

/**
 * A subscription's MRR as a step function of time, from its revisions (in time order): a step at
 * each revision and wherever one of its discounts starts or ends. Consecutive equal values merge.
 * `memo`, shared by the subscriptions of one currency priced with the same `prices`, keeps the
 * MRR of revisions without discounts (which does not depend on time) by status and items.
 */
export function mrrSteps(revisions: readonly MrrRevision[], prices: ReadonlyMap<string, MrrPrice>, discounts: ReadonlyMap<string, MrrDiscount>,
  memo?: Map<string, bigint>): Step[] {
  const mrrOf = (rev: MrrRevision, at: Date) => {
    if (!memo || rev.discountIds.length > 0) return revisionMrr(rev, prices, discounts, at);
    const key = `${rev.status}\u0000${rev.currency}\u0000${JSON.stringify(rev.items)}`;
    let mrr = memo.get(key);
    if (mrr === undefined) memo.set(key, mrr = revisionMrr(rev, prices, discounts, at));
    return mrr;
  };
  const times = new Set<number>(revisions.map((r) => r.at.getTime()));
  for (const r of revisions) {
    for (const id of r.discountIds) {
      const d = discounts.get(id);
      if (d) { times.add(d.startsAt.getTime()); if (d.endsAt) times.add(d.endsAt.getTime()); }
    }
  }
  const steps: Step[] = [];
  let k = -1;
  for (const t of [...times].sort((a, b) => a - b)) {
    while (k + 1 < revisions.length && revisions[k + 1]!.at.getTime() <= t) k++;
    if (k < 0) continue;
    const mrr = mrrOf(revisions[k]!, new Date(t));
    if (steps.length === 0 || steps[steps.length - 1]!.mrr !== mrr) steps.push({ at: new Date(t), mrr });
  }
  return steps;
}

/** The value of a step function at `at` (0 before its first step). */
export function valueAt(steps: readonly Step[], at: Date): bigint {
  // Milliseconds compared, not Dates: this runs for every subscription at every edge of a report.
  const t = at.getTime();
  let v = 0n;
  for (const s of steps) { if (s.at.getTime() > t) break; v = s.mrr; }
  return v;
}

export const MOVEMENTS = ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const;
export type MovementKind = (typeof MOVEMENTS)[number];

/**
 * How one customer's MRR moved between two instants: from nothing, `new` the first time the
 * customer pays and `reactivation` after that; to nothing, `churn`; else expansion or contraction.
 */
export function movementOf(before: bigint, after: bigint, paidBefore: boolean): MovementKind | null {
  if (before === after) return null;
  if (before === 0n) return paidBefore ? 'reactivation' : 'new';
  if (after === 0n) return 'churn';
  return after > before ? 'expansion' : 'contraction';
}

/**
 * The boundaries of a report from `from` to `to`: `from`, then every interval after it (months
 * keep `from`'s day, clamped like billing periods), and `to` last.
 */
export function boundaries(from: Date, to: Date, interval: 'day' | 'week' | 'month', max: number): Date[] | null {
  const out = [from];
  for (let n = 1; out[out.length - 1]! < to; n++) {
    if (n > max) return null;
    const next = boundary(from, { interval, interval_count: 1 }, n);
    out.push(next < to ? next : to);
  }
  return out;
}
