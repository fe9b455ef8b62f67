import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactAmount, type PriceModel, type Tier } from '../pricing.ts';
import { usageAmount, usageLineAmount } from './usage-amount.ts';

const perUnit = (unit_amount_decimal: string, transform: PriceModel['transform_quantity'] = null): PriceModel =>
  ({ billing_scheme: 'per_unit', unit_amount: null, unit_amount_decimal, tiers_mode: null, tiers: null, transform_quantity: transform });
const tier = (up_to: number | null, unit: bigint, flat: bigint | null = null): Tier =>
  ({ up_to, unit_amount: unit, unit_amount_decimal: null, flat_amount: flat, flat_amount_decimal: null });
const tiered = (mode: 'graduated' | 'volume', tiers: Tier[]): PriceModel =>
  ({ billing_scheme: 'tiered', unit_amount: null, unit_amount_decimal: null, tiers_mode: mode, tiers, transform_quantity: null });

describe('charge models on a metered quantity', () => {
  it('prices a month of API calls at 0.04 cents each, rounded once half-up', () => {
    expect(usageLineAmount(perUnit('0.04'), '123456')).toBe(4938n); // 4,938.24
    expect(usageLineAmount(perUnit('0.04'), '123469')).toBe(4939n); // 4,938.76
  });

  it('keeps quantities far beyond a JS number exact, and prices fractional ones', () => {
    // 10^20 calls at 0.0001 minor units: 10^16, past Number.MAX_SAFE_INTEGER.
    expect(usageLineAmount(perUnit('0.0001'), '100000000000000000000')).toBe(10_000_000_000_000_000n);
    expect(usageAmount(perUnit('250'), '1.5').toString()).toBe('375'); // 1.5 GB at 2.50
  });

  it('graduated and volume tiers on usage, and packages', () => {
    const tiers = [tier(1000, 0n), tier(10_000, 2n), tier(null, 1n, 500n)];
    // 12,500 calls graduated: 1,000 free, 9,000 × 2, then 2,500 × 1 plus the last tier's flat 500.
    expect(usageLineAmount(tiered('graduated', tiers), '12500')).toBe(18_000n + 2_500n + 500n);
    // Volume: all 12,500 at the last tier's price, plus its flat.
    expect(usageLineAmount(tiered('volume', tiers), '12500')).toBe(12_500n + 500n);
    expect(usageLineAmount(tiered('volume', tiers), '10000')).toBe(20_000n);
    // 201 calls in packages of 100 at 500 each, rounded up: 3 packages.
    expect(usageLineAmount(perUnit('500', { divide_by: 100, round: 'up' }), '201')).toBe(1500n);
    expect(() => usageAmount(perUnit('1'), '-1')).toThrow(RangeError);
  });

  it('property: on whole quantities it agrees with the catalog pricing of licensed quantities', () => {
    const tiersArb = fc.array(fc.record({ width: fc.integer({ min: 1, max: 500 }), unit: fc.bigInt({ min: 0n, max: 10_000n }), flat: fc.option(fc.bigInt({ min: 0n, max: 10_000n })) }), { minLength: 1, maxLength: 5 })
      .map((rows) => { let up = 0; return rows.map((r, i) => { up += r.width; return tier(i === rows.length - 1 ? null : up, r.unit, r.flat); }); });
    const model = fc.oneof(
      fc.tuple(fc.constantFrom('graduated' as const, 'volume' as const), tiersArb).map(([m, t]) => tiered(m, t)),
      fc.tuple(fc.constantFrom('0.04', '3', '0.333333'), fc.option(fc.record({ divide_by: fc.integer({ min: 1, max: 1000 }), round: fc.constantFrom('up' as const, 'down' as const) })))
        .map(([u, t]) => perUnit(u, t)),
    );
    fc.assert(fc.property(model, fc.integer({ min: 0, max: 5000 }), (p, q) => {
      expect(usageAmount(p, String(q)).eq(exactAmount(p, q))).toBe(true);
    }));
  });
});
