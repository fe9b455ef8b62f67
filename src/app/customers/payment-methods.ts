import { DomainError, invalid } from '../../domain/errors.ts';
import { BUILTIN_GATEWAY } from '../../domain/gateway-types.ts';
import { activeGateway } from '../gateways/resolve.ts';
import { newId } from '../../domain/ids.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import { GatewayUnreachableError, type Actor, type Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { retryWithNewCard } from '../dunning/cases.ts';
import { customerView, paymentMethodView } from '../views.ts';

/**
 * Attaches a gateway token to a customer. Only tokens are accepted: card numbers are refused
 * at the HTTP edge before they reach here. The first method becomes the customer's default.
 */
export async function attachPaymentMethod(deps: Deps, actor: Actor, input: { customer: string; token: string; gateway?: string; gateway_customer?: string; set_default?: boolean }) {
  const gatewayRef = input.gateway ?? BUILTIN_GATEWAY;
  const gateway = await activeGateway(deps, actor.accountId, gatewayRef);
  // Card details are read from the processor, never taken from the request.
  const card = await gateway.inspectToken(input.token, { gatewayCustomer: input.gateway_customer ?? null }).catch((err: unknown) => {
    if (err instanceof GatewayUnreachableError) throw new DomainError('gateway_unavailable', `Gateway '${gatewayRef}' did not answer while the token was checked; nothing was saved.`, 'gateway');
    throw err;
  });
  if (!card) throw invalid('token_invalid', `The token '${input.token}' is not a valid token of gateway '${gatewayRef}'.`, 'token');
  return await command(deps, actor, async (u) => {
    const customer = await u.tx.selectFrom('customers').selectAll()
      .where('account_id', '=', u.accountId).where('id', '=', input.customer).forUpdate().executeTakeFirst();
    if (!customer) throw notFound('customer', input.customer, 'customer');
    const now = await nowFor(deps, u.tx, u.accountId, customer.test_clock_id);
    const row = await u.tx.insertInto('payment_methods').values({
      account_id: u.accountId, id: newId('paymentMethod'), customer_id: customer.id, gateway: gatewayRef,
      gateway_token: input.token, gateway_customer: input.gateway_customer ?? null, brand: card.brand, last4: card.last4,
      exp_month: card.exp_month, exp_year: card.exp_year, country: card.country ?? null, created_at: now,
    }).returningAll().executeTakeFirstOrThrow();
    const view = paymentMethodView(row);
    u.audit('payment_method.attached', 'payment_method', row.id, null, view, now);
    u.emit('payment_method.attached', row.id, view, now);
    if (input.set_default !== false && (customer.default_payment_method_id === null || input.set_default === true)) {
      const updated = await u.tx.updateTable('customers').set({ default_payment_method_id: row.id, updated_at: now, version: customer.version + 1 })
        .where('account_id', '=', u.accountId).where('id', '=', customer.id).returningAll().executeTakeFirstOrThrow();
      u.audit('customer.updated', 'customer', customer.id, customerView(customer), customerView(updated), now);
      u.emit('customer.updated', customer.id, customerView(updated), now);
      await retryWithNewCard(u, customer.id, now);
    }
    return view;
  });
}

export async function listPaymentMethods(deps: Deps, accountId: string, page: Page & { customer: string }) {
  const q = deps.db.selectFrom('payment_methods').selectAll().where('account_id', '=', accountId).where('customer_id', '=', page.customer);
  return await paginate(q, 'id', page, paymentMethodView);
}
