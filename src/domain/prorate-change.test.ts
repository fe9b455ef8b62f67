import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextBoundaryAfter, periodContaining, type Recurring } from './calendar.ts';
import { applyBalance } from './customer-balance.ts';
import { buildInvoice, periodLines, type ItemState } from './invoice-builder.ts';
import { prorationInstant, prorationLines } from './prorate-change.ts';
import type { PriceModel } from './pricing.ts';

const perUnit = (unit: bigint): PriceModel => ({ billing_scheme: 'per_unit', unit_amount: unit, unit_amount_decimal: null, tiers_mode: null, tiers: null, transform_quantity: null });
const graduated: PriceModel = {
  billing_scheme: 'tiered', unit_amount: null, unit_amount_decimal: null, tiers_mode: 'graduated', transform_quantity: null,
  tiers: [
    { up_to: 5, unit_amount: 999n, unit_amount_decimal: null, flat_amount: 100n, flat_amount_decimal: null },
    { up_to: null, unit_amount: null, unit_amount_decimal: '333.3333', flat_amount: null, flat_amount_decimal: null },
  ],
};
const item = (id: string, price: PriceModel, quantity: number, priceId = `price_${id}`): ItemState => ({ id, price_id: priceId, price, label: priceId, quantity });
const monthly: Recurring = { interval: 'month', interval_count: 1 };
const d = (s: string) => new Date(s);

// Hand arithmetic for the expectations: amount × num / den, rounded half away from zero.
const share = (amount: bigint, num: bigint, den: bigint) => (amount * num * 2n + den) / (2n * den);

describe('prorationLines', () => {
  it('upgrading 10.00 → 20.00 exactly halfway through a 30-day month: −5.00 and +10.00', () => {
    const cycle = { anchor: d('2027-04-01T00:00:00Z'), recurring: monthly };
    const lines = prorationLines({ cycle, period: { start: d('2027-04-01T00:00:00Z'), end: d('2027-05-01T00:00:00Z') }, at: d('2027-04-16T00:00:00Z'),
      before: [item('si_1', perUnit(1000n), 1, 'price_10')], after: [item('si_1', perUnit(2000n), 1, 'price_20')] });
    expect(lines.map((l) => [l.amount, l.price_id, l.kind, l.proration])).toEqual([[-500n, 'price_10', 'proration', true], [1000n, 'price_20', 'proration', true]]);
    expect(lines[0]!.description).toBe('Unused time on 1 × price_10 after 2027-04-16');
    expect(lines.every((l) => l.period_start.toISOString() === '2027-04-16T00:00:00.000Z' && l.period_end.toISOString() === '2027-05-01T00:00:00.000Z')).toBe(true);
  });

  it('quantity 1 → 3 a third of the way into a 30-day period credits one unit and charges three for the remaining two thirds', () => {
    const cycle = { anchor: d('2027-04-01T00:00:00Z'), recurring: monthly };
    const lines = prorationLines({ cycle, period: { start: d('2027-04-01T00:00:00Z'), end: d('2027-05-01T00:00:00Z') }, at: d('2027-04-11T00:00:00Z'),
      before: [item('si_1', perUnit(1000n), 1)], after: [item('si_1', perUnit(1000n), 3)] });
    expect(lines.map((l) => l.amount)).toEqual([-667n, 2000n]); // 666.67 → 667; 2000 exactly
  });

  it('leaves unchanged items alone and prorates added and removed ones', () => {
    const cycle = { anchor: d('2027-04-01T00:00:00Z'), recurring: monthly };
    const keep = item('si_keep', perUnit(700n), 2);
    const lines = prorationLines({ cycle, period: { start: d('2027-04-01T00:00:00Z'), end: d('2027-05-01T00:00:00Z') }, at: d('2027-04-16T00:00:00Z'),
      before: [keep, item('si_gone', perUnit(1000n), 1)], after: [keep, item('si_new', perUnit(3000n), 1)] });
    expect(lines.map((l) => [l.subscription_item, l.amount])).toEqual([['si_gone', -500n], ['si_new', 1500n]]);
  });

  it('a change on the last second of the period prorates one second', () => {
    const cycle = { anchor: d('2027-04-01T00:00:00Z'), recurring: monthly };
    const lines = prorationLines({ cycle, period: { start: d('2027-04-01T00:00:00Z'), end: d('2027-05-01T00:00:00Z') }, at: d('2027-04-30T23:59:59Z'),
      before: [item('si_1', perUnit(100_000_000n), 1, 'p_1m')], after: [item('si_1', perUnit(300_000_000n), 1, 'p_3m')] });
    // 30 days = 2,592,000 s: one second of 1,000,000.00 is 38.58 cents → 39; of 3,000,000.00 is 115.74 → 116.
    expect(lines.map((l) => l.amount)).toEqual([-39n, 116n]);
  });

  it('refuses an instant outside the period', () => {
    const cycle = { anchor: d('2027-04-01T00:00:00Z'), recurring: monthly };
    const period = { start: d('2027-04-01T00:00:00Z'), end: d('2027-05-01T00:00:00Z') };
    expect(() => prorationLines({ cycle, period, at: d('2027-05-01T00:00:00Z'), before: [], after: [] })).toThrow(RangeError);
    expect(() => prorationLines({ cycle, period, at: d('2027-03-31T23:59:59Z'), before: [], after: [] })).toThrow(RangeError);
  });

  it('prorates by the second: the instant is cut to whole seconds', () => {
    expect(prorationInstant(d('2027-04-16T00:00:00.999Z')).toISOString()).toBe('2027-04-16T00:00:00.000Z');
  });

  // Random monthly cycles, instants, prices and quantities.
  const price = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 9n }).map(perUnit), fc.constant(graduated));
  const scenario = fc.record({
    anchorMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 0, 1) }),
    months: fc.integer({ min: 1, max: 12 }),
    offset: fc.double({ min: 0, max: 0.999999, noNaN: true }),
    a: price, b: price, qa: fc.integer({ min: 0, max: 50 }), qb: fc.integer({ min: 0, max: 50 }),
    // a first period shortened by an anchor set inside the cycle
    shortened: fc.double({ min: 0, max: 0.99, noNaN: true }),
  }).map((r) => {
    const recurring: Recurring = { interval: 'month', interval_count: r.months };
    const anchor = new Date(r.anchorMs);
    const full = periodContaining(anchor, recurring, new Date(r.anchorMs - 1));
    const start = new Date(full.start.getTime() + Math.floor((full.end.getTime() - full.start.getTime()) * r.shortened / 1000) * 1000);
    const end = anchor;
    const at = prorationInstant(new Date(start.getTime() + (end.getTime() - start.getTime()) * r.offset));
    return { ...r, recurring, anchor, start, end, at };
  }).filter((s) => s.at >= s.start && s.at < s.end);

  it('never credits more than the period charged (property)', () => {
    fc.assert(fc.property(scenario, (s) => {
      const cycle = { anchor: s.anchor, recurring: s.recurring };
      const before = [item('si_1', s.a, s.qa, 'price_a')];
      const charged = buildInvoice('usd', periodLines(cycle, before, s.start, s.end)).total;
      const lines = prorationLines({ cycle, period: { start: s.start, end: s.end }, at: s.at, before, after: [item('si_1', s.b, s.qb, 'price_b')] });
      const credit = lines.filter((l) => l.amount < 0n).reduce((t, l) => t - l.amount, 0n);
      expect(credit).toBeLessThanOrEqual(charged);
    }), { numRuns: 300 });
  });

  it('an upgrade and the downgrade back at the same instant cancel (property)', () => {
    fc.assert(fc.property(scenario, (s) => {
      const cycle = { anchor: s.anchor, recurring: s.recurring };
      const period = { start: s.start, end: s.end };
      const A = [item('si_1', s.a, s.qa, 'price_a')];
      const B = [item('si_1', s.b, s.qb, 'price_b')];
      const lines = [...prorationLines({ cycle, period, at: s.at, before: A, after: B }), ...prorationLines({ cycle, period, at: s.at, before: B, after: A })];
      const net = lines.reduce((t, l) => t + l.amount, 0n);
      expect(net < 0n ? -net : net).toBeLessThanOrEqual(BigInt(lines.length));
    }), { numRuns: 300 });
  });

  it('matches hand arithmetic: each line is amount × remaining ÷ full period, half-up, once (property)', () => {
    fc.assert(fc.property(scenario, fc.bigInt({ min: 0n, max: 10n ** 12n }), (s, unit) => {
      const cycle = { anchor: s.anchor, recurring: s.recurring };
      const lines = prorationLines({ cycle, period: { start: s.start, end: s.end }, at: s.at,
        before: [item('si_1', perUnit(unit), 1, 'p1')], after: [item('si_1', perUnit(unit), 2, 'p2')] });
      const full = periodContaining(s.anchor, s.recurring, s.at);
      const den = BigInt(full.end.getTime() - full.start.getTime());
      const num = BigInt(s.end.getTime() - s.at.getTime());
      expect(lines.map((l) => l.amount)).toEqual([-share(unit, num, den), share(2n * unit, num, den)]);
    }), { numRuns: 300 });
  });

  it('an invoice of proration and period lines adds up: subtotal is the sum of its lines (property)', () => {
    fc.assert(fc.property(scenario, (s) => {
      const cycle = { anchor: s.anchor, recurring: s.recurring };
      const before = [item('si_1', s.a, s.qa, 'price_a'), item('si_2', perUnit(1234n), 3)];
      const after = [item('si_1', s.b, s.qb, 'price_b'), item('si_2', perUnit(1234n), 3)];
      const next = nextBoundaryAfter(s.anchor, s.recurring, s.end);
      const inv = buildInvoice('usd', [...prorationLines({ cycle, period: { start: s.start, end: s.end }, at: s.at, before, after }), ...periodLines(cycle, after, s.end, next)]);
      expect(inv.subtotal).toBe(inv.lines.reduce((t, l) => t + l.amount, 0n));
      expect(inv.lines.map((l) => l.kind)).toEqual(['proration', 'proration', 'subscription', 'subscription']);
    }), { numRuns: 200 });
  });
});

describe('applyBalance', () => {
  it('a credit pays part of an invoice; a credit invoice adds to the balance; a debt is added to the next invoice', () => {
    expect(applyBalance(2000n, -500n)).toEqual({ starting_balance: -500n, amount_due: 1500n, ending_balance: 0n });
    expect(applyBalance(300n, -500n)).toEqual({ starting_balance: -500n, amount_due: 0n, ending_balance: -200n });
    expect(applyBalance(-500n, 0n)).toEqual({ starting_balance: 0n, amount_due: 0n, ending_balance: -500n });
    expect(applyBalance(1000n, 250n)).toEqual({ starting_balance: 250n, amount_due: 1250n, ending_balance: 0n });
  });

  it('accounts for every minor unit and never asks for a negative amount (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (total, balance) => {
      const r = applyBalance(total, balance);
      expect(r.amount_due + r.ending_balance).toBe(total + balance);
      expect(r.amount_due >= 0n && r.ending_balance <= 0n).toBe(true);
    }));
  });
});
