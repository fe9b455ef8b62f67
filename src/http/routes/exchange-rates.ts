import { Type } from '@sinclair/typebox';
import { createExchangeRate, getExchangeRate, listExchangeRates } from '../../app/analytics/exchange-rates.ts';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { IdParams, ListQuery, pageOf, replies } from '../schemas.ts';
import type { App } from './types.ts';

// Currencies are checked against ISO 4217 by the service, which names the param in its error.
const CurrencyCode = (description: string) => Type.String({ maxLength: 8, description });

export function exchangeRateRoutes(app: App, deps: Deps) {
  const tags = ['exchange rates'];
  // Rates decide reported revenue, as tax rates decide invoices: the same roles (admin, finance) upload them.
  app.post('/v1/exchange_rates', {
    config: { permission: 'catalog' },
    schema: {
      tags, summary: 'Upload an exchange rate for a day (rates are history: one per pair and day, never replaced)', response: replies(ref('ExchangeRate')),
      body: Type.Object({
        base_currency: CurrencyCode('ISO 4217 code of the currency one unit of which is priced'),
        quote_currency: CurrencyCode('ISO 4217 code of the currency the rate is expressed in'),
        rate: Type.Union([Type.String({ maxLength: 32 }), Type.Number()], { description: 'quote_currency units per base_currency unit, > 0, up to 12 decimals, e.g. "1.0850"' }),
        effective_date: Type.String({ maxLength: 10, description: 'YYYY-MM-DD: the rate applies from 00:00 UTC of this day until the pair\'s next rate' }),
      }, { additionalProperties: false }),
    },
  }, async (req) => await createExchangeRate(deps, actorOf(req), req.body));

  app.get('/v1/exchange_rates', {
    schema: {
      tags, summary: 'List exchange rates, newest first', response: replies(R.ListOf(ref('ExchangeRate'))),
      querystring: ListQuery({ base_currency: Type.Optional(CurrencyCode('Only rates of this base currency')), quote_currency: Type.Optional(CurrencyCode('Only rates into this currency')) }),
    },
  }, async (req) => await listExchangeRates(deps, actorOf(req).accountId, { ...pageOf(req.query), base_currency: req.query.base_currency, quote_currency: req.query.quote_currency }));

  app.get('/v1/exchange_rates/:id', { schema: { tags, summary: 'Retrieve an exchange rate', response: replies(ref('ExchangeRate')), params: IdParams } },
    async (req) => await getExchangeRate(deps, actorOf(req).accountId, req.params.id));
}
