import type { SubscriptionStatus } from './subscription-status.ts';

/**
 * Entitlements derived from state (issue 17, point 3; DESIGN principle 6): which features a
 * customer may use now, from their subscriptions' statuses and products, the grace periods of
 * their failed renewals, and manual overrides. Never from "the last charge succeeded".
 */

export type FeatureRef = { id: string; lookupKey: string };

export type SubscriptionFacts = {
  id: string;
  status: SubscriptionStatus;
  /** The active features of the products of its items. */
  features: readonly FeatureRef[];
  /**
   * For a past_due subscription: when access ends, the earliest grace end of its unpaid invoices
   * (null: nothing unpaid to grant grace on, so no access). Ignored in any other status.
   */
  graceEndsAt: Date | null;
};

export type OverrideFacts = { id: string; feature: FeatureRef; grant: boolean; createdAt: Date; expiresAt: Date };

export type EntitlementSource =
  | { type: 'subscription'; subscription: string; status: SubscriptionStatus }
  | { type: 'override'; override: string };

export type Entitlement = { feature: string; lookupKey: string; source: EntitlementSource };

/** Statuses that grant their features outright; past_due grants them only during grace. */
const GRANTING: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing']);
// Which subscription is named as a feature's source when several grant it: the strongest status.
const RANK: Partial<Record<SubscriptionStatus, number>> = { active: 0, trialing: 1, past_due: 2 };

export const grants = (s: SubscriptionFacts, now: Date): boolean =>
  GRANTING.has(s.status) || (s.status === 'past_due' && s.graceEndsAt !== null && now < s.graceEndsAt);

/** An override counts from its creation until (not at) its expiry. */
const inForce = (o: OverrideFacts, now: Date) => o.createdAt <= now && now < o.expiresAt;

/**
 * The features a customer is entitled to at `now`, sorted by lookup key, each with one source,
 * and `nextChangeAt`: the first instant after `now` at which the answer may differ by the
 * passing of time alone (a grace period or an override ending, an override starting), or null.
 *
 * Per feature, the most recent override in force decides (a grant adds it, a revoke removes it,
 * whatever the subscriptions say); without one, the subscriptions that grant it do.
 */
export function deriveEntitlements(input: { subscriptions: readonly SubscriptionFacts[]; overrides: readonly OverrideFacts[]; now: Date }): {
  entitlements: Entitlement[]; nextChangeAt: Date | null;
} {
  const { now } = input;
  const result = new Map<string, Entitlement>();
  const granting = input.subscriptions.filter((s) => grants(s, now))
    .sort((a, b) => (RANK[a.status]! - RANK[b.status]!) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const s of granting) {
    for (const f of s.features) {
      if (!result.has(f.id)) result.set(f.id, { feature: f.id, lookupKey: f.lookupKey, source: { type: 'subscription', subscription: s.id, status: s.status } });
    }
  }
  const deciding = new Map<string, OverrideFacts>();
  for (const o of input.overrides) {
    if (!inForce(o, now)) continue;
    const other = deciding.get(o.feature.id);
    if (!other || o.createdAt > other.createdAt || (o.createdAt.getTime() === other.createdAt.getTime() && o.id > other.id)) deciding.set(o.feature.id, o);
  }
  for (const o of deciding.values()) {
    if (o.grant) result.set(o.feature.id, { feature: o.feature.id, lookupKey: o.feature.lookupKey, source: { type: 'override', override: o.id } });
    else result.delete(o.feature.id);
  }
  const times: number[] = [];
  for (const s of input.subscriptions) if (s.status === 'past_due' && s.graceEndsAt && s.graceEndsAt > now) times.push(s.graceEndsAt.getTime());
  for (const o of input.overrides) for (const t of [o.createdAt, o.expiresAt]) if (t > now) times.push(t.getTime());
  return {
    entitlements: [...result.values()].sort((a, b) => (a.lookupKey < b.lookupKey ? -1 : a.lookupKey > b.lookupKey ? 1 : 0)),
    nextChangeAt: times.length ? new Date(Math.min(...times)) : null,
  };
}

/** Whether two derived sets hold the same features (sources aside: a change of source alone is no news). */
export function sameFeatures(a: readonly { feature: string }[], b: readonly { feature: string }[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((e) => e.feature));
  return b.every((e) => ids.has(e.feature));
}
