// The customer billing portal's features (issue 19, point 3): what a configuration may offer, the
// built-in configuration, and how an update merges into what is stored. Pure; the ids in it are
// checked against the account by src/app/billing-portal/configurations.ts.

export const CANCELLATION_REASONS = [
  'too_expensive', 'missing_features', 'switched_service', 'unused', 'customer_service', 'too_complex', 'low_quality', 'other',
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];
export const CANCEL_MODES = ['at_period_end', 'immediately'] as const;
export const PORTAL_PRORATIONS = ['create_prorations', 'always_invoice', 'none'] as const;

export type PortalFeatures = {
  invoice_history: { enabled: boolean };
  payment_method_update: { enabled: boolean };
  subscription_pause: { enabled: boolean };
  subscription_cancel: {
    enabled: boolean; mode: (typeof CANCEL_MODES)[number];
    cancellation_reason: { enabled: boolean; options: CancellationReason[] };
    retention: { coupon: string } | null;
  };
  subscription_update: { enabled: boolean; products: { product: string; prices: string[] }[]; proration_behavior: (typeof PORTAL_PRORATIONS)[number] };
};

/** What a create or update may say: any feature, any field of it; what is left out keeps its value (or the default). */
export type PortalFeaturesInput = {
  [K in keyof PortalFeatures]?: { [F in keyof PortalFeatures[K]]?: F extends 'cancellation_reason'
    ? { enabled: boolean; options?: CancellationReason[] | undefined } : PortalFeatures[K][F] | undefined } | undefined
};

/** A new configuration starts with every feature off; it offers what it is told to. */
export const EMPTY_FEATURES: PortalFeatures = {
  invoice_history: { enabled: false },
  payment_method_update: { enabled: false },
  subscription_pause: { enabled: false },
  subscription_cancel: { enabled: false, mode: 'at_period_end', cancellation_reason: { enabled: false, options: [...CANCELLATION_REASONS] }, retention: null },
  subscription_update: { enabled: false, products: [], proration_behavior: 'create_prorations' },
};

/** For a session made when the account has no default configuration: look, pay, leave at period end. */
export const BUILT_IN_FEATURES: PortalFeatures = {
  ...EMPTY_FEATURES,
  invoice_history: { enabled: true },
  payment_method_update: { enabled: true },
  subscription_cancel: { ...EMPTY_FEATURES.subscription_cancel, enabled: true },
};

/** `base` with each feature the input names merged field by field (a list given replaces the list). */
export function mergeFeatures(base: PortalFeatures, input: PortalFeaturesInput): PortalFeatures {
  const out = structuredClone(base);
  for (const key of Object.keys(input) as (keyof PortalFeatures)[]) {
    const given = Object.fromEntries(Object.entries(input[key] ?? {}).filter(([, v]) => v !== undefined));
    if (key === 'subscription_cancel' && given.cancellation_reason) {
      const reason = given.cancellation_reason as unknown as { enabled: boolean; options?: CancellationReason[] };
      (given as Record<string, unknown>).cancellation_reason = { enabled: reason.enabled, options: reason.options ?? out.subscription_cancel.cancellation_reason.options };
    }
    Object.assign(out[key], given);
  }
  return out;
}

/** The prices a configuration lets a customer move to from an item of `productId`, or none. */
export function allowedPrices(f: PortalFeatures, productId: string): string[] {
  if (!f.subscription_update.enabled) return [];
  return f.subscription_update.products.find((p) => p.product === productId)?.prices ?? [];
}
