import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { portalAcceptRetention, portalApplyChange, portalCancel, portalPause, portalPreviewChange, portalUpdatePaymentMethod } from '../../app/billing-portal/portal-actions.ts';
import { portalInfo, portalInvoicePdf, portalInvoices, portalSubscriptions } from '../../app/billing-portal/portal-reads.ts';
import * as P from '../../app/billing-portal/portal-resources.ts';
import { openPortalSession, type PortalContext } from '../../app/billing-portal/sessions.ts';
import type { Deps } from '../../app/ports.ts';
import { DomainError } from '../../domain/errors.ts';
import { ref } from '../components.ts';
import { Id, IdParams } from '../schemas.ts';
import type { App } from './types.ts';

declare module 'fastify' {
  interface FastifyRequest { portal?: PortalContext }
}

const answers = <T extends TSchema>(ok: T) => ({ 200: ok, '4xx': ref('Error'), '5xx': ref('Error') });
const Empty = Type.Optional(Type.Object({}, { additionalProperties: false }));
const Change = Type.Object({
  item: Type.Optional(Id('si')), price: Id('price'), quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
}, { additionalProperties: false });

const portalOf = (req: FastifyRequest) => {
  if (!req.portal) throw new Error('portal route reached without a session');
  return req.portal;
};

/**
 * The customer billing portal's API (web/portal calls it). The only credential it takes is the
 * portal session's token as a bearer (the page reads it from the URL's fragment): not an API key,
 * not a dashboard cookie. A header another site's page cannot make a browser send, so there is no
 * cross-site write to guard against. Everything is scoped to the session's (account, customer).
 *
 * Not in the merchant's OpenAPI document: no merchant key can call these, so they do not belong in
 * the client generated for merchants; they follow the portal's screens, and are tested in
 * test/scenarios/billing-portal.test.ts. Writes here take no Idempotency-Key (there is no account
 * principal to keep one under, and every action is safe to repeat or refuses a second time).
 */
export function portalRoutes(app: App, deps: Deps) {
  void app.register(async (scope) => {
    const child = scope.withTypeProvider<TypeBoxTypeProvider>();
    child.addHook('onRequest', async (req) => {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m) throw new DomainError('portal_session_invalid', 'Open the billing portal from the link the merchant gave you.');
      req.portal = await openPortalSession(deps, m[1]!, String(req.id));
    });
    const config = { public: true };
    const hide = true;
    const sub = (path: string) => `/v1/portal/subscriptions/:id/${path}`;

    child.get('/v1/portal/session', { config, schema: { hide, response: answers(P.PortalInfo) } }, async (req) => await portalInfo(deps, portalOf(req)));
    child.get('/v1/portal/subscriptions', { config, schema: { hide, response: answers(P.PortalList(P.PortalSubscription)) } },
      async (req) => ({ object: 'list' as const, data: await portalSubscriptions(deps, portalOf(req)), has_more: false }));
    child.get('/v1/portal/invoices', { config, schema: { hide, response: answers(P.PortalList(P.PortalInvoice)) } }, async (req) => {
      const ctx = portalOf(req);
      if (!ctx.features.invoice_history.enabled) throw new DomainError('portal_feature_disabled', 'This portal does not show invoices.');
      return { object: 'list' as const, data: await portalInvoices(deps, ctx), has_more: false };
    });
    child.get('/v1/portal/invoices/:id/pdf', { config, schema: { hide, params: IdParams } }, async (req, reply) => {
      const ctx = portalOf(req);
      if (!ctx.features.invoice_history.enabled) throw new DomainError('portal_feature_disabled', 'This portal does not show invoices.');
      const pdf = await portalInvoicePdf(deps, ctx, req.params.id);
      return reply.type('application/pdf').header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${req.params.id.replace(/[^A-Za-z0-9_]/g, '')}.pdf"`).send(pdf);
    });
    child.post('/v1/portal/payment_method', {
      config, schema: { hide, response: answers(P.PortalInfo), body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }) },
    }, async (req) => await portalUpdatePaymentMethod(deps, portalOf(req), req.body));
    child.post(sub('preview'), { config, schema: { hide, params: IdParams, body: Change, response: answers(P.PortalPreview) } },
      async (req) => await portalPreviewChange(deps, portalOf(req), req.params.id, req.body));
    child.post(sub('update'), { config, schema: { hide, params: IdParams, body: Change, response: answers(P.PortalSubscription) } },
      async (req) => await portalApplyChange(deps, portalOf(req), req.params.id, req.body));
    child.post(sub('pause'), { config, schema: { hide, params: IdParams, body: Empty, response: answers(P.PortalSubscription) } },
      async (req) => await portalPause(deps, portalOf(req), req.params.id, true));
    child.post(sub('resume'), { config, schema: { hide, params: IdParams, body: Empty, response: answers(P.PortalSubscription) } },
      async (req) => await portalPause(deps, portalOf(req), req.params.id, false));
    child.post(sub('cancel'), { config, schema: { hide, params: IdParams, body: Type.Optional(P.PortalCancelBody), response: answers(P.PortalSubscription) } },
      async (req) => await portalCancel(deps, portalOf(req), req.params.id, req.body ?? {}));
    child.post(sub('accept_retention'), { config, schema: { hide, params: IdParams, body: Empty, response: answers(P.PortalSubscription) } },
      async (req) => await portalAcceptRetention(deps, portalOf(req), req.params.id));
  });
}
