import { routeAvoiding } from '../../domain/routing.ts';
import type { PaymentMethodRef } from '../invoicing/plan-invoice.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { healthKey, routingHealth } from './health.ts';
import { liveRules } from './routing-rules.ts';

/** The customer's methods as routing reads them, with what rules match on. */
export async function methodsOf(u: UnitOfWork, accountIds: string[], customerIds: string[]) {
  return await u.tx.selectFrom('payment_methods as pm')
    .innerJoin('customers as c', (j) => j.onRef('c.account_id', '=', 'pm.account_id').onRef('c.id', '=', 'pm.customer_id'))
    .select(['pm.account_id', 'pm.id', 'pm.customer_id', 'pm.gateway', 'pm.gateway_token', 'pm.gateway_customer', 'pm.brand', 'pm.country', 'c.metadata', 'c.address'])
    .where('pm.account_id', 'in', [...new Set(accountIds)]).where('pm.customer_id', 'in', [...new Set(customerIds)])
    .orderBy('pm.created_at').orderBy('pm.id').execute();
}
export type RoutedMethod = Awaited<ReturnType<typeof methodsOf>>[number];

/** The charge as rules see it: the customer's country and metadata come with each of their methods. */
export const chargeOf = (currency: string, amount: bigint, m: RoutedMethod) => ({
  currency, amount, customerCountry: (m.address as { country?: string } | null)?.country ?? null, customerMetadata: m.metadata as Record<string, string>,
});

/** What routing reads of a charge and may change: a finalized invoice's plan, or a pay of an open invoice. */
export type RoutableCharge = {
  invoice: { account_id: string; customer_id: string; currency: string };
  attempt?: { amount: bigint; payment_method_id: string | null; gateway: string } | null;
  pm: PaymentMethodRef | null;
  subscription: { default_payment_method_id: string | null } | null;
};

/**
 * Points each finalized invoice's charge at the payment method the account's routing rules
 * choose among the customer's methods (issue 16). A subscription's own default payment method
 * is the merchant's explicit choice and is kept; without rules, or when none applies, the
 * customer's default stays. An unhealthy gateway (src/domain/gateway-health.ts) is skipped when
 * the customer has a method elsewhere, even the explicit choice: a charge sent into an outage
 * fails. Once its cool-down has passed, one charge of the batch may probe it. Runs inside the
 * finalizing transaction, before the attempts are written, so the attempt row names the method
 * and gateway it will really be sent to. One query for the batch's rules, one for the health
 * of its gateways; the methods are read only for charges that may move. `realNow`: health is
 * judged in real time, whatever clock the invoices live on.
 */
export async function routeCharges(u: UnitOfWork, plans: RoutableCharge[], realNow: Date): Promise<void> {
  const charging = plans.filter((p) => p.attempt && p.pm);
  if (charging.length === 0) return;
  const rules = await liveRules(u.tx, [...new Set(charging.map((p) => p.invoice.account_id))]);
  const health = await routingHealth(u.tx, charging.map((p) => ({ accountId: p.invoice.account_id, gateway: p.pm!.gateway })), realNow);
  const probed = new Set<string>();
  const verdict = (accountId: string, gateway: string) => health.get(healthKey(accountId, gateway)) ?? 'use';
  const avoid = (accountId: string) => (gateway: string) => {
    const v = verdict(accountId, gateway);
    return v === 'skip' || (v === 'probe' && probed.has(healthKey(accountId, gateway)));
  };
  const routed = charging.filter((p) => (rules.has(p.invoice.account_id) && !p.subscription?.default_payment_method_id)
    || verdict(p.invoice.account_id, p.pm!.gateway) !== 'use');
  if (routed.length === 0) return;
  const methods = await methodsOf(u, routed.map((p) => p.invoice.account_id), routed.map((p) => p.invoice.customer_id));
  for (const p of routed) {
    const accountId = p.invoice.account_id;
    const mine = methods.filter((m) => m.account_id === accountId && m.customer_id === p.invoice.customer_id);
    const explicit = Boolean(p.subscription?.default_payment_method_id) && !avoid(accountId)(p.pm!.gateway);
    const m = mine.length === 0 || explicit ? null
      : routeAvoiding(rules.get(accountId) ?? [], chargeOf(p.invoice.currency, p.attempt!.amount, mine[0]!), mine, p.pm!.id, avoid(accountId));
    const gateway = m?.gateway ?? p.pm!.gateway;
    if (verdict(accountId, gateway) === 'probe') probed.add(healthKey(accountId, gateway));
    if (!m || m.id === p.pm!.id) continue;
    p.pm = { id: m.id, gateway_token: m.gateway_token, gateway: m.gateway, gateway_customer: m.gateway_customer };
    p.attempt = { ...p.attempt!, payment_method_id: m.id, gateway: m.gateway };
  }
}
