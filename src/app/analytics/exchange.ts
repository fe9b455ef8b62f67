// Conversions for revenue analytics (issue 19): amounts in several currencies are reported in
// one currency only with the rates the merchant uploaded. A missing rate stops the report with
// an error that says which rate to upload; it is never treated as 1:1 nor skipped.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { normalizeCurrency } from '../../domain/currency.ts';
import { DomainError } from '../../domain/errors.ts';
import { convertMinor, rateOn, utcDay, type AppliedRate, type ExchangeRate } from '../../domain/exchange.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** Something a report must convert: amounts in `currency` dated `at`. */
export type ConversionNeed = { currency: string; at: Date };

export type Conversions = {
  reporting: string;
  /** The rate from `currency` into the reporting currency at `at`; throws exchange_rate_missing when there is none. */
  rateFor(currency: string, at: Date): AppliedRate;
  /** `amount` (minor units of `currency`) in minor units of the reporting currency, rounded once. */
  convert(amount: bigint, currency: string, at: Date): bigint;
};

/** Every exchange rate of the account (a few per pair and month: small enough to hold whole). */
export async function loadRates(db: Db, accountId: string): Promise<ExchangeRate[]> {
  const rows = await db.selectFrom('exchange_rates').select(['base_currency', 'quote_currency', 'rate', 'effective_date'])
    .where('account_id', '=', accountId).execute();
  return rows.map((r) => ({ base: r.base_currency, quote: r.quote_currency, rate: r.rate, effective_date: r.effective_date }));
}

function missing(from: string, to: string, at: Date): DomainError {
  const day = utcDay(at);
  return new DomainError('exchange_rate_missing',
    `No exchange rate from ${from} to ${to} is in effect on ${day}: neither ${from}→${to} nor ${to}→${from} has a rate dated ${day} or earlier. `
    + 'Upload one with POST /v1/exchange_rates.', 'currency');
}

/**
 * The conversions a report needs into `reporting`, checked before any figure is computed: the
 * first need without a rate (earliest day, then currency) throws exchange_rate_missing.
 */
export function conversionsFor(rates: readonly ExchangeRate[], needs: readonly ConversionNeed[], reporting: string): Conversions {
  const to = normalizeCurrency(reporting, 'currency');
  const rateFor = (currency: string, at: Date): AppliedRate => {
    const from = normalizeCurrency(currency, 'currency');
    const applied = rateOn(rates, from, to, at);
    if (!applied) throw missing(from, to, at);
    return applied;
  };
  const ordered = [...needs].sort((a, b) => a.at.getTime() - b.at.getTime() || a.currency.localeCompare(b.currency));
  for (const n of ordered) rateFor(n.currency, n.at);
  return { reporting: to, rateFor, convert: (amount, currency, at) => convertMinor(amount, currency.toLowerCase(), to, rateFor(currency, at)) };
}

/** loadRates and conversionsFor in one call. */
export async function loadConversions(db: Db, accountId: string, needs: readonly ConversionNeed[], reporting: string): Promise<Conversions> {
  return conversionsFor(await loadRates(db, accountId), needs, reporting);
}
