import { Type } from '@sinclair/typebox';
import { createPreview } from '../../app/invoicing/preview.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Discounts, Id, SubscriptionChangeFields, replies } from '../schemas.ts';
import type { App } from './types.ts';

export function invoicePreviewRoutes(app: App, deps: Deps) {
  app.post('/v1/invoices/create_preview', {
    // A preview writes nothing, so any key that may read may ask for one.
    config: { permission: 'read' },
    schema: {
      tags: ['invoices'], summary: 'Preview the invoice a subscription change would produce, or the next renewal; writes nothing',
      response: replies(ref('Invoice')),
      body: Type.Object({
        customer: Type.Optional(Id('cus')),
        subscription: Type.Optional(Id('sub')),
        subscription_details: Type.Optional(Type.Object({ ...SubscriptionChangeFields, discounts: Type.Optional(Discounts) }, { additionalProperties: false })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createPreview(deps, actorOf(req).accountId, req.body));
}
