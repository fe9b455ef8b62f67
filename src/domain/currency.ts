// ISO 4217 minor-unit exponents come from the `currency-codes` package rather than Intl:
// Intl reports *display* digits (e.g. HUF 0), which is not what ISO says the minor unit is.
import cc from 'currency-codes';
import { invalid } from './errors.ts';

// ISO 4217 also lists things nobody can be billed in: precious metals, bond-market units,
// IMF drawing rights, the testing code and "no currency". They are refused.
const NOT_MONEY = new Set(['xag', 'xau', 'xba', 'xbb', 'xbc', 'xbd', 'xdr', 'xpd', 'xpt', 'xsu', 'xts', 'xua', 'xxx']);

// The package does a linear scan per lookup; index once since this is on every money path.
const EXPONENTS: ReadonlyMap<string, number> = new Map(
  cc.data.map((c) => [c.code.toLowerCase(), c.digits] as const).filter(([code]) => !NOT_MONEY.has(code)),
);

export function currencyExponent(code: string): number | undefined {
  if (typeof code !== 'string') return undefined;
  return EXPONENTS.get(code.toLowerCase());
}

export function normalizeCurrency(code: unknown, param = 'currency'): string {
  if (typeof code === 'string') {
    const lower = code.toLowerCase();
    if (EXPONENTS.has(lower)) return lower;
  }
  const shown = typeof code === 'string' ? `'${code}'` : 'a non-string value';
  return fail(shown, param);
}

function fail(shown: string, param: string): never {
  throw invalid('currency_invalid', `Invalid currency: ${shown} is not an ISO 4217 currency code.`, param);
}
