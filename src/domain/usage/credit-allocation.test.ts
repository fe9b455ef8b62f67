import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateCredits, consumptionOrder, usableAt, type GrantBalance } from './credit-allocation.ts';

const T0 = Date.UTC(2027, 0, 1);
const day = (n: number) => new Date(T0 + n * 86_400_000);
const grant = (id: string, balance: bigint, over: Partial<GrantBalance> = {}): GrantBalance =>
  ({ id, balance, priority: 50, effectiveAt: day(0), expiresAt: null, createdAt: day(0), ...over });

describe('allocating credit grants to an amount', () => {
  it('takes lower priority numbers first, then the soonest expiry, grants without expiry last, then the oldest', () => {
    const grants = [
      grant('never', 1000n, { createdAt: day(-5) }),
      grant('late', 1000n, { expiresAt: day(60) }),
      grant('soon', 300n, { expiresAt: day(10) }),
      grant('urgent', 200n, { priority: 10, expiresAt: day(90) }),
      grant('young', 1000n, { createdAt: day(1) }),
    ];
    expect(allocateCredits(grants, 1700n, day(2))).toEqual([
      { grant: 'urgent', amount: 200n }, { grant: 'soon', amount: 300n }, { grant: 'late', amount: 1000n }, { grant: 'never', amount: 200n },
    ]);
  });

  it('skips grants not yet effective, expired (at the expiry instant too), or empty; covers at most what they hold', () => {
    const grants = [
      grant('future', 500n, { effectiveAt: day(3), createdAt: day(1) }), grant('expired', 500n, { expiresAt: day(2) }),
      grant('empty', 0n), grant('ok', 400n),
    ];
    expect(allocateCredits(grants, 1000n, day(2))).toEqual([{ grant: 'ok', amount: 400n }]);
    expect(allocateCredits(grants, 1000n, day(3)).map((a) => a.grant)).toEqual(['ok', 'future']);
    expect(allocateCredits(grants, 0n, day(2))).toEqual([]);
    expect(() => allocateCredits(grants, -1n, day(2))).toThrow(RangeError);
  });

  const grantArb = fc.record({
    id: fc.uuid(), balance: fc.bigInt({ min: 0n, max: 10n ** 15n }), priority: fc.integer({ min: 0, max: 100 }),
    effectiveAt: fc.integer({ min: -30, max: 30 }).map(day), expiresAt: fc.option(fc.integer({ min: -30, max: 60 }).map(day)),
    createdAt: fc.integer({ min: -60, max: 0 }).map(day),
  });

  it('property: never more than asked nor than a grant holds; the total is min(asked, available); the order is respected', () => {
    fc.assert(fc.property(fc.uniqueArray(grantArb, { maxLength: 12, selector: (g) => g.id }), fc.bigInt({ min: 0n, max: 2n * 10n ** 15n }), fc.integer({ min: -40, max: 70 }), (grants, asked, d) => {
      const at = day(d);
      const out = allocateCredits(grants, asked, at);
      const byId = new Map(grants.map((g) => [g.id, g]));
      const available = grants.filter((g) => usableAt(g, at)).reduce((s, g) => s + g.balance, 0n);
      const total = out.reduce((s, a) => s + a.amount, 0n);
      expect(total).toBe(asked < available ? asked : available);
      expect(new Set(out.map((a) => a.grant)).size).toBe(out.length);
      for (const a of out) {
        const g = byId.get(a.grant)!;
        expect(usableAt(g, at)).toBe(true);
        expect(a.amount > 0n && a.amount <= g.balance).toBe(true);
      }
      // Every grant but the last is drained, and each comes before any usable grant left untouched or only partly used.
      for (let i = 0; i < out.length; i++) {
        const g = byId.get(out[i]!.grant)!;
        if (i < out.length - 1) expect(out[i]!.amount).toBe(g.balance);
        if (i > 0) expect(consumptionOrder(byId.get(out[i - 1]!.grant)!, g)).toBeLessThan(0);
      }
      const last = out.at(-1);
      for (const g of grants.filter((x) => usableAt(x, at) && !out.some((a) => a.grant === x.id))) {
        // A usable grant is left untouched only once the amount is covered, by grants before it.
        expect(total).toBe(asked);
        if (last) expect(consumptionOrder(byId.get(last.grant)!, g)).toBeLessThan(0);
      }
    }));
  });

  it('property: the answer does not depend on the order the grants are given in', () => {
    fc.assert(fc.property(fc.uniqueArray(grantArb, { maxLength: 8, selector: (g) => g.id }), fc.bigInt({ min: 0n, max: 10n ** 15n }), (grants, asked) => {
      const reversed = [...grants].reverse();
      expect(allocateCredits(reversed, asked, day(0))).toEqual(allocateCredits(grants, asked, day(0)));
    }));
  });
});
