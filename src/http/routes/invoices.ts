import { Type } from '@sinclair/typebox';
import * as R from '../../app/resources.ts';
import { ref } from '../components.ts';
import { getInvoice, listInvoices, payInvoice, voidInvoice } from '../../app/invoicing/invoices.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { Id, IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function invoiceRoutes(app: App, deps: Deps) {
  const tags = ['invoices'];
  app.get('/v1/invoices', {
    schema: {
      tags, summary: 'List invoices', response: replies(R.ListOf(ref('Invoice'))),
      querystring: ListQuery({
        customer: Type.Optional(Type.String({ maxLength: 64 })), subscription: Type.Optional(Type.String({ maxLength: 64 })), status: Type.Optional(R.InvoiceStatus),
        number: Type.Optional(Type.String({ maxLength: 32, description: 'The invoice number, e.g. 7QK2M4XA-0001' })),
      }),
    },
  }, async (req) => await listInvoices(deps, actorOf(req).accountId, {
    ...pageOf(req.query), customer: req.query.customer, subscription: req.query.subscription, status: req.query.status, number: req.query.number,
  }));

  app.get('/v1/invoices/:id', { schema: { tags, summary: 'Retrieve an invoice with its lines', response: replies(ref('Invoice')), params: IdParams } },
    async (req) => await getInvoice(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/invoices/:id/pay', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Charge an open (or uncollectible) invoice now', response: replies(ref('Invoice')),
      params: IdParams,
      body: Type.Optional(Type.Object({ payment_method: Type.Optional(Id('pm')) }, { additionalProperties: false })),
    },
  }, async (req) => await payInvoice(deps, actorOf(req), req.params.id, req.body ?? {}));

  app.post('/v1/invoices/:id/void', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Void a draft (its items become pending again) or an open invoice', response: replies(ref('Invoice')),
      params: IdParams, body: Type.Optional(Type.Object({}, { additionalProperties: false })),
    },
  }, async (req) => await voidInvoice(deps, actorOf(req), req.params.id));
}
