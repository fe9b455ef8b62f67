import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveEntitlements, sameFeatures, type OverrideFacts, type SubscriptionFacts } from './entitlements.ts';
import { SUBSCRIPTION_STATUSES } from './subscription-status.ts';

const T0 = Date.parse('2027-01-01T00:00:00Z');
const HOUR = 3_600_000;
const at = (h: number) => new Date(T0 + h * HOUR);
const FEATURES = ['api_access', 'export', 'sso', 'audit'].map((k, i) => ({ id: `feat_${i}`, lookupKey: k }));

const feature = fc.constantFrom(...FEATURES);
const subscription = fc.record({
  id: fc.constantFrom('sub_a', 'sub_b', 'sub_c'),
  status: fc.constantFrom(...SUBSCRIPTION_STATUSES),
  features: fc.uniqueArray(feature, { selector: (f) => f.id, maxLength: 4 }),
  graceEndsAt: fc.option(fc.integer({ min: -48, max: 48 }).map(at), { nil: null }),
});
const override = fc.record({
  id: fc.constantFrom('entov_1', 'entov_2', 'entov_3', 'entov_4'),
  feature, grant: fc.boolean(),
  createdAt: fc.integer({ min: -48, max: 24 }).map(at),
  expiresAt: fc.integer({ min: -24, max: 72 }).map(at),
});
const state = fc.record({
  subscriptions: fc.array(subscription, { maxLength: 4 }),
  overrides: fc.array(override, { maxLength: 5 }),
  now: fc.integer({ min: -24, max: 48 }).map(at),
});
const keys = (r: ReturnType<typeof deriveEntitlements>) => r.entitlements.map((e) => e.lookupKey);

describe('deriveEntitlements, examples', () => {
  const sub = (status: SubscriptionFacts['status'], graceEndsAt: Date | null = null): SubscriptionFacts =>
    ({ id: 'sub_1', status, features: [FEATURES[0]!, FEATURES[1]!], graceEndsAt });

  it('active and trialing grant the features of their products; paused, canceled, unpaid and incomplete grant nothing', () => {
    for (const s of ['active', 'trialing'] as const) expect(keys(deriveEntitlements({ subscriptions: [sub(s)], overrides: [], now: at(0) }))).toEqual(['api_access', 'export']);
    for (const s of ['paused', 'canceled', 'unpaid', 'incomplete', 'incomplete_expired'] as const) {
      expect(keys(deriveEntitlements({ subscriptions: [sub(s, at(100))], overrides: [], now: at(0) }))).toEqual([]);
    }
  });

  it('past_due grants until its grace ends, not at the instant it ends, and never without a grace end', () => {
    const facts = [sub('past_due', at(24))];
    const before = deriveEntitlements({ subscriptions: facts, overrides: [], now: at(23.99) });
    expect(keys(before)).toEqual(['api_access', 'export']);
    expect(before.nextChangeAt).toEqual(at(24));
    expect(keys(deriveEntitlements({ subscriptions: facts, overrides: [], now: at(24) }))).toEqual([]);
    expect(keys(deriveEntitlements({ subscriptions: [sub('past_due', null)], overrides: [], now: at(0) }))).toEqual([]);
  });

  it('the latest override in force decides its feature; an expired one counts no more', () => {
    const grant: OverrideFacts = { id: 'entov_1', feature: FEATURES[2]!, grant: true, createdAt: at(0), expiresAt: at(10) };
    const revoke: OverrideFacts = { id: 'entov_2', feature: FEATURES[0]!, grant: false, createdAt: at(1), expiresAt: at(5) };
    const r = deriveEntitlements({ subscriptions: [sub('active')], overrides: [grant, revoke], now: at(2) });
    expect(r.entitlements).toEqual([
      { feature: 'feat_1', lookupKey: 'export', source: { type: 'subscription', subscription: 'sub_1', status: 'active' } },
      { feature: 'feat_2', lookupKey: 'sso', source: { type: 'override', override: 'entov_1' } },
    ]);
    expect(r.nextChangeAt).toEqual(at(5));
    expect(keys(deriveEntitlements({ subscriptions: [sub('active')], overrides: [grant, revoke], now: at(10) }))).toEqual(['api_access', 'export']);
    const regrant = { ...grant, id: 'entov_3', feature: FEATURES[0]!, createdAt: at(3) };
    expect(keys(deriveEntitlements({ subscriptions: [], overrides: [revoke, regrant], now: at(4) }))).toEqual(['api_access']);
  });
});

describe('deriveEntitlements, properties', () => {
  it('grants only features some granting subscription or override grant names, each once, sorted', () => {
    fc.assert(fc.property(state, (s) => {
      const r = deriveEntitlements(s);
      const offered = new Set([...s.subscriptions.flatMap((x) => x.features.map((f) => f.id)), ...s.overrides.filter((o) => o.grant).map((o) => o.feature.id)]);
      expect(r.entitlements.every((e) => offered.has(e.feature))).toBe(true);
      expect(new Set(r.entitlements.map((e) => e.feature)).size).toBe(r.entitlements.length);
      expect(keys(r)).toEqual([...keys(r)].sort());
    }));
  });

  it('a subscription that is not active, trialing or past_due in grace is never a source', () => {
    fc.assert(fc.property(state, (s) => {
      for (const e of deriveEntitlements(s).entitlements) {
        if (e.source.type !== 'subscription') continue;
        const src = e.source;
        const facts = s.subscriptions.filter((x) => x.id === src.subscription && x.status === src.status);
        expect(facts.some((x) => x.status === 'active' || x.status === 'trialing' || (x.status === 'past_due' && x.graceEndsAt !== null && s.now < x.graceEndsAt))).toBe(true);
      }
    }));
  });

  it('does not depend on the order of its inputs', () => {
    fc.assert(fc.property(state, fc.integer(), (s, seed) => {
      const rotate = <T>(xs: readonly T[]) => xs.length ? [...xs.slice(seed % xs.length), ...xs.slice(0, seed % xs.length)].reverse() : [];
      expect(sameFeatures(deriveEntitlements(s).entitlements, deriveEntitlements({ ...s, subscriptions: rotate(s.subscriptions), overrides: rotate(s.overrides) }).entitlements)).toBe(true);
    }));
  });

  it('nothing changes before nextChangeAt: the set at any later instant before it is the set now', () => {
    fc.assert(fc.property(state, fc.integer({ min: 1, max: 96 * 60 }), (s, minutes) => {
      const r = deriveEntitlements(s);
      const later = new Date(s.now.getTime() + minutes * 60_000);
      if (r.nextChangeAt && later >= r.nextChangeAt) return;
      expect(deriveEntitlements({ ...s, now: later }).entitlements).toEqual(r.entitlements);
    }));
  });

  it('once every grace period and override is over, exactly the active and trialing subscriptions\' features remain', () => {
    fc.assert(fc.property(state, (s) => {
      const end = at(1000);
      const expected = new Set(s.subscriptions.filter((x) => x.status === 'active' || x.status === 'trialing').flatMap((x) => x.features.map((f) => f.id)));
      const r = deriveEntitlements({ ...s, now: end });
      expect(new Set(r.entitlements.map((e) => e.feature))).toEqual(expected);
      expect(r.nextChangeAt).toBeNull();
    }));
  });

  it('a revoke in force, newer than every grant of its feature, removes it whatever the subscriptions say', () => {
    fc.assert(fc.property(state, feature, (s, f) => {
      const revoke: OverrideFacts = { id: 'entov_9', feature: f, grant: false, createdAt: new Date(s.now.getTime()), expiresAt: new Date(s.now.getTime() + HOUR) };
      const newer = s.overrides.map((o) => ({ ...o, createdAt: o.createdAt < s.now ? o.createdAt : new Date(s.now.getTime() - 1) }));
      expect(deriveEntitlements({ ...s, overrides: [...newer, revoke] }).entitlements.some((e) => e.feature === f.id)).toBe(false);
    }));
  });
});
