import { Type } from '@sinclair/typebox';
import { getAccount, updateAccount } from '../../app/accounts/settings.ts';
import type { Deps } from '../../app/ports.ts';
import { ref } from '../components.ts';
import { actorOf } from '../auth.ts';
import { replies } from '../schemas.ts';
import type { App } from './types.ts';

const Text = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()]);
const Address = Type.Object({
  line1: Type.Optional(Text(200)), line2: Type.Optional(Text(200)), city: Type.Optional(Text(100)),
  state: Type.Optional(Text(100)), postal_code: Type.Optional(Text(20)),
  country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. DE' }), Type.Null()])),
}, { additionalProperties: false, description: 'Replaces the whole address; fields not given become null' });

export function accountRoutes(app: App, deps: Deps) {
  const tags = ['account'];
  app.get('/v1/account', { schema: { tags, summary: 'Retrieve your account\'s details, as printed on invoices', response: replies(ref('Account')) } },
    async (req) => await getAccount(deps, actorOf(req).accountId));

  app.post('/v1/account', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Update your account\'s name, email, address, tax id and renewal reminder lead', response: replies(ref('Account')),
      body: Type.Object({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()])),
        address: Type.Optional(Type.Union([Address, Type.Null()])), tax_id: Type.Optional(Text(64)),
        renewal_reminder_days: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 60, description: 'Days before a renewal its reminder is sent, every plan' }), Type.Null()], { description: 'null: 7 days, or 30 for yearly plans' })),
        late_usage_policy: Type.Optional(Type.Union([Type.Literal('next_invoice'), Type.Literal('credit_note')], { description: 'Usage that changes a period already invoiced: next_invoice (an adjustment line on the next invoice) or credit_note (a credit note, or an invoice for the difference, at once)' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await updateAccount(deps, actorOf(req), req.body ?? {}));
}
