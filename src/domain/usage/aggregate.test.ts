import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal.ts';
import { aggregate, normalDecimal, type UsagePoint } from './aggregate.ts';
import { eventTime, usageValue, withinWindow } from './event-input.ts';

// Decimals of up to 12 fractional digits, written as text the way a client sends them.
const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 20n - 1n), max: 10n ** 20n - 1n }), fc.integer({ min: 0, max: 12 }))
  .map(([units, scale]) => ({ units, scale, text: toText(units, scale) }));
function toText(units: bigint, scale: number) {
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const body = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (neg ? '-' : '') + body;
}
const point = (value: string, i: number, t = 0): UsagePoint => ({ identifier: `e${i}`, timestamp: new Date(t), value, uniqueKey: null });

describe('usage aggregation', () => {
  it('sum is exact: the sum of decimals equals the sum of their integer units at a common scale', () => {
    fc.assert(fc.property(fc.array(decimal, { maxLength: 40 }), (ds) => {
      const scaled = ds.reduce((s, d) => s + d.units * 10n ** BigInt(12 - d.scale), 0n);
      expect(aggregate('sum', ds.map((d, i) => point(d.text, i)))).toBe(normalDecimal(toText(scaled, 12)));
    }));
  });

  it('sum does not depend on order or on how events are split between two reads', () => {
    fc.assert(fc.property(fc.array(decimal, { maxLength: 30 }), fc.nat(), (ds, cut) => {
      const pts = ds.map((d, i) => point(d.text, i));
      const k = pts.length ? cut % pts.length : 0;
      const parts = aggregate('sum', [point(aggregate('sum', pts.slice(0, k)), -1), point(aggregate('sum', pts.slice(k)), -2)]);
      expect(aggregate('sum', [...pts].reverse())).toBe(aggregate('sum', pts));
      expect(parts).toBe(aggregate('sum', pts));
    }));
  });

  it('0.1 + 0.2 is 0.3 (never a float)', () => {
    expect(aggregate('sum', [point('0.1', 1), point('0.2', 2)])).toBe('0.3');
  });

  it('max is the greatest value and one of the values; last is the value of the latest event', () => {
    fc.assert(fc.property(fc.array(fc.tuple(decimal, fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 30 }), (xs) => {
      const pts = xs.map(([d, t], i) => point(d.text, i, t));
      const max = aggregate('max', pts);
      expect(pts.some((p) => normalDecimal(p.value!) === max)).toBe(true);
      expect(pts.every((p) => new Dec(p.value!).lte(max))).toBe(true);
      const latest = Math.max(...xs.map(([, t]) => t));
      // Among events of one instant, the greatest identifier is the later one.
      const atLatest = pts.filter((p) => p.timestamp.getTime() === latest).sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
      expect(aggregate('last', pts)).toBe(normalDecimal(atLatest[atLatest.length - 1]!.value!));
    }));
  });

  it('count counts events, unique_count distinct values; no events give 0 for every formula', () => {
    const keys = ['a', 'b', 'a', 'c'].map((k, i) => ({ ...point('1', i), value: null, uniqueKey: k }));
    expect(aggregate('count', keys)).toBe('4');
    expect(aggregate('unique_count', keys)).toBe('3');
    for (const f of ['sum', 'count', 'max', 'last', 'unique_count'] as const) expect(aggregate(f, [])).toBe('0');
  });
});

describe('event input', () => {
  it('values: numbers and numeric strings, exactly; nothing non-finite or non-numeric', () => {
    expect(usageValue('12.500')).toBe('12.5');
    expect(usageValue(3)).toBe('3');
    expect(usageValue(0.1)).toBe('0.1');
    expect(usageValue('-2')).toBe('-2');
    for (const bad of ['ten', '', '1e3', 'NaN', 'Infinity', Number.NaN, Number.POSITIVE_INFINITY, 1e300, null, true, {}, '1.0000000000001']) expect(usageValue(bad)).toBeNull();
  });

  it('timestamps: unix seconds or RFC 3339, within 35 days back and 5 minutes ahead', () => {
    const now = new Date('2027-01-01T00:00:00Z');
    expect(eventTime(1_798_761_600)?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(eventTime('2027-01-01T01:00:00+01:00')?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(eventTime('yesterday')).toBeNull();
    expect(eventTime(1.5)).toBeNull();
    expect(withinWindow(new Date(now.getTime() - 35 * 86_400_000), now)).toBe(true);
    expect(withinWindow(new Date(now.getTime() - 35 * 86_400_000 - 1), now)).toBe(false);
    expect(withinWindow(new Date(now.getTime() + 300_000), now)).toBe(true);
    expect(withinWindow(new Date(now.getTime() + 300_001), now)).toBe(false);
  });
});
