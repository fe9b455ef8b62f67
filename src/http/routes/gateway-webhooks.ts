import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { receiveGatewayWebhook } from '../../app/gateway-events/receive.ts';
import type { Deps } from '../../app/ports.ts';
import { replies } from '../schemas.ts';
import type { App } from './types.ts';

declare module 'fastify' {
  interface FastifyRequest { rawBody?: Buffer }
}

const headersOf = (req: FastifyRequest): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v]));

/**
 * Where processors send their webhooks, one URL per configured gateway. No API key: the
 * signature checked by the gateway's adapter is the authentication. The body is kept as the
 * exact bytes received (every processor signs those bytes), so this route has its own body
 * parser, for any content type, in its own scope; the rest of the API still parses JSON.
 */
export function gatewayWebhookRoutes(app: App, deps: Deps) {
  app.register(async (scope: App) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
      req.rawBody = body as Buffer;
      done(null, undefined);
    });
    scope.post('/v1/gateway_webhooks/:gateway_id', {
      config: { public: true },
      schema: {
        tags: ['gateway webhooks'], security: [],
        summary: 'Receive a webhook from a payment processor (Stripe, Razorpay, a custom gateway): verified by its signature, stored once, processed in the background',
        params: Type.Object({ gateway_id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: replies(Type.Object({
          object: Type.Literal('gateway_webhook_receipt'),
          received: Type.Integer({ minimum: 0, description: 'Events stored now, to be processed' }),
          duplicates: Type.Integer({ minimum: 0, description: 'Events already stored from an earlier delivery, ignored' }),
        })),
      },
    }, async (req) => await receiveGatewayWebhook(deps, req.params.gateway_id,
      { rawBody: req.rawBody ?? Buffer.alloc(0), headers: headersOf(req), path: req.url }, String(req.id)));
  });
}
