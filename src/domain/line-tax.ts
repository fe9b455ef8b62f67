// Which tax rates each line of an invoice carries. A rate given on a subscription item or an
// invoice item replaces the invoice-wide rates on that item's lines (as Stripe does); the
// invoice-wide rates are the automatic ones when automatic tax is on, else the subscription's
// default_tax_rates. A customer who is exempt, or pays the tax itself (reverse charge), gets no
// tax on any line, given rates included.
import type { Address, TaxExempt } from './customer-tax.ts';
import type { DraftLine } from './invoice-builder.ts';
import type { TaxRate } from './tax.ts';

export type AutomaticTaxStatus = 'complete' | 'requires_location_input';
export type AutomaticTax = { enabled: boolean; status: AutomaticTaxStatus | null };

export type LineTax = {
  /** For lines without rates of their own. */
  defaults: readonly TaxRate[];
  /** The rates items may name, by id. */
  byId: ReadonlyMap<string, TaxRate>;
  exempt: TaxExempt;
  automatic: AutomaticTax;
};

export const NO_TAX: LineTax = { defaults: [], byId: new Map(), exempt: 'none', automatic: { enabled: false, status: null } };

/** A subscription item or invoice item, with the rates it names itself ([]: none). */
export type ItemRates = { id: string; tax_rates: readonly string[] };

/** The lines with the rates each carries; `items`: the subscription items and invoice items behind them. */
export function taxLines(lines: readonly DraftLine[], tax: LineTax, items: readonly ItemRates[] = []): DraftLine[] {
  const own = new Map(items.filter((i) => i.tax_rates.length > 0)
    .map((i) => [i.id, i.tax_rates.flatMap((id) => tax.byId.get(id) ?? [])]));
  return lines.map((l) => {
    if (tax.exempt !== 'none') return { ...l, tax_rates: [] };
    // An invoice item's own rates first; a proration has none and takes its subscription item's.
    const mine = (l.invoice_item ? own.get(l.invoice_item) : undefined) ?? (l.subscription_item ? own.get(l.subscription_item) : undefined);
    return { ...l, tax_rates: mine ?? tax.defaults };
  });
}

/** A rate the account registered, as the rules table matches it. */
export type RegisteredRate = { id: string; country: string | null; state: string | null; active: boolean };

const same = (a: string, b: string) => a.trim().toUpperCase() === b.trim().toUpperCase();

/**
 * Rebill's rules table: the active rates registered for the customer's country, those without a
 * state (national VAT, GST) plus those for the customer's state (US sales tax), in the order
 * given. No country: the location is unknown and nothing can be chosen.
 */
export function matchRegistered(address: Address | null, rates: readonly RegisteredRate[]): { status: AutomaticTaxStatus; rates: string[] } {
  const country = address?.country;
  if (!country) return { status: 'requires_location_input', rates: [] };
  const state = address.state;
  const hits = rates.filter((r) => r.active && r.country !== null && same(r.country, country)
    && (r.state === null || (state !== null && same(r.state, state))));
  return { status: 'complete', rates: hits.map((r) => r.id) };
}
