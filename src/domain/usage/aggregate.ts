import { Dec } from '../decimal.ts';

/** How a meter's event values add up over a period (Stripe's `default_aggregation.formula`, plus Lago's unique_count). */
export const FORMULAS = ['sum', 'count', 'max', 'last', 'unique_count'] as const;
export type Formula = (typeof FORMULAS)[number];

/** One stored event as aggregation sees it: `value` a decimal string (null for unique_count), `uniqueKey` what unique_count counts. */
export type UsagePoint = { identifier: string; timestamp: Date; value: string | null; uniqueKey: string | null };

/** A decimal in its shortest plain form ("3.50" → "3.5", "-0" → "0"): the one way aggregates are written. */
export const normalDecimal = (v: string): string => {
  const d = new Dec(v);
  return d.isZero() ? '0' : d.toFixed();
};

/** Later first: by timestamp, then by identifier so that two events of one instant have a fixed order. */
const later = (a: UsagePoint, b: UsagePoint) =>
  a.timestamp.getTime() !== b.timestamp.getTime() ? a.timestamp > b.timestamp : a.identifier > b.identifier;

/**
 * The aggregate of a period's events, exact: the reference the store's SQL must agree with.
 * No events give "0" for every formula (a period without usage bills nothing).
 */
export function aggregate(formula: Formula, points: readonly UsagePoint[]): string {
  switch (formula) {
    case 'count': return String(points.length);
    case 'unique_count': return String(new Set(points.map((p) => p.uniqueKey)).size);
    case 'sum': return normalDecimal(points.reduce((s, p) => s.plus(p.value ?? '0'), new Dec(0)).toFixed());
    case 'max': {
      if (points.length === 0) return '0';
      return normalDecimal(Dec.max(...points.map((p) => p.value ?? '0')).toFixed());
    }
    case 'last': {
      const last = points.reduce<UsagePoint | null>((best, p) => (best === null || later(p, best) ? p : best), null);
      return normalDecimal(last?.value ?? '0');
    }
  }
}
