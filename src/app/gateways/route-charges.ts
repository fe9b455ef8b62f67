import { route } from '../../domain/routing.ts';
import type { InvoicePlan } from '../invoicing/finalize.ts';
import type { UnitOfWork } from '../unit-of-work.ts';
import { liveRules } from './routing-rules.ts';

/**
 * Points each finalized invoice's charge at the payment method the account's routing rules
 * choose among the customer's methods (issue 16). A subscription's own default payment method
 * is the merchant's explicit choice and is kept; without rules, or when none applies, the
 * customer's default stays. Runs inside the finalizing transaction, before the attempts are
 * written, so the attempt row names the method and gateway it will really be sent to. One
 * query for the batch's rules; the methods are read only for accounts that have rules.
 */
export async function routeCharges(u: UnitOfWork, plans: InvoicePlan[]): Promise<void> {
  const charging = plans.filter((p) => p.attempt && p.pm && !p.subscription?.default_payment_method_id);
  if (charging.length === 0) return;
  const rules = await liveRules(u.tx, [...new Set(charging.map((p) => p.invoice.account_id))]);
  const routed = charging.filter((p) => rules.has(p.invoice.account_id));
  if (routed.length === 0) return;
  const methods = await u.tx.selectFrom('payment_methods as pm')
    .innerJoin('customers as c', (j) => j.onRef('c.account_id', '=', 'pm.account_id').onRef('c.id', '=', 'pm.customer_id'))
    .select(['pm.account_id', 'pm.id', 'pm.customer_id', 'pm.gateway', 'pm.gateway_token', 'pm.gateway_customer', 'pm.brand', 'pm.country', 'c.metadata', 'c.address'])
    .where('pm.account_id', 'in', [...new Set(routed.map((p) => p.invoice.account_id))])
    .where('pm.customer_id', 'in', [...new Set(routed.map((p) => p.invoice.customer_id))])
    .orderBy('pm.created_at').orderBy('pm.id').execute();
  for (const p of routed) {
    const mine = methods.filter((m) => m.account_id === p.invoice.account_id && m.customer_id === p.invoice.customer_id);
    if (mine.length === 0) continue;
    const address = mine[0]!.address as { country?: string } | null;
    const choice = route(rules.get(p.invoice.account_id)!, {
      currency: p.invoice.currency, amount: p.attempt!.amount, customerCountry: address?.country ?? null,
      customerMetadata: mine[0]!.metadata as Record<string, string>,
    }, mine, p.pm!.id);
    if (!choice || choice.method.id === p.pm!.id) continue;
    const m = choice.method;
    p.pm = { id: m.id, gateway_token: m.gateway_token, gateway: m.gateway, gateway_customer: m.gateway_customer };
    p.attempt = { ...p.attempt!, payment_method_id: m.id, gateway: m.gateway };
  }
}
