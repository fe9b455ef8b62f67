import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import { INVOICE_PREFIX_PATTERN } from '../../domain/invoice-number.ts';
import { adjustBalance, getBalanceTransaction, listBalanceTransactions } from '../../app/customers/balance.ts';
import { createCustomer, getCustomer, listCustomers, updateCustomer } from '../../app/customers/customers.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { CustomerTaxFields } from '../schemas.ts';
import { Discounts, Id, IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Email = Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()]);
const Name = Type.Union([Type.String({ maxLength: 256 }), Type.Null()]);
const InvoicePrefix = Type.String({ pattern: INVOICE_PREFIX_PATTERN, description: '3–12 capitals or digits, unique in the account; generated when not given' });
// Non-zero: an adjustment that changes nothing would still be a transaction in the ledger.
const Adjustment = Type.Integer({
  minimum: -1e12, maximum: 1e12, not: { const: 0 },
  description: 'Minor units, non-zero, at most 10^12 either way: negative credits the customer, positive adds to what they owe',
});
const TxnParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), txn: Type.String({ minLength: 1, maxLength: 64 }) });
// Where messages go (docs/notifications.md): a phone in E.164, and the channels the customer accepts.
const NotificationFields = {
  phone: Type.Optional(Type.Union([Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +14155550100' }), Type.Null()])),
  notification_preferences: Type.Optional(Type.Object({ email: Type.Optional(Type.Boolean()), sms: Type.Optional(Type.Boolean()) }, {
    additionalProperties: false, description: 'Channels given are set; the others keep their value (email on, sms off by default)',
  })),
};
const DunningFields = {
  time_zone: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Paris' }), Type.Null()])),
  dunning_policy: Type.Optional(Type.Union([Id('dpol'), Type.Null()])),
};
const InvoiceSettings = Type.Object({ default_payment_method: Type.Optional(Type.Union([Id('pm'), Type.Null()])) }, { additionalProperties: false });

export function customerRoutes(app: App, deps: Deps) {
  const tags = ['customers'];
  app.post('/v1/customers', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Create a customer', response: replies(ref('Customer')),
      body: Type.Object({
        email: Type.Optional(Email), name: Type.Optional(Name), metadata: Type.Optional(Metadata),
        test_clock: Type.Optional(Id('clock')), invoice_settings: Type.Optional(InvoiceSettings), invoice_prefix: Type.Optional(InvoicePrefix),
        ...CustomerTaxFields, ...NotificationFields, ...DunningFields,
        discounts: Type.Optional(Discounts),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createCustomer(deps, actorOf(req), req.body ?? {}));

  app.get('/v1/customers', {
    schema: { tags, summary: 'List customers', response: replies(R.ListOf(ref('Customer'))), querystring: ListQuery({ email: Type.Optional(Type.String({ maxLength: 320 })) }) },
  }, async (req) => await listCustomers(deps, actorOf(req).accountId, { ...pageOf(req.query), email: req.query.email }));

  app.get('/v1/customers/:id', { schema: { tags, summary: 'Retrieve a customer', response: replies(ref('Customer')), params: IdParams } },
    async (req) => await getCustomer(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/customers/:id', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Update a customer', response: replies(ref('Customer')), params: IdParams,
      body: Type.Object({
        email: Type.Optional(Email), name: Type.Optional(Name), metadata: Type.Optional(Metadata),
        invoice_settings: Type.Optional(InvoiceSettings), invoice_prefix: Type.Optional(InvoicePrefix),
        ...CustomerTaxFields, ...NotificationFields, ...DunningFields,
        discounts: Type.Optional(Discounts),
      }, { additionalProperties: false }),
    },
  }, async (req) => await updateCustomer(deps, actorOf(req), req.params.id, req.body ?? {}));

  app.post('/v1/customers/:id/balance_transactions', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Adjust a customer\'s balance: credit it (negative) or add to what they owe (positive)',
      response: replies(ref('CustomerBalanceTransaction')), params: IdParams,
      body: Type.Object({
        amount: Adjustment, currency: Type.String({ minLength: 3, maxLength: 3, description: 'ISO 4217; the balance\'s own currency when it is not zero' }),
        description: Type.Optional(Type.Union([Type.String({ maxLength: 350 }), Type.Null()])), metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await adjustBalance(deps, actorOf(req), req.params.id, req.body));

  app.get('/v1/customers/:id/balance_transactions', {
    schema: {
      tags, summary: 'List a customer\'s balance transactions, newest first', params: IdParams, querystring: ListQuery(),
      response: replies(R.ListOf(ref('CustomerBalanceTransaction'))),
    },
  }, async (req) => await listBalanceTransactions(deps, actorOf(req).accountId, req.params.id, pageOf(req.query)));

  app.get('/v1/customers/:id/balance_transactions/:txn', {
    schema: { tags, summary: 'Retrieve a customer\'s balance transaction', response: replies(ref('CustomerBalanceTransaction')), params: TxnParams },
  }, async (req) => await getBalanceTransaction(deps, actorOf(req).accountId, req.params.id, req.params.txn));
}
