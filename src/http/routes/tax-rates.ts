import { Type } from '@sinclair/typebox';
import { createTaxRate, getTaxRate, listTaxRates, updateTaxRate } from '../../app/catalog/tax-rates.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, Metadata, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

const Text = (max: number) => Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: max }), Type.Null()]));

export function taxRateRoutes(app: App, deps: Deps) {
  const tags = ['tax rates'];
  app.post('/v1/tax_rates', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Register a tax rate', response: replies(ref('TaxRate')),
      body: Type.Object({
        display_name: Type.String({ minLength: 1, maxLength: 100 }),
        percentage: Type.Union([Type.String({ maxLength: 12 }), Type.Number()], { description: '0–100 with up to 4 decimals, e.g. "8.875"' }),
        inclusive: Type.Boolean({ description: 'Included in prices (VAT-style) rather than added on top' }),
        description: Text(500), country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{2}$' }), Type.Null()])),
        state: Text(100), jurisdiction: Text(100), tax_type: Text(50), active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createTaxRate(deps, actorOf(req), req.body));

  app.get('/v1/tax_rates', {
    schema: { tags, summary: 'List tax rates', response: replies(R.ListOf(ref('TaxRate'))), querystring: ListQuery({ active: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }) },
  }, async (req) => await listTaxRates(deps, actorOf(req).accountId, { ...pageOf(req.query), active: req.query.active === undefined ? undefined : req.query.active === 'true' }));

  app.get('/v1/tax_rates/:id', { schema: { tags, summary: 'Retrieve a tax rate', response: replies(ref('TaxRate')), params: IdParams } },
    async (req) => await getTaxRate(deps, actorOf(req).accountId, req.params.id));

  app.post('/v1/tax_rates/:id', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Rename, describe, archive or reactivate a tax rate (its percentage never changes)', response: replies(ref('TaxRate')), params: IdParams,
      body: Type.Object({
        display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), description: Text(500),
        active: Type.Optional(Type.Boolean()), metadata: Type.Optional(Metadata),
      }, { additionalProperties: false }),
    },
  }, async (req) => await updateTaxRate(deps, actorOf(req), req.params.id, req.body));
}
