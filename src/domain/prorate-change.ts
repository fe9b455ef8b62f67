// Prorating a change of a subscription's items in the middle of a period.
import { periodContaining } from './calendar.ts';
import { shareOf, type Cycle, type FixedDraft, type ItemState } from './invoice-builder.ts';
import type { Fraction } from './proration.ts';

/** The time a change is prorated from: whole seconds, as a proration_date is given. */
export function prorationInstant(t: Date): Date {
  return new Date(Math.floor(t.getTime() / 1000) * 1000);
}

export type ItemChange = {
  cycle: Cycle;
  /** The period being prorated (the current one); `at` must lie in it. */
  period: { start: Date; end: Date };
  at: Date;
  before: readonly ItemState[];
  after: readonly ItemState[];
};

const same = (a: ItemState, b: ItemState) => a.price_id === b.price_id && a.quantity === b.quantity;

/**
 * Stripe's proration of an item change: for each item whose price or quantity changed (or that
 * was removed) a credit for the unused time of what was billed, and for each item that changed
 * (or was added) a charge for the remaining time of what replaces it. Each is the item's
 * full-period amount times (period end − at) / (full period length), rounded half-up once, so a
 * change and its reverse at the same instant cancel exactly. The full period is the billing
 * cycle around `at`, which for a shortened first period is longer than the period itself: the
 * credit then never exceeds what that period charged.
 */
export function prorationLines(c: ItemChange): FixedDraft[] {
  const at = c.at.getTime();
  if (at < c.period.start.getTime() || at >= c.period.end.getTime()) throw new RangeError('the proration instant must lie in the period');
  const full = periodContaining(c.cycle.anchor, c.cycle.recurring, c.at);
  const fraction: Fraction = {
    numerator: BigInt(c.period.end.getTime() - at),
    denominator: BigInt(full.end.getTime() - full.start.getTime()),
  };
  const after = new Map(c.after.map((i) => [i.id, i]));
  const before = new Map(c.before.map((i) => [i.id, i]));
  const since = c.at.toISOString().slice(0, 10);
  const line = (it: ItemState, sign: 1n | -1n, text: string): FixedDraft => ({
    kind: 'proration', proration: true, subscription_item: it.id, price_id: it.price_id, quantity: it.quantity,
    description: `${text} ${it.quantity} × ${it.label} after ${since}`,
    amount: sign * shareOf(it.price, it.quantity, fraction), unit_amount_decimal: null,
    period_start: c.at, period_end: c.period.end,
  });
  const lines: FixedDraft[] = [];
  for (const old of c.before) {
    const now = after.get(old.id);
    if (!now || !same(old, now)) lines.push(line(old, -1n, 'Unused time on'));
  }
  for (const now of c.after) {
    const old = before.get(now.id);
    if (!old || !same(old, now)) lines.push(line(now, 1n, 'Remaining time on'));
  }
  return lines;
}
