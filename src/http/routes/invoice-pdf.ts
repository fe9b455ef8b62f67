import { Type } from '@sinclair/typebox';
import { invoicePdf } from '../../app/invoicing/pdf.ts';
import type { Deps } from '../../app/ports.ts';
import { ref } from '../components.ts';
import { actorOf } from '../auth.ts';
import { IdParams } from '../schemas.ts';
import type { App } from './types.ts';

export function invoicePdfRoutes(app: App, deps: Deps) {
  app.get('/v1/invoices/:id/pdf', {
    schema: {
      tags: ['invoices'], summary: 'Download an invoice as a PDF (a draft is marked DRAFT)', params: IdParams,
      response: {
        200: { description: 'The invoice as a PDF document', content: { 'application/pdf': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } } },
        '4xx': ref('Error'), '5xx': ref('Error'),
      },
    },
  }, async (req, reply) => {
    const pdf = await invoicePdf(deps, actorOf(req).accountId, req.params.id);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="${req.params.id.replace(/[^A-Za-z0-9_]/g, '')}.pdf"`).send(pdf);
  });
}
