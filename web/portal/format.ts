import { money } from '../shared/format.ts';
import type { Coupon, Price } from './types.ts';

export { money };

/** A day as people read it, in UTC like every time Rebill stores. */
export const day = (iso: string | null, month: 'long' | 'short' = 'long') =>
  (iso ? new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month, year: 'numeric', timeZone: 'UTC' }) : '—');

export function priceLabel(p: Price, quantity = 1): string {
  const every = p.interval ? (p.interval_count && p.interval_count > 1 ? ` every ${p.interval_count} ${p.interval}s` : ` / ${p.interval}`) : '';
  const amount = p.unit_amount === null ? 'usage-based' : money(p.unit_amount * quantity, p.currency);
  return `${amount}${every}`;
}

export const planName = (p: Price) => (p.nickname ? `${p.product_name} – ${p.nickname}` : p.product_name);

export function couponLabel(c: Coupon): string {
  const off = c.percent_off !== null ? `${c.percent_off}% off` : c.amount_off !== null && c.currency ? `${money(c.amount_off, c.currency)} off` : 'A discount';
  const how = c.duration === 'forever' ? 'for as long as you stay' : c.duration === 'once' ? 'on your next invoice' : `for ${c.duration_in_months ?? 1} months`;
  return `${off} ${how}`;
}

export const REASON_LABELS: Record<string, string> = {
  too_expensive: 'It is too expensive', missing_features: 'Some features are missing', switched_service: 'I switched to another service',
  unused: 'I do not use it enough', customer_service: 'Customer service was not good enough', too_complex: 'It is too complicated',
  low_quality: 'The quality was not good enough', other: 'Another reason',
};
