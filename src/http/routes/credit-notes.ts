import { Type } from '@sinclair/typebox';
import { createCreditNote, getCreditNote, listCreditNotes, previewCreditNote, voidCreditNote } from '../../app/invoicing/credit-notes.ts';
import type { CreditNoteInput } from '../../app/invoicing/credit-note-plan.ts';
import { creditNotePdf } from '../../app/invoicing/credit-note-pdf.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { invalid } from '../../domain/errors.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Amount, Id, IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Positive = Type.Integer({ minimum: 1, maximum: 1e15, description: 'Minor units' });
const Reason = Type.Union(R.CREDIT_NOTE_REASONS.map((r) => Type.Literal(r)));

const Fields = {
  invoice: Id('in'),
  lines: Type.Optional(Type.Array(Type.Object({
    invoice_line: Id('il'), quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })), amount: Type.Optional(Positive),
  }, { additionalProperties: false }), { minItems: 1, maxItems: 100, description: 'Lines of the invoice to credit, each by quantity or by amount (before discounts and tax)' })),
  amount: Type.Optional(Type.Union([Positive], { description: 'Instead of lines: a total (tax included) taken from the whole invoice, its taxes and discounts in proportion' })),
  reason: Type.Optional(Reason),
  refund_amount: Type.Optional(Amount), credit_amount: Type.Optional(Amount), out_of_band_amount: Type.Optional(Amount),
  memo: Type.Optional(Type.String({ maxLength: 500 })),
};

const AmountText = /^[0-9]{1,15}$/;
const LineKey = /^lines\[([0-9]{1,2})\]\[(invoice_line|quantity|amount)\]$/;

/** The preview's query string (Stripe's bracket form, `lines[0][amount]=500`) as a request body. */
function fromQuery(q: Record<string, string>): CreditNoteInput {
  const int = (k: string) => {
    const v = q[k];
    if (v === undefined) return undefined;
    if (!AmountText.test(v)) throw invalid('parameter_invalid', `${k} must be a whole number of minor units`, k);
    return Number(v);
  };
  const lines: { invoice_line: string; quantity?: number | undefined; amount?: number | undefined }[] = [];
  for (const k of Object.keys(q)) {
    const m = LineKey.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    lines[i] ??= { invoice_line: '' };
    if (m[2] === 'invoice_line') lines[i]!.invoice_line = q[k]!;
    else lines[i]![m[2] as 'quantity' | 'amount'] = int(k);
  }
  const dense = Array.from(lines, (l, i) => {
    if (!l?.invoice_line) throw invalid('parameter_missing', `lines[${i}][invoice_line] is missing`, `lines[${i}][invoice_line]`);
    return l;
  });
  return {
    invoice: q.invoice!, lines: dense.length ? dense : undefined, amount: int('amount'), reason: q.reason as CreditNoteInput['reason'],
    refund_amount: int('refund_amount'), credit_amount: int('credit_amount'), out_of_band_amount: int('out_of_band_amount'), memo: q.memo,
  };
}

export function creditNoteRoutes(app: App, deps: Deps) {
  const tags = ['credit_notes'];
  app.post('/v1/credit_notes', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Issue a credit note on an open invoice (lowers what is due) or a paid one (refund, balance credit, or money returned outside Rebill)',
      response: replies(ref('CreditNote')),
      body: Type.Object({ ...Fields, metadata: Type.Optional(Metadata) }, { additionalProperties: false }),
    },
  }, async (req) => await createCreditNote(deps, actorOf(req), req.body));

  app.get('/v1/credit_notes/preview', {
    schema: {
      tags, summary: 'Preview a credit note: the same parameters as creating one, in the query string (lines[0][amount]=…); writes nothing',
      response: replies(ref('CreditNote')),
      querystring: Type.Object({
        invoice: Id('in'), amount: Type.Optional(Type.String({ maxLength: 16 })), reason: Type.Optional(Reason),
        refund_amount: Type.Optional(Type.String({ maxLength: 16 })), credit_amount: Type.Optional(Type.String({ maxLength: 16 })),
        out_of_band_amount: Type.Optional(Type.String({ maxLength: 16 })), memo: Type.Optional(Type.String({ maxLength: 500 })),
      }, { additionalProperties: false, patternProperties: { [LineKey.source]: Type.String({ maxLength: 64 }) } }),
    },
  }, async (req) => await previewCreditNote(deps, actorOf(req).accountId, fromQuery(req.query as Record<string, string>)));

  app.get('/v1/credit_notes', {
    schema: {
      tags, summary: 'List credit notes, newest first', response: replies(R.ListOf(ref('CreditNote'))),
      querystring: ListQuery({ invoice: Type.Optional(Type.String({ maxLength: 64 })), customer: Type.Optional(Type.String({ maxLength: 64 })) }),
    },
  }, async (req) => await listCreditNotes(deps, actorOf(req).accountId, { ...pageOf(req.query), invoice: req.query.invoice, customer: req.query.customer }));

  app.get('/v1/credit_notes/:id', { schema: { tags, summary: 'Retrieve a credit note', response: replies(ref('CreditNote')), params: IdParams } },
    async (req) => await getCreditNote(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/credit_notes/:id/void', {
    config: { permission: 'billing' },
    schema: {
      tags, summary: 'Void a credit note that refunded nothing: what it took off an open invoice, or credited to the balance, is put back',
      response: replies(ref('CreditNote')), params: IdParams, body: Type.Optional(Type.Object({}, { additionalProperties: false })),
    },
  }, async (req) => await voidCreditNote(deps, actorOf(req), req.params.id));

  app.get('/v1/credit_notes/:id/pdf', {
    schema: {
      tags, summary: 'Download a credit note as a PDF', params: IdParams,
      response: {
        200: { description: 'The credit note as a PDF document', content: { 'application/pdf': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } } },
        '4xx': ref('Error'), '5xx': ref('Error'),
      },
    },
  }, async (req, reply) => {
    const pdf = await creditNotePdf(deps, actorOf(req).accountId, req.params.id);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="${req.params.id.replace(/[^A-Za-z0-9_]/g, '')}.pdf"`).send(pdf);
  });
}
