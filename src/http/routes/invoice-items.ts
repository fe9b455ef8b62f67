import { Type } from '@sinclair/typebox';
import { createInvoiceItem, getInvoiceItem, listInvoiceItems } from '../../app/invoicing/invoice-items.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { ItemTaxRates } from '../schemas.ts';
import { Discounts, Id, IdParams, ListQuery, Metadata, Timestamp, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

// A one-off charge or credit: at most 10^12 minor units either way (10 billion USD).
const ItemAmount = Type.Integer({ minimum: -1e12, maximum: 1e12, description: 'Minor units; negative for a credit' });
const Pending = Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: on no invoice yet' });

export function invoiceItemRoutes(app: App, deps: Deps) {
  const tags = ['invoiceitems'];
  app.post('/v1/invoiceitems', {
    config: { permission: 'write' },
    schema: {
      tags, summary: 'Add a one-off charge or credit, pending until an invoice takes it',
      response: replies(ref('InvoiceItem')),
      body: Type.Object({
        customer: Id('cus'),
        amount: Type.Optional(ItemAmount),
        currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3, description: 'With amount' })),
        price: Type.Optional(Id('price')),
        quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'With price; default 1' })),
        description: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
        subscription: Type.Optional(Id('sub')),
        period: Type.Optional(Type.Object({ start: Timestamp, end: Timestamp }, { additionalProperties: false })),
        metadata: Type.Optional(Metadata),
        tax_rates: Type.Optional(ItemTaxRates),
        discounts: Type.Optional(Discounts),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createInvoiceItem(deps, actorOf(req), req.body));

  app.get('/v1/invoiceitems', {
    schema: {
      tags, summary: 'List invoice items', response: replies(R.ListOf(ref('InvoiceItem'))),
      querystring: ListQuery({
        customer: Type.Optional(Type.String({ maxLength: 64 })), invoice: Type.Optional(Type.String({ maxLength: 64 })),
        pending: Type.Optional(Pending),
      }),
    },
  }, async (req) => await listInvoiceItems(deps, actorOf(req).accountId, {
    ...pageOf(req.query), customer: req.query.customer, invoice: req.query.invoice,
    pending: req.query.pending === undefined ? undefined : req.query.pending === 'true',
  }));

  app.get('/v1/invoiceitems/:id', {
    schema: { tags, summary: 'Retrieve an invoice item', response: replies(ref('InvoiceItem')), params: IdParams },
  }, async (req) => await getInvoiceItem(deps, actorOf(req).accountId, req.params.id));
}
