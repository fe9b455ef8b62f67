import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Deps } from '../app/ports.ts';
import { findCardNumber, findInInput } from '../domain/card-number.ts';
import { DomainError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { authHook } from './auth.ts';
import { handleError } from './errors.ts';
import { registerIdempotency } from './idempotency.ts';
import { componentSchemas } from './components.ts';
import { IdempotencyHeader } from './schemas.ts';
import { checkResponses } from './response-check.ts';
import { billingFailureRoutes } from './routes/billing-failures.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { customerRoutes } from './routes/customers.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { paymentMethodRoutes } from './routes/payment-methods.ts';
import { paymentRoutes } from './routes/payments.ts';
import { recordRoutes } from './routes/records.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { testClockRoutes } from './routes/test-clocks.ts';

/** The path of the first string or key holding U+0000 (PostgreSQL text cannot store it), or null. */
const findNul = (value: unknown): string | null => findInInput(value, (text) => text.includes('\u0000'));

/** The HTTP API: thin routes over the application services. */
export async function buildServer(deps: Deps, opts: { logLevel?: string; checkResponses?: boolean } = {}) {
  const app = Fastify({
    logger: {
      level: opts.logLevel ?? 'info',
      // Query strings and headers stay out of logs: they may carry keys or card data.
      serializers: { req: (req: FastifyRequest) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }) },
      redact: ['req.headers.authorization'],
    },
    genReqId: () => newId('request'),
    bodyLimit: 1_048_576,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
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
  app.addHook('onRequest', authHook(deps.db));
  // Refuse raw card numbers anywhere in the input before anything can store or log them.
  // Path params count too: an id is echoed in error messages and kept with an Idempotency-Key's path.
  app.addHook('preValidation', async (req) => {
    const where = findCardNumber(req.body) ?? findCardNumber(req.query) ?? findCardNumber(req.params);
    if (where) throw new DomainError('invalid_request_error', 'card_number_refused', 'Raw card numbers are not accepted; send a gateway token instead.', where);
    // PostgreSQL text cannot hold U+0000: refuse it here rather than fail with a 500 at the insert.
    const nul = findNul(req.body) ?? findNul(req.query) ?? findNul(req.params);
    if (nul) throw new DomainError('invalid_request_error', 'parameter_invalid', `Invalid ${nul}: text may not contain the NUL character (U+0000).`, nul);
    // A POST whose params are all optional (cancel, pay, void, create customer) may come without a body.
    if (req.method === 'POST' && req.body === undefined) req.body = {};
  });
  registerIdempotency(app, deps.db);

  app.get('/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { config: { public: true }, schema: { hide: true } }, async () => {
    await deps.db.selectFrom('accounts').select('id').limit(1).execute();
    return { ok: true };
  });

  customerRoutes(app, deps);
  catalogRoutes(app, deps);
  paymentMethodRoutes(app, deps);
  subscriptionRoutes(app, deps);
  invoiceRoutes(app, deps);
  paymentRoutes(app, deps);
  testClockRoutes(app, deps);
  billingFailureRoutes(app, deps);
  recordRoutes(app, deps);
  app.setNotFoundHandler((req, reply) => reply.status(404).send({
    error: { type: 'invalid_request_error', code: 'route_missing', message: `No route ${req.method} ${req.url.split('?')[0]}`, param: null },
  }));
  await app.ready();
  return app;
}
