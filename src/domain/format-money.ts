import { formatMinor } from './money.ts';

// Symbols for the currencies invoices are commonly printed in. A currency without one is shown
// by its upper-case code and a space ("KWD 12.345"): an Arabic-script symbol such as د.ك would
// need right-to-left shaping that a plain PDF text run does not do.
const SYMBOLS: Readonly<Record<string, string>> = {
  usd: '$', eur: '€', gbp: '£', jpy: '¥', inr: '₹', krw: '₩', cny: 'CN¥', cad: 'CA$', aud: 'A$',
  nzd: 'NZ$', hkd: 'HK$', sgd: 'S$', mxn: 'MX$', brl: 'R$', ils: '₪', vnd: '₫', php: '₱', ngn: '₦', try: '₺', ron: 'lei ',
};

// Rupees are grouped the Indian way (lakh, crore): ₹12,34,567.89, as Indian invoices print them.
const INDIAN_GROUPING = new Set(['inr']);

function group(whole: string, indian: boolean): string {
  if (!indian || whole.length <= 3) return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const head = whole.slice(0, -3);
  return `${head.replace(/\B(?=(\d{2})+(?!\d))/g, ',')},${whole.slice(-3)}`;
}

/**
 * An amount in minor units as people read it on an invoice: the currency's symbol, thousands
 * grouped, as many decimals as the currency's ISO exponent (JPY none, KWD three). The digits
 * come from formatMinor, so they are exact for any bigint.
 */
export function formatMoney(amount: bigint, currency: string): string {
  const plain = formatMinor(amount < 0n ? -amount : amount, currency);
  const [whole = '', fraction] = plain.split('.');
  const code = currency.toLowerCase();
  const digits = group(whole, INDIAN_GROUPING.has(code)) + (fraction === undefined ? '' : `.${fraction}`);
  const symbol = SYMBOLS[code] ?? `${code.toUpperCase()} `;
  return `${amount < 0n ? '-' : ''}${symbol}${digits}`;
}
