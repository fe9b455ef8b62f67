import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import { attachPaymentMethod, listPaymentMethods } from '../../app/customers/payment-methods.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { Id, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function paymentMethodRoutes(app: App, deps: Deps) {
  const tags = ['payment_methods'];
  app.post('/v1/payment_methods', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Attach a gateway token to a customer (card numbers are refused)', response: replies(ref('PaymentMethod')),
      body: Type.Object({
        customer: Id('cus'), token: Type.String({ minLength: 1, maxLength: 255, description: "The gateway's token: tok_visa in the sandbox, pm_… for Stripe, token_… for Razorpay" }),
        gateway: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The gateway the token belongs to (gw_…); default: the built-in sandbox' })),
        gateway_customer: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "The processor's customer id (cus_…, cust_…): off-session charges of a saved method need it" })),
        set_default: Type.Optional(Type.Boolean()),
      }, { additionalProperties: false }),
    },
  }, async (req) => await attachPaymentMethod(deps, actorOf(req), req.body));

  app.get('/v1/payment_methods', {
    schema: { tags, summary: "List a customer's payment methods", response: replies(R.ListOf(ref('PaymentMethod'))), querystring: ListQuery({ customer: Id('cus') }) },
  }, async (req) => await listPaymentMethods(deps, actorOf(req).accountId, { ...pageOf(req.query), customer: req.query.customer }));
}
