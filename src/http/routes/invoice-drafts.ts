import { Type } from '@sinclair/typebox';
import { createInvoice, finalizeInvoice, markUncollectible, updateInvoice } from '../../app/invoicing/drafts.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { AutomaticTax } from '../schemas.ts';
import { Discounts, Id, IdParams, replies } from '../schemas.ts';
import type { App } from './types.ts';

const CollectionMethod = Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')]);
const DaysUntilDue = Type.Integer({ minimum: 0, maximum: 3650, description: 'send_invoice: days to pay' });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const NoBody = Type.Optional(Type.Object({}, { additionalProperties: false }));

/** Invoices made by hand: a draft of the customer's pending items, edited, then finalized. */
export function invoiceDraftRoutes(app: App, deps: Deps) {
  const tags = ['invoices'];
  app.post('/v1/invoices', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Make a draft invoice of the customer\'s pending invoice items', response: replies(ref('Invoice')),
      body: Type.Object({
        customer: Id('cus'),
        collection_method: Type.Optional(CollectionMethod),
        days_until_due: Type.Optional(DaysUntilDue),
        auto_advance: Type.Optional(Type.Boolean({ description: 'true: finalize (and charge) at once' })),
        description: Type.Optional(Description),
        subscription: Type.Optional(Id('sub')),
        currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3, description: 'Default: oldest item\'s' })),
        automatic_tax: Type.Optional(AutomaticTax),
        discounts: Type.Optional(Type.Array(Discounts.items, { maxItems: 5, description: 'The invoice\'s own discounts, for all its lines ([] none); omitted, the customer\'s apply' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createInvoice(deps, actorOf(req), req.body));

  app.post('/v1/invoices/:id', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Edit a draft invoice', response: replies(ref('Invoice')), params: IdParams,
      body: Type.Optional(Type.Object({
        description: Type.Optional(Description),
        collection_method: Type.Optional(CollectionMethod),
        days_until_due: Type.Optional(Type.Union([DaysUntilDue, Type.Null()])),
        auto_advance: Type.Optional(Type.Boolean()),
        discounts: Type.Optional(Type.Array(Discounts.items, { maxItems: 5, description: 'Prices the draft again with these discounts, for all its lines ([] none)' })),
      }, { additionalProperties: false })),
    },
  }, async (req) => await updateInvoice(deps, actorOf(req), req.params.id, req.body ?? {}));

  app.post('/v1/invoices/:id/finalize', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Finalize a draft: number it, apply the customer\'s balance, start collection',
      response: replies(ref('Invoice')), params: IdParams, body: NoBody,
    },
  }, async (req) => await finalizeInvoice(deps, actorOf(req), req.params.id));

  app.post('/v1/invoices/:id/mark_uncollectible', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Mark an open invoice uncollectible (it can still be paid)', response: replies(ref('Invoice')),
      params: IdParams, body: NoBody,
    },
  }, async (req) => await markUncollectible(deps, actorOf(req), req.params.id));
}
