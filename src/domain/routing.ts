// Choosing where a charge goes among the customer's payment methods (issue 16, routing).
// Pure: the rules, the charge and the customer's methods in, one method out.

export type RoutingRule = {
  id: string; gateway: string; currency: string | null; amountGte: bigint | null; amountLte: bigint | null;
  brand: string | null; cardCountry: string | null; customerCountry: string | null; customerMetadata: Record<string, string>;
};

export type RoutedCharge = { currency: string; amount: bigint; customerCountry: string | null; customerMetadata: Record<string, string> };

export type RoutableMethod = { id: string; gateway: string; brand: string | null; country: string | null };

const chargeMatches = (r: RoutingRule, c: RoutedCharge): boolean =>
  (r.currency === null || r.currency === c.currency)
  && (r.amountGte === null || c.amount >= r.amountGte)
  && (r.amountLte === null || c.amount <= r.amountLte)
  && (r.customerCountry === null || r.customerCountry === c.customerCountry)
  && Object.entries(r.customerMetadata).every(([k, v]) => c.customerMetadata[k] === v);

const methodMatches = (r: RoutingRule, m: RoutableMethod): boolean =>
  m.gateway === r.gateway && (r.brand === null || r.brand === m.brand) && (r.cardCountry === null || r.cardCountry === m.country);

/**
 * The first rule (in the order given) whose conditions hold and for which the customer has a
 * matching method decides; among its methods the default is preferred, else the oldest (the
 * order given). Null: no rule applies, and the caller keeps the default method.
 */
export function route<M extends RoutableMethod>(
  rules: readonly RoutingRule[], charge: RoutedCharge, methods: readonly M[], defaultId: string | null,
): { method: M; rule: string } | null {
  for (const r of rules) {
    if (!chargeMatches(r, charge)) continue;
    const fits = methods.filter((m) => methodMatches(r, m));
    if (fits.length === 0) continue;
    return { method: fits.find((m) => m.id === defaultId) ?? fits[0]!, rule: r.id };
  }
  return null;
}

/**
 * `route` among the methods on gateways not to `avoid` (unhealthy ones, those an invoice's
 * charge has already failed on), falling back to the default, else the oldest of them. Null: the
 * customer has no method anywhere else.
 */
export function routeAvoiding<M extends RoutableMethod>(
  rules: readonly RoutingRule[], charge: RoutedCharge, methods: readonly M[], defaultId: string | null, avoid: (gateway: string) => boolean,
): M | null {
  const usable = methods.filter((m) => !avoid(m.gateway));
  if (usable.length === 0) return null;
  return route(rules, charge, usable, defaultId)?.method ?? usable.find((m) => m.id === defaultId) ?? usable[0]!;
}
