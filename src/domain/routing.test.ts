import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { route, type RoutableMethod, type RoutingRule } from './routing.ts';

const rule = (over: Partial<RoutingRule> & { gateway: string }): RoutingRule => ({
  id: `rr_${over.gateway}`, currency: null, amountGte: null, amountLte: null, brand: null, cardCountry: null, customerCountry: null, customerMetadata: {}, ...over,
});
const charge = { currency: 'inr', amount: 50_000n, customerCountry: 'IN', customerMetadata: { plan: 'pro' } };
const stripeVisa = { id: 'pm_1', gateway: 'gw_stripe', brand: 'visa', country: 'US' };
const razorpayCard = { id: 'pm_2', gateway: 'gw_razorpay', brand: 'rupay', country: 'IN' };
const razorpayVisa = { id: 'pm_3', gateway: 'gw_razorpay', brand: 'visa', country: 'IN' };

describe('routing a charge', () => {
  it('takes the first rule whose conditions hold and that the customer has a method for', () => {
    const rules = [rule({ gateway: 'gw_adyen', currency: 'inr' }), rule({ gateway: 'gw_razorpay', currency: 'inr' }), rule({ gateway: 'gw_stripe' })];
    expect(route(rules, charge, [stripeVisa, razorpayCard], 'pm_1')).toEqual({ method: razorpayCard, rule: 'rr_gw_razorpay' });
    expect(route(rules, { ...charge, currency: 'usd' }, [stripeVisa, razorpayCard], 'pm_2')).toEqual({ method: stripeVisa, rule: 'rr_gw_stripe' });
  });

  it('matches amount ranges, brand, card and customer country, and customer metadata', () => {
    const cases: [Partial<RoutingRule>, boolean][] = [
      [{ amountGte: 50_000n }, true], [{ amountGte: 50_001n }, false], [{ amountLte: 49_999n }, false], [{ amountLte: 50_000n }, true],
      [{ brand: 'visa' }, true], [{ brand: 'amex' }, false], [{ cardCountry: 'IN' }, true], [{ cardCountry: 'US' }, false],
      [{ customerCountry: 'IN' }, true], [{ customerCountry: 'GB' }, false],
      [{ customerMetadata: { plan: 'pro' } }, true], [{ customerMetadata: { plan: 'pro', tier: 'gold' } }, false],
    ];
    for (const [over, applies] of cases) {
      const r = route([rule({ gateway: 'gw_razorpay', ...over })], charge, [razorpayVisa], null);
      expect(r !== null, JSON.stringify(over, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(applies);
    }
  });

  it('prefers the default method among those on the chosen gateway, else the first', () => {
    const rules = [rule({ gateway: 'gw_razorpay' })];
    expect(route(rules, charge, [razorpayCard, razorpayVisa], 'pm_3')!.method).toBe(razorpayVisa);
    expect(route(rules, charge, [razorpayCard, razorpayVisa], 'pm_1')!.method).toBe(razorpayCard);
    expect(route(rules, charge, [stripeVisa], 'pm_1')).toBeNull();
  });

  it('never answers a method the customer does not have, nor one its rule excludes', () => {
    const gateways = ['gw_a', 'gw_b', 'sandbox'];
    const arbRule = fc.record({
      gateway: fc.constantFrom(...gateways), brand: fc.option(fc.constantFrom('visa', 'mastercard'), { nil: null }),
      amountGte: fc.option(fc.bigInt({ min: 0n, max: 100_000n }), { nil: null }), currency: fc.option(fc.constantFrom('usd', 'inr'), { nil: null }),
    });
    const arbMethod = fc.record({ id: fc.uuid(), gateway: fc.constantFrom(...gateways), brand: fc.constantFrom('visa', 'mastercard', null), country: fc.constant(null) });
    fc.assert(fc.property(fc.array(arbRule, { maxLength: 5 }), fc.array(arbMethod, { maxLength: 5 }), fc.bigInt({ min: 1n, max: 200_000n }), fc.constantFrom('usd', 'inr'),
      (rawRules, methods: RoutableMethod[], amount, currency) => {
        const rules = rawRules.map((r, i) => rule({ ...r, id: `rr_${i}` }));
        const r = route(rules, { currency, amount, customerCountry: null, customerMetadata: {} }, methods, methods[0]?.id ?? null);
        if (!r) return;
        expect(methods).toContain(r.method);
        const chosen = rules.find((x) => x.id === r.rule)!;
        expect(r.method.gateway).toBe(chosen.gateway);
        if (chosen.brand) expect(r.method.brand).toBe(chosen.brand);
        // No earlier rule could have applied.
        for (const earlier of rules.slice(0, rules.indexOf(chosen))) expect(route([earlier], { currency, amount, customerCountry: null, customerMetadata: {} }, methods, null)).toBeNull();
      }));
  });
});
