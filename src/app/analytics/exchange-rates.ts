// Exchange rates the merchant uploads (issue 19): create, list, retrieve. Rates are history,
// never replaced or deleted, so a report is reproducible; analytics reads them through
// exchange.ts.
import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { parseDay, parseRate } from '../../domain/exchange.ts';
import { newId } from '../../domain/ids.ts';
import { conflict, notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { command } from '../unit-of-work.ts';
import type { Row } from '../views.ts';

export type ExchangeRateInput = { base_currency: string; quote_currency: string; rate: string | number; effective_date: string };

export const exchangeRateView = (r: Row<'exchange_rates'>): R.ExchangeRateObject => ({
  id: r.id, object: 'exchange_rate', base_currency: r.base_currency, quote_currency: r.quote_currency,
  rate: r.rate, effective_date: r.effective_date, created: r.created_at.toISOString(),
});

export async function createExchangeRate(deps: Deps, actor: Actor, input: ExchangeRateInput) {
  const base = normalizeCurrency(input.base_currency, 'base_currency');
  const quote = normalizeCurrency(input.quote_currency, 'quote_currency');
  if (base === quote) throw invalid('parameter_invalid', `quote_currency must differ from base_currency (both are ${base}).`, 'quote_currency');
  const rate = parseRate(input.rate, 'rate');
  const day = parseDay(input.effective_date, 'effective_date');
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    // ON CONFLICT: a second upload of the day (even a concurrent one) is refused without aborting the transaction.
    const row = await u.tx.insertInto('exchange_rates').values({
      account_id: u.accountId, id: newId('exchangeRate'), base_currency: base, quote_currency: quote, rate, effective_date: day, created_at: now,
    }).onConflict((oc) => oc.columns(['account_id', 'base_currency', 'quote_currency', 'effective_date']).doNothing())
      .returningAll().executeTakeFirst();
    if (!row) {
      throw conflict('exchange_rate_exists', `${base}→${quote} already has a rate effective ${day}; rates are history and are not replaced.`, 'effective_date');
    }
    const view = exchangeRateView(row);
    u.audit('exchange_rate.created', 'exchange_rate', row.id, null, view, now);
    u.emit('exchange_rate.created', row.id, view, now);
    return view;
  });
}

export async function getExchangeRate(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('exchange_rates').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('exchange rate', id, 'id');
  return exchangeRateView(row);
}

/** Newest first; only one pair, or one side of pairs, when asked. */
export async function listExchangeRates(deps: Deps, accountId: string, page: Page & { base_currency?: string | undefined; quote_currency?: string | undefined }) {
  let q = deps.db.selectFrom('exchange_rates').selectAll().where('account_id', '=', accountId);
  if (page.base_currency !== undefined) q = q.where('base_currency', '=', normalizeCurrency(page.base_currency, 'base_currency'));
  if (page.quote_currency !== undefined) q = q.where('quote_currency', '=', normalizeCurrency(page.quote_currency, 'quote_currency'));
  return await paginate(q, 'id', page, exchangeRateView);
}
