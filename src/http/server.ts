import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Deps } from '../app/ports.ts';
import { DomainError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { isRealInstant } from '../domain/timestamp.ts';
import { authHook } from './auth.ts';
import { handleClientError, handleError, handleFrameworkError, sendError } from './errors.ts';
import { guardInput } from './input-guard.ts';
import { registerIdempotency } from './idempotency.ts';
import { componentSchemas } from './components.ts';
import { IdempotencyHeader } from './schemas.ts';
import { checkResponses } from './response-check.ts';
import { billingFailureRoutes } from './routes/billing-failures.ts';
import { jobRoutes } from './routes/jobs.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { customerRoutes } from './routes/customers.ts';
import { invoiceDraftRoutes } from './routes/invoice-drafts.ts';
import { invoiceItemRoutes } from './routes/invoice-items.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { invoicePdfRoutes } from './routes/invoice-pdf.ts';
import { accountRoutes } from './routes/account.ts';
import { invoicePreviewRoutes } from './routes/invoice-previews.ts';
import { taxRateRoutes } from './routes/tax-rates.ts';
import { exchangeRateRoutes } from './routes/exchange-rates.ts';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.ts';
import { gatewayRoutes } from './routes/gateways.ts';
import { routingRuleRoutes } from './routes/routing-rules.ts';
import { couponRoutes } from './routes/coupons.ts';
import { creditNoteRoutes } from './routes/credit-notes.ts';
import { refundRoutes } from './routes/refunds.ts';
import { disputeRoutes } from './routes/disputes.ts';
import { dunningRoutes } from './routes/dunning.ts';
import { analyticsRoutes } from './routes/analytics.ts';
import { entitlementRoutes } from './routes/entitlements.ts';
import { meterRoutes } from './routes/meters.ts';
import { creditGrantRoutes } from './routes/credit-grants.ts';
import { alertRoutes } from './routes/alerts.ts';
import { gatewayWebhookRoutes } from './routes/gateway-webhooks.ts';
import { promotionCodeRoutes } from './routes/promotion-codes.ts';
import { paymentLinkRoutes } from './routes/payment-links.ts';
import { billingPortalRoutes } from './routes/billing-portal.ts';
import { portalRoutes } from './routes/portal.ts';
import { paymentMethodRoutes } from './routes/payment-methods.ts';
import { paymentRoutes } from './routes/payments.ts';
import { recordRoutes } from './routes/records.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { subscriptionScheduleRoutes } from './routes/subscription-schedules.ts';
import { testClockRoutes } from './routes/test-clocks.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { userRoutes } from './routes/users.ts';
import { serveWebApps } from './web-apps.ts';

/** The HTTP API: thin routes over the application services. */
/** `logStream`: where the request log goes (stdout when not given); tests read it back. */
/**
 * `ready`: whether the process has finished what it does at start (reading the revenue books);
 * `GET /health/ready` answers 503 until it has, so that a load balancer sends it no traffic yet.
 */
export async function buildServer(deps: Deps, opts: {
  logLevel?: string; checkResponses?: boolean; logStream?: DestinationStream; ready?: () => boolean;
  /** Proxies trusted to name the client (REBILL_TRUST_PROXY); by default none. */
  trustProxy?: string[] | number | false;
} = {}) {
  const app = Fastify({
    // A hop count as proxy-addr counts hops: the nearest n senders are proxies.
    trustProxy: typeof opts.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (opts.trustProxy as number)) : opts.trustProxy ?? false,
    logger: {
      level: opts.logLevel ?? 'info',
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      // Query strings and headers stay out of logs: they may carry keys or card data.
      serializers: { req: (req: FastifyRequest) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }) },
      // Never a password, a session cookie or a CSRF token, whatever a later serializer adds.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'req.body.password', 'req.body.current_password', 'res.headers["set-cookie"]'],
    },
    genReqId: () => newId('request'),
    bodyLimit: 1_048_576,
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
      // JSON Schema's date-time admits a leap second (23:59:60), which JS Date cannot hold: every
      // timestamp in every route must name a real instant, or it is a 400 on its param.
      onCreate: (ajv) => { ajv.addFormat('date-time', isRealInstant); },
    },
    // Ids are refused by their schema (at most 64 characters, param `id`) rather than by the router.
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Rebill API', version: '1', description: 'Subscription billing and payment automation. Amounts are integers in minor units.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Your secret API key' } } },
      security: [{ apiKey: [] }],
    },
    // Shared schemas appear under components.schemas by their own names, not def-0, def-1, ….
    // Every write takes an Idempotency-Key (checked in idempotency.ts); documented, not re-validated.
    transform: ({ schema, url, route }) => ({ url, schema: [route.method].flat().includes('POST') && schema ? { ...schema, headers: IdempotencyHeader } : schema }),
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  for (const schema of componentSchemas()) app.addSchema(schema);

  // Response schemas document the API and type the client; bodies are written by JSON.stringify
  // all the same, so a field is never silently dropped or coerced on its way out.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  if (opts.checkResponses) checkResponses(app);
  app.setErrorHandler(handleError);
  app.addHook('onRequest', async (req, reply) => { reply.header('request-id', req.id); });
  app.addHook('onRequest', authHook(deps));
  // Card numbers, NUL, lone surrogates and absurd nesting are refused before anything can store or log them.
  app.addHook('preValidation', guardInput);
  registerIdempotency(app, deps.db, deps.webhooks?.secrets);

  app.get('/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { config: { public: true }, schema: { hide: true } }, async () => {
    await deps.db.selectFrom('accounts').select('id').limit(1).execute();
    return { ok: true };
  });
  app.get('/health/ready', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    await deps.db.selectFrom('accounts').select('id').limit(1).execute();
    const ready = opts.ready?.() ?? true;
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  customerRoutes(app, deps);
  catalogRoutes(app, deps);
  paymentMethodRoutes(app, deps);
  subscriptionRoutes(app, deps);
  subscriptionScheduleRoutes(app, deps);
  invoiceRoutes(app, deps);
  invoicePdfRoutes(app, deps);
  accountRoutes(app, deps);
  invoicePreviewRoutes(app, deps);
  taxRateRoutes(app, deps);
  exchangeRateRoutes(app, deps);
  webhookEndpointRoutes(app, deps);
  gatewayRoutes(app, deps);
  routingRuleRoutes(app, deps);
  couponRoutes(app, deps);
  promotionCodeRoutes(app, deps);
  invoiceDraftRoutes(app, deps);
  invoiceItemRoutes(app, deps);
  paymentRoutes(app, deps);
  creditNoteRoutes(app, deps);
  refundRoutes(app, deps);
  disputeRoutes(app, deps);
  dunningRoutes(app, deps);
  analyticsRoutes(app, deps);
  entitlementRoutes(app, deps);
  meterRoutes(app, deps);
  creditGrantRoutes(app, deps);
  alertRoutes(app, deps);
  gatewayWebhookRoutes(app, deps);
  testClockRoutes(app, deps);
  billingFailureRoutes(app, deps);
  jobRoutes(app, deps);
  recordRoutes(app, deps);
  notificationRoutes(app, deps);
  paymentLinkRoutes(app, deps);
  billingPortalRoutes(app, deps);
  portalRoutes(app, deps);
  userRoutes(app, deps);
  sessionRoutes(app, deps);
  await serveWebApps(app);
  app.setNotFoundHandler((req, reply) => sendError(reply, new DomainError('route_missing', `No route ${req.method} ${req.url.split('?')[0]}`)));
  await app.ready();
  return app;
}
