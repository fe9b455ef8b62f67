import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { showUpdatePage, submitUpdatePage, type Page } from '../../app/payment-links/hosted.ts';
import { createPaymentLink, getPaymentLink } from '../../app/payment-links/links.ts';
import { PAGE_CSP } from '../../app/payment-links/page-html.ts';
import type { Deps } from '../../app/ports.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { Id, IdParams, replies } from '../schemas.ts';
import type { App } from './types.ts';

/** A page for a person, not the API: no framing, no caching, no referrer that would carry the token on. */
function sendPage(reply: FastifyReply, page: Page) {
  return reply.code(page.status).type('text/html; charset=utf-8').headers({
    'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer',
    'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
  }).send(page.html);
}

/** Only the form's two text fields are read; anything else a client sends is ignored. */
const formOf = (body: unknown) => {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 64) : undefined);
  return { card_number: text(b.card_number), expiry: text(b.expiry) };
};

/** Card-update links for the merchant (API), and the hosted page they open (no API key: the signed token is the credential). */
export function paymentLinkRoutes(app: App, deps: Deps) {
  const tags = ['payment_links'];
  app.post('/v1/payment_links/update_payment_method', {
    // The answer holds the link's URL, a credential: an idempotent replay keeps it sealed.
    config: { permission: 'write', secretInAnswer: true },
    schema: {
      tags, summary: 'Make a signed, single-use, expiring link to a page where the customer saves a new card and pays what is open',
      response: replies(ref('PaymentLink')),
      body: Type.Object({
        customer: Id('cus'),
        expires_at: Type.Optional(Type.String({ format: 'date-time', description: "Default: 7 days from now in the customer's business time; at most 30 days" })),
        return_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) address the finished page links back to' })),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createPaymentLink(deps, actorOf(req), req.body));

  app.get('/v1/payment_links/:id', { schema: { tags, summary: 'Retrieve a card-update link (with its URL and whether it is active, used or expired)', params: IdParams, response: replies(ref('PaymentLink')) } },
    async (req) => await getPaymentLink(deps, actorOf(req).accountId, req.params.id));

  void app.register(async (child) => {
    // A plain HTML form posts application/x-www-form-urlencoded; parsed here for these routes only.
    child.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    const config = { public: true, cardField: 'card_number' };
    // No params schema: whatever the path holds, a bad token gets the same plain page, not JSON.
    const schema = { hide: true };
    child.get('/pay/update/:token', { config, schema }, async (req, reply) => sendPage(reply, await showUpdatePage(deps, (req.params as { token: string }).token)));
    child.post('/pay/update/:token', { config, schema }, async (req, reply) => sendPage(reply, await submitUpdatePage(deps, (req.params as { token: string }).token, formOf(req.body))));
  });
}
