import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import type { CustomerTax } from '../../domain/customer-tax.ts';
import { matchRegistered, type LineTax } from '../../domain/line-tax.ts';
import type { TaxCalculator } from '../ports.ts';
import type { Row } from '../views.ts';
import { taxRateOf } from './tax-rates.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** Rebill's own rules table (domain/line-tax.ts), the default TaxCalculator. */
export const rulesTaxCalculator: TaxCalculator = { ratesFor: async (req) => matchRegistered(req.address, req.registered) };

/** What the tax of one invoice depends on. */
export type TaxNeeds = {
  accountId: string;
  customer: Pick<CustomerTax, 'address' | 'tax_exempt'>;
  /** The subscription's default_tax_rates (none for an invoice made by hand). */
  defaults: readonly string[];
  automatic: boolean;
  /** Some item names rates of its own. */
  anyOwn: boolean;
};

/**
 * The rates every invoice of `needs` applies, with one query for the rates of the accounts
 * concerned (none when no invoice has any rate to apply). A rate archived since an item or a
 * subscription named it still applies: archiving stops new use only. Automatic tax asks the
 * calculator for the customer's address; without a country it reports `requires_location_input`
 * and adds no tax, and the invoice is still issued.
 */
export async function loadLineTaxes<K>(deps: { taxCalculator?: TaxCalculator | undefined }, db: Db, needs: ReadonlyMap<K, TaxNeeds>): Promise<Map<K, LineTax>> {
  const taxed = (n: TaxNeeds) => n.customer.tax_exempt === 'none' && (n.defaults.length > 0 || n.automatic || n.anyOwn);
  const accounts = [...new Set([...needs.values()].filter(taxed).map((n) => n.accountId))];
  const rows = accounts.length ? await db.selectFrom('tax_rates').selectAll().where('account_id', 'in', accounts).execute() : [];
  const calculator = deps.taxCalculator ?? rulesTaxCalculator;
  const out = new Map<K, LineTax>();
  for (const [key, n] of needs) {
    const mine = rows.filter((r) => r.account_id === n.accountId);
    const byId = new Map(mine.map((r) => [r.id, taxRateOf(r)]));
    const rates = (ids: readonly string[]) => ids.flatMap((id) => byId.get(id) ?? []);
    if (!taxed(n)) {
      // Untaxed with automatic tax on means exempt: where the customer is no longer matters.
      out.set(key, { defaults: [], byId, exempt: n.customer.tax_exempt, automatic: { enabled: n.automatic, status: n.automatic ? 'complete' : null } });
      continue;
    }
    if (!n.automatic) {
      out.set(key, { defaults: rates(n.defaults), byId, exempt: 'none', automatic: { enabled: false, status: null } });
      continue;
    }
    const found = await calculator.ratesFor({ accountId: n.accountId, address: n.customer.address, registered: mine });
    out.set(key, { defaults: rates(found.rates), byId, exempt: 'none', automatic: { enabled: true, status: found.status } });
  }
  return out;
}

/** loadLineTaxes for one invoice. */
export async function loadLineTax(deps: { taxCalculator?: TaxCalculator | undefined }, db: Db, needs: TaxNeeds): Promise<LineTax> {
  return (await loadLineTaxes(deps, db, new Map([[0, needs]]))).get(0)!;
}

/** What a subscription's invoice needs for its tax: its rates, its items' and pending items' own, its customer. */
export function subscriptionTaxNeeds(
  s: Pick<Row<'subscriptions'>, 'account_id' | 'default_tax_rates' | 'automatic_tax'>, customer: Pick<CustomerTax, 'address' | 'tax_exempt'>,
  items: readonly { item: { tax_rates: readonly string[] } }[], pending: readonly { tax_rates: readonly string[] }[],
): TaxNeeds {
  return { accountId: s.account_id, customer, defaults: s.default_tax_rates, automatic: s.automatic_tax,
    anyOwn: items.some((i) => i.item.tax_rates.length > 0) || pending.some((i) => i.tax_rates.length > 0) };
}
