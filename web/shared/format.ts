// Amounts arrive in minor units (integers); they are shown in the currency's own exponent, the
// digits placed by string arithmetic, never by dividing a float.
const exponents = new Map<string, number>();
function exponentOf(currency: string): number {
  let e = exponents.get(currency);
  if (e === undefined) {
    e = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
    exponents.set(currency, e);
  }
  return e;
}

export function money(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return '—';
  const e = exponentOf(currency);
  const negative = minor < 0;
  const digits = Math.abs(minor).toString().padStart(e + 1, '0');
  const whole = digits.slice(0, digits.length - e).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = e ? `.${digits.slice(digits.length - e)}` : '';
  return `${negative ? '−' : ''}${currency.toUpperCase()} ${whole}${fraction}`;
}

export const when = (iso: string | number | null | undefined) => {
  if (iso === null || iso === undefined) return '—';
  const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
};

/** A 4-place ratio string ("0.8810") as a percentage ("88.10 %"), by digits, not by float. */
export function percent(ratio: string | null): string {
  if (ratio === null) return '—';
  const negative = ratio.startsWith('-');
  const [whole = '0', fraction = ''] = ratio.replace('-', '').split('.');
  const f = fraction.padEnd(4, '0');
  return `${negative ? '−' : ''}${Number(whole) * 100 + Number(f.slice(0, 2))}.${f.slice(2)} %`;
}
