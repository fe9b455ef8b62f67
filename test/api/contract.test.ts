import { TypeCompiler } from '@sinclair/typebox/compiler';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { Customer, Subscription } from '../../src/app/resources.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { errorBody, handleError } from '../../src/http/errors.ts';
import { catalogueMismatch, checkResponses, closed, mismatch } from '../../src/http/response-check.ts';
import { harness } from '../support.ts';

const customer = {
  id: 'cus_1', object: 'customer', email: 'a@example.com', name: null, metadata: { plan: 'gold' }, test_clock: null,
  invoice_settings: { default_payment_method: null }, invoice_prefix: 'ACME', next_invoice_sequence: 1, balance: 0, currency: null,
  address: null, tax_exempt: 'none', tax_ids: [],
  created: '2027-01-01T00:00:00.000Z', updated: '2027-01-01T00:00:00.000Z', discounts: [], disputed: false, open_disputes: 0, time_zone: null, dunning_policy: null, phone: null, notification_preferences: { email: true, sms: false },
};

const h = await harness();

describe('response schemas', () => {
  it('document a success body and the error body for every operation', async () => {
    const doc = (await h.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
    const resolve = (s: any): any => (s?.$ref ? doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] : s);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Customer', 'Price', 'Subscription', 'Invoice', 'Event', 'AuditEntry', 'Error']));
    let operations = 0;
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        operations++;
        const header = (op.parameters ?? []).find((x: { in: string; name: string }) => x.in === 'header' && x.name === 'idempotency-key');
        expect(Boolean(header), `${method} ${p} documents Idempotency-Key`).toBe(method === 'post');
        const pdf = op.responses?.['200']?.content?.['application/pdf']?.schema;
        if (pdf) {
          // A document, not an API object: its body is the file's bytes.
          expect(pdf, `${method} ${p}`).toEqual({ type: 'string', format: 'binary' });
        } else {
          const ok = resolve(op.responses?.['200']?.content?.['application/json']?.schema);
          expect(ok?.type, `${method} ${p}`).toBe('object');
          expect(ok.required, `${method} ${p}`).toContain('object');
        }
        for (const status of ['4XX', '5XX']) {
          const err = resolve(op.responses?.[status]?.content?.['application/json']?.schema);
          expect(err?.properties?.error?.required, `${method} ${p} ${status}`).toEqual(expect.arrayContaining(['type', 'code', 'message', 'param']));
        }
      }
    }
    expect(operations).toBe(170);
    const sub = resolve(doc.paths['/v1/subscriptions/{id}'].get.responses['200'].content['application/json'].schema);
    expect(sub.properties.status.anyOf.flatMap((s: { enum: string[] }) => s.enum)).toEqual(expect.arrayContaining(['trialing', 'active', 'past_due', 'incomplete_expired']));
    expect(sub.properties.current_period_end.anyOf).toEqual(expect.arrayContaining([expect.objectContaining({ format: 'date-time' })]));
  });

  it('are held closed in the check: an undocumented field, a missing one or a wrong value is named', () => {
    const check = TypeCompiler.Compile(closed(Customer));
    expect(mismatch(check, customer)).toBeNull();
    expect(mismatch(check, { ...customer, secret: 'x' })).toMatch(/^\/secret/);
    const { email: _email, ...withoutEmail } = customer;
    expect(mismatch(check, withoutEmail)).toMatch(/^\/email/);
    expect(mismatch(check, { ...customer, created: 'yesterday' })).toMatch(/^\/created/);
    expect(mismatch(check, { ...customer, invoice_settings: { default_payment_method: null, extra: 1 } })).toMatch(/^\/invoice_settings\/extra/);
    // The published schema itself stays open, so that adding a field is not a breaking change.
    expect(mismatch(TypeCompiler.Compile(Customer), { ...customer, secret: 'x' })).toBeNull();
    expect(mismatch(TypeCompiler.Compile(closed(Subscription)), { ...customer, object: 'subscription' })).not.toBeNull();
  });

  it('turn a body that breaks its schema into a 500 naming the field, when checking is on', async () => {
    const app = Fastify();
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    checkResponses(app);
    app.setErrorHandler(handleError);
    app.get('/good', { schema: { response: { 200: Customer } } }, async () => customer);
    app.get('/bad', { schema: { response: { 200: Customer } } }, async () => ({ ...customer, status: 'active' }));
    await app.ready();
    expect((await app.inject('/good')).json()).toEqual(customer);
    const bad = await app.inject('/bad');
    expect(bad.statusCode).toBe(500);
    expect(bad.json().error).toMatchObject({ type: 'api_error', code: 'response_invalid' });
    expect(bad.json().error.message).toContain('/status');
    await app.close();
  });

  it('turn an error answered otherwise than the catalogue says into a 500 naming the code, when checking is on', async () => {
    const app = Fastify();
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    checkResponses(app);
    app.setErrorHandler(handleError);
    const busy = errorBody(new DomainError('payment_in_progress', 'A payment is in progress.'));
    app.get('/right', async (_req, reply) => reply.status(409).send(busy));
    app.get('/wrong-status', async (_req, reply) => reply.status(400).send(busy));
    app.get('/wrong-type', async (_req, reply) => reply.status(409).send({ error: { ...busy.error, type: 'idempotency_error' } }));
    app.get('/unknown', async (_req, reply) => reply.status(400).send({ error: { ...busy.error, code: 'made_up' } }));
    await app.ready();
    expect((await app.inject('/right')).statusCode).toBe(409);
    for (const [url, says] of [['/wrong-status', '400 conflict_error'], ['/wrong-type', '409 idempotency_error'], ['/unknown', "'made_up' is not in the error catalogue"]]) {
      const r = await app.inject(url!);
      expect(r.statusCode, url).toBe(500);
      expect(r.json().error).toMatchObject({ type: 'api_error', code: 'response_invalid' });
      expect(r.json().error.message).toContain(says);
    }
    await app.close();
  });

  it('judge any error body by the catalogue, as the harness does for answers written without serializing', () => {
    expect(catalogueMismatch(400, { error: { type: 'invalid_request_error', code: 'url_invalid' } })).toBeNull();
    expect(catalogueMismatch(404, { error: { type: 'invalid_request_error', code: 'url_invalid' } })).toMatch(/catalogue says 400/);
    expect(catalogueMismatch(200, { error: { code: 'made_up' } })).toBeNull();
  });
});
