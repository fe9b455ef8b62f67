import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { DomainError } from './errors.ts';
import { exactAmount, lineAmount, parsePriceModel, type PriceModel, type Tier } from './pricing.ts';

const tier = (up_to: number | null, unit: bigint | null, flat: bigint | null = null): Tier => ({
  up_to,
  unit_amount: unit,
  unit_amount_decimal: null,
  flat_amount: flat,
  flat_amount_decimal: null,
});
const tiered = (mode: 'graduated' | 'volume', tiers: Tier[]): PriceModel => ({
  billing_scheme: 'tiered',
  unit_amount: null,
  unit_amount_decimal: null,
  tiers_mode: mode,
  tiers,
  transform_quantity: null,
});
const perUnit = (p: Partial<PriceModel>): PriceModel => ({
  billing_scheme: 'per_unit',
  unit_amount: null,
  unit_amount_decimal: null,
  tiers_mode: null,
  tiers: null,
  transform_quantity: null,
  ...p,
});
const STD = [tier(10, 500n), tier(50, 400n), tier(null, 300n)];

describe('lineAmount', () => {
  it('graduated prices each tier separately', () => {
    // 10*500 + 40*400 + 10*300
    expect(lineAmount(tiered('graduated', STD), 60)).toBe(24000n);
    expect(lineAmount(tiered('graduated', STD), 0)).toBe(0n);
    expect(lineAmount(tiered('graduated', STD), 10)).toBe(5000n);
  });

  it('volume prices all units at the containing tier', () => {
    expect(lineAmount(tiered('volume', STD), 60)).toBe(18000n);
    expect(lineAmount(tiered('volume', STD), 50)).toBe(20000n);
    expect(lineAmount(tiered('volume', STD), 10)).toBe(5000n);
  });

  it('package pricing rounds the package count', () => {
    const pkg = (round: 'up' | 'down') => perUnit({ unit_amount: 1000n, transform_quantity: { divide_by: 5, round } });
    expect(lineAmount(pkg('up'), 12)).toBe(3000n);
    expect(lineAmount(pkg('down'), 12)).toBe(2000n);
    expect(lineAmount(pkg('up'), 10)).toBe(2000n);
  });

  it('per-unit, zero-decimal currency', () => {
    expect(lineAmount(perUnit({ unit_amount: 1000n }), 1)).toBe(1000n);
  });

  it('fractional unit prices round once per line, half-up', () => {
    const p = perUnit({ unit_amount_decimal: '0.04' });
    expect(exactAmount(p, 123456).toString()).toBe('4938.24');
    expect(lineAmount(p, 123456)).toBe(4938n);
    expect(lineAmount(perUnit({ unit_amount_decimal: '0.5' }), 5)).toBe(3n); // 2.5 -> 3
  });

  it('flat amounts in tiers', () => {
    const tiers = [tier(10, 0n, 1000n), tier(null, 100n, 500n)];
    expect(lineAmount(tiered('graduated', tiers), 0)).toBe(0n);
    expect(lineAmount(tiered('graduated', tiers), 5)).toBe(1000n);
    expect(lineAmount(tiered('graduated', tiers), 12)).toBe(1000n + 200n + 500n);
    expect(lineAmount(tiered('volume', tiers), 5)).toBe(1000n);
    expect(lineAmount(tiered('volume', tiers), 12)).toBe(1200n + 500n);
    const dec = { ...tier(null, null), flat_amount_decimal: '0.5', unit_amount_decimal: '0.25' };
    expect(lineAmount(tiered('volume', [dec]), 4)).toBe(2n); // 1.5 -> 2
  });

  it('rejects bad quantities', () => {
    expect(() => lineAmount(perUnit({ unit_amount: 1n }), -1)).toThrow(RangeError);
    expect(() => lineAmount(perUnit({ unit_amount: 1n }), 1.5)).toThrow(RangeError);
  });
});

describe('parsePriceModel', () => {
  it('parses per-unit and package prices, accepting digit strings', () => {
    expect(parsePriceModel({ unit_amount: '2000' })).toEqual(perUnit({ unit_amount: 2000n }));
    expect(parsePriceModel({ unit_amount_decimal: '0.04' })).toEqual(perUnit({ unit_amount_decimal: '0.04' }));
    expect(parsePriceModel({ unit_amount: 1000, transform_quantity: { divide_by: '5', round: 'up' } })).toEqual(
      perUnit({ unit_amount: 1000n, transform_quantity: { divide_by: 5, round: 'up' } }),
    );
    expect(parsePriceModel({ unit_amount: 10 ** 15 }).unit_amount).toBe(10n ** 15n);
  });

  it('parses tiers with inf or null as the last up_to', () => {
    const input = (last: unknown) => ({
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [{ up_to: 10, unit_amount: 500 }, { up_to: '50', unit_amount: 400 }, { up_to: last, unit_amount: 300 }],
    });
    expect(parsePriceModel(input('inf'))).toEqual(tiered('graduated', STD));
    expect(parsePriceModel(input(null))).toEqual(tiered('graduated', STD));
    const flatOnly = parsePriceModel({ billing_scheme: 'tiered', tiers_mode: 'volume', tiers: [{ up_to: 'inf', flat_amount: 99 }] });
    expect(flatOnly.tiers).toEqual([tier(null, null, 99n)]);
  });

  const T = (tiers: unknown[], mode: unknown = 'graduated') => ({ billing_scheme: 'tiered', tiers_mode: mode, tiers });
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['missing unit amount', {}, 'parameter_missing', 'unit_amount'],
    ['negative', { unit_amount: -1 }, 'parameter_invalid', 'unit_amount'],
    ['fractional number', { unit_amount: 1.5 }, 'parameter_invalid', 'unit_amount'],
    ['wrong type', { unit_amount: true }, 'parameter_invalid', 'unit_amount'],
    ['too large', { unit_amount: 10 ** 15 + 1 }, 'amount_too_large', 'unit_amount'],
    ['too large string', { unit_amount: '99999999999999999999' }, 'amount_too_large', 'unit_amount'],
    ['both amounts', { unit_amount: 1, unit_amount_decimal: '1' }, 'parameter_invalid', 'unit_amount_decimal'],
    ['bad decimal', { unit_amount_decimal: '1.' }, 'parameter_invalid', 'unit_amount_decimal'],
    ['decimal as number', { unit_amount_decimal: 0.04 }, 'parameter_invalid', 'unit_amount_decimal'],
    ['decimal too precise', { unit_amount_decimal: '0.1234567890123' }, 'parameter_invalid', 'unit_amount_decimal'],
    ['bad scheme', { billing_scheme: 'flat', unit_amount: 1 }, 'parameter_invalid', 'billing_scheme'],
    ['divide_by 0', { unit_amount: 1, transform_quantity: { divide_by: 0, round: 'up' } }, 'parameter_invalid', 'transform_quantity[divide_by]'],
    ['divide_by missing', { unit_amount: 1, transform_quantity: { round: 'up' } }, 'parameter_missing', 'transform_quantity[divide_by]'],
    ['bad round', { unit_amount: 1, transform_quantity: { divide_by: 2, round: 'half' } }, 'parameter_invalid', 'transform_quantity[round]'],
    ['tiers on per_unit', { unit_amount: 1, tiers: [] }, 'parameter_invalid', 'tiers'],
    ['missing tiers_mode', { billing_scheme: 'tiered', tiers: [{ up_to: 'inf', unit_amount: 1 }] }, 'parameter_missing', 'tiers_mode'],
    ['bad tiers_mode', T([{ up_to: 'inf', unit_amount: 1 }], 'stairs'), 'parameter_invalid', 'tiers_mode'],
    ['missing tiers', { billing_scheme: 'tiered', tiers_mode: 'volume' }, 'parameter_missing', 'tiers'],
    ['empty tiers', T([]), 'parameter_invalid', 'tiers'],
    ['unit_amount on tiered', { ...T([{ up_to: 'inf', unit_amount: 1 }]), unit_amount: 5 }, 'parameter_invalid', 'unit_amount'],
    ['not ascending', T([{ up_to: 10, unit_amount: 1 }, { up_to: 10, unit_amount: 1 }, { up_to: 'inf', unit_amount: 1 }]), 'parameter_invalid', 'tiers[1][up_to]'],
    ['last not inf', T([{ up_to: 10, unit_amount: 1 }, { up_to: 20, unit_amount: 1 }]), 'parameter_invalid', 'tiers[1][up_to]'],
    ['inf not last', T([{ up_to: 'inf', unit_amount: 1 }, { up_to: 'inf', unit_amount: 1 }]), 'parameter_invalid', 'tiers[0][up_to]'],
    ['up_to zero', T([{ up_to: 0, unit_amount: 1 }, { up_to: 'inf', unit_amount: 1 }]), 'parameter_invalid', 'tiers[0][up_to]'],
    ['up_to missing', T([{ unit_amount: 1 }, { up_to: 'inf', unit_amount: 1 }]), 'parameter_missing', 'tiers[0][up_to]'],
    ['tier both', T([{ up_to: 'inf', unit_amount: 1, unit_amount_decimal: '1' }]), 'parameter_invalid', 'tiers[0][unit_amount_decimal]'],
    ['tier negative flat', T([{ up_to: 5, unit_amount: 1 }, { up_to: 'inf', flat_amount: -3 }]), 'parameter_invalid', 'tiers[1][flat_amount]'],
    ['tier too large', T([{ up_to: 'inf', unit_amount: '1000000000000001' }]), 'amount_too_large', 'tiers[0][unit_amount]'],
    ['tier no price', T([{ up_to: 'inf' }]), 'parameter_missing', 'tiers[0][unit_amount]'],
    ['tier not object', T(['x']), 'parameter_invalid', 'tiers[0]'],
  ];
  it.each(cases)('%s', (_name, input, code, param) => {
    try {
      parsePriceModel(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect({ code: (e as DomainError).code, param: (e as DomainError).param }).toEqual({ code, param });
    }
  });
});

describe('properties', () => {
  // Reference arithmetic at the same precision as the implementation (default Decimal is 20 digits).
  const D = Decimal.clone({ precision: 60 });
  // Random tier tables: ascending up_to, last = inf, integer or decimal unit prices, optional flats.
  const tiersArb = fc
    .array(
      fc.record({
        width: fc.integer({ min: 1, max: 100 }),
        unit: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 6n }), fc.constantFrom('0.04', '1.5', '0.333333333333')),
        flat: fc.option(fc.bigInt({ min: 0n, max: 10n ** 5n })),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .map((rows) => {
      let upTo = 0;
      return rows.map((r, i): Tier => {
        upTo += r.width;
        return {
          up_to: i === rows.length - 1 ? null : upTo,
          unit_amount: typeof r.unit === 'bigint' ? r.unit : null,
          unit_amount_decimal: typeof r.unit === 'string' ? r.unit : null,
          flat_amount: r.flat,
          flat_amount_decimal: null,
        };
      });
    });
  const qty = fc.integer({ min: 0, max: 1000 });
  const price = (t: Tier) => new D(t.unit_amount_decimal ?? String(t.unit_amount ?? 0n));

  it('graduated is monotone non-decreasing in quantity', () => {
    fc.assert(
      fc.property(tiersArb, qty, qty, (tiers, a, b) => {
        const p = tiered('graduated', tiers);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(exactAmount(p, lo).lte(exactAmount(p, hi))).toBe(true);
        expect(lineAmount(p, lo) <= lineAmount(p, hi)).toBe(true);
      }),
    );
  });

  it('graduated equals the sum of per-tier pieces', () => {
    fc.assert(
      fc.property(tiersArb, qty, (tiers, q) => {
        let want = new D(0);
        let lower = 0; // tier i covers units (lower, up_to]
        for (const t of tiers) {
          const upper = t.up_to ?? Number.MAX_SAFE_INTEGER;
          const units = Math.max(0, Math.min(q, upper) - lower);
          if (units > 0) want = want.plus(price(t).times(units)).plus(String(t.flat_amount ?? 0n));
          lower = upper;
        }
        expect(exactAmount(tiered('graduated', tiers), q).toString()).toBe(want.toString());
      }),
    );
  });

  it('volume equals the containing tier price times quantity plus its flat', () => {
    fc.assert(
      fc.property(tiersArb, qty, (tiers, q) => {
        const idx = tiers.findIndex((t) => t.up_to === null || q <= t.up_to);
        const t = tiers[idx]!;
        if (idx > 0) expect(q).toBeGreaterThan(tiers[idx - 1]!.up_to!);
        const want = price(t).times(q).plus(String(t.flat_amount ?? 0n));
        expect(exactAmount(tiered('volume', tiers), q).toString()).toBe(want.toString());
      }),
    );
  });
});
