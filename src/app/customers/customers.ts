import { invalid } from '../../domain/errors.ts';
import { checkAddress, checkTaxIds, type Address, type TaxExempt, type TaxId } from '../../domain/customer-tax.ts';
import { newId } from '../../domain/ids.ts';
import { newInvoicePrefix } from '../../domain/invoice-number.ts';
import { notFound } from '../errors.ts';
import { paginate, type Page } from '../pagination.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { isTimeZone } from '../../domain/dunning/schedule.ts';
import { checkPolicyRef } from '../dunning/policies.ts';
import { customerView } from '../views.ts';
import type { DiscountInput } from '../catalog/promotion-redemption.ts';
import { redeemForCustomer } from './customer-discounts.ts';
import { preferencesOf, type Preferences } from '../../domain/notification-preferences.ts';

export type CustomerInput = {
  email?: string | null; name?: string | null; metadata?: Record<string, string>; invoice_prefix?: string;
  test_clock?: string | null; invoice_settings?: { default_payment_method?: string | null };
  /** Replaced whole: fields not given become null. */
  address?: Partial<Address> | null; tax_exempt?: TaxExempt; tax_ids?: TaxId[];
  discounts?: DiscountInput[];
  phone?: string | null; notification_preferences?: Partial<Preferences>;
  /** IANA zone: dunning retries fall at the policy's preferred hour of the customer's day. */
  time_zone?: string | null;
  /** A dunning policy of the account that governs this customer's failed renewals instead of the default. */
  dunning_policy?: string | null;
};

/** The dunning fields as given, checked: a zone this runtime knows, a policy of this account. */
async function dunningFields(u: UnitOfWork, input: Pick<CustomerInput, 'time_zone' | 'dunning_policy'>) {
  if (input.time_zone && !isTimeZone(input.time_zone)) throw invalid('parameter_invalid', `'${input.time_zone}' is not an IANA time zone (e.g. Europe/Paris)`, 'time_zone');
  if (input.dunning_policy) await checkPolicyRef(u, input.dunning_policy, 'dunning_policy');
  return {
    ...(input.time_zone !== undefined ? { time_zone: input.time_zone } : {}),
    ...(input.dunning_policy !== undefined ? { dunning_policy_id: input.dunning_policy } : {}),
  };
}

/** The tax fields as stored (jsonb as JSON text), checked; absent where not given. */
function taxFields(input: CustomerInput): { address?: string | null; tax_exempt?: TaxExempt; tax_ids?: string } {
  return {
    ...(input.address !== undefined ? { address: input.address === null ? null : JSON.stringify(checkAddress(input.address, 'address')) } : {}),
    ...(input.tax_exempt !== undefined ? { tax_exempt: input.tax_exempt } : {}),
    ...(input.tax_ids !== undefined ? { tax_ids: JSON.stringify(checkTaxIds(input.tax_ids, 'tax_ids')) } : {}),
  };
}

const prefixTaken = (prefix: string) =>
  invalid('invoice_prefix_taken', `another customer already has the invoice prefix '${prefix}'`, 'invoice_prefix');

export async function createCustomer(deps: Deps, actor: Actor, input: CustomerInput) {
  const tax = taxFields(input);
  return await command(deps, actor, async (u) => {
    if (input.test_clock) {
      const clock = await u.tx.selectFrom('test_clocks').select('id')
        .where('account_id', '=', u.accountId).where('id', '=', input.test_clock).executeTakeFirst();
      if (!clock) throw notFound('test clock', input.test_clock, 'test_clock');
    }
    // A payment method belongs to a customer, so a new customer cannot name one as default.
    if (input.invoice_settings?.default_payment_method) {
      throw notFound('payment method', input.invoice_settings.default_payment_method, 'invoice_settings[default_payment_method]');
    }
    const now = await nowFor(deps, u.tx, u.accountId, input.test_clock ?? null);
    const dunning = await dunningFields(u, input);
    const insert = (prefix: string) => u.tx.insertInto('customers').values({
      ...dunning,
      account_id: u.accountId, id: newId('customer'), email: input.email ?? null, name: input.name ?? null,
      metadata: JSON.stringify(input.metadata ?? {}), test_clock_id: input.test_clock ?? null,
      default_payment_method_id: null, invoice_prefix: prefix, created_at: now, updated_at: now,
      address: tax.address ?? null, tax_exempt: tax.tax_exempt ?? 'none', tax_ids: tax.tax_ids ?? '[]',
      phone: input.phone ?? null, notification_preferences: JSON.stringify({ ...preferencesOf(null), ...input.notification_preferences }),
    }).onConflict((oc) => oc.columns(['account_id', 'invoice_prefix']).doNothing()).returningAll().executeTakeFirst();
    let row = await insert(input.invoice_prefix ?? newInvoicePrefix());
    if (!row && input.invoice_prefix) throw prefixTaken(input.invoice_prefix);
    // A generated prefix that another customer already has: draw again (1 in 10^12 per customer).
    for (let i = 0; !row && i < 5; i++) row = await insert(newInvoicePrefix());
    if (!row) throw new Error('could not find a free invoice prefix');
    if (input.discounts?.length) {
      const discount_ids = await redeemForCustomer(u, row.id, input.discounts, now);
      row = await u.tx.updateTable('customers').set({ discount_ids }).where('account_id', '=', u.accountId).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    }
    const view = customerView(row);
    u.audit('customer.created', 'customer', row.id, null, view, now);
    u.emit('customer.created', row.id, view, now);
    return view;
  });
}

export async function updateCustomer(deps: Deps, actor: Actor, id: string, input: Omit<CustomerInput, 'test_clock'>) {
  const tax = taxFields(input);
  return await command(deps, actor, async (u) => {
    const before = await u.tx.selectFrom('customers').selectAll()
      .where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!before) throw notFound('customer', id, 'id');
    const pm = input.invoice_settings?.default_payment_method;
    if (pm) {
      const owned = await u.tx.selectFrom('payment_methods').select('id')
        .where('account_id', '=', u.accountId).where('id', '=', pm).where('customer_id', '=', id).executeTakeFirst();
      if (!owned) throw notFound('payment method', pm, 'invoice_settings[default_payment_method]');
    }
    const prefix = input.invoice_prefix;
    if (prefix !== undefined && prefix !== before.invoice_prefix) {
      // Numbers already given keep their prefix; a new one would start a second series at 0001.
      if (before.next_invoice_sequence > 1) {
        throw invalid('invoice_prefix_locked', 'the invoice prefix cannot change once the customer has a numbered invoice', 'invoice_prefix');
      }
      const other = await u.tx.selectFrom('customers').select('id')
        .where('account_id', '=', u.accountId).where('invoice_prefix', '=', prefix).executeTakeFirst();
      if (other) throw prefixTaken(prefix);
    }
    const now = await nowFor(deps, u.tx, u.accountId, before.test_clock_id);
    const discountIds = input.discounts === undefined ? undefined : await redeemForCustomer(u, id, input.discounts, now);
    const row = await u.tx.updateTable('customers').set({
      ...(discountIds !== undefined ? { discount_ids: discountIds } : {}),
      ...(prefix !== undefined ? { invoice_prefix: prefix } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.phone !== undefined ? { phone: input.phone } : {}),
      ...(await dunningFields(u, input)),
      ...(input.notification_preferences !== undefined
        ? { notification_preferences: JSON.stringify({ ...preferencesOf(before.notification_preferences), ...input.notification_preferences }) } : {}),
      ...(input.metadata !== undefined ? { metadata: JSON.stringify(input.metadata) } : {}),
      ...(pm !== undefined ? { default_payment_method_id: pm } : {}),
      ...tax,
      updated_at: now, version: before.version + 1,
    }).where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = customerView(row);
    u.audit('customer.updated', 'customer', id, customerView(before), view, now);
    u.emit('customer.updated', id, view, now);
    return view;
  });
}

export async function getCustomer(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('customers').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('customer', id, 'id');
  return customerView(row);
}

export async function listCustomers(deps: Deps, accountId: string, page: Page & { email?: string | undefined }) {
  let q = deps.db.selectFrom('customers').selectAll().where('account_id', '=', accountId);
  if (page.email) q = q.where('email', '=', page.email);
  return await paginate(q, 'id', page, customerView);
}
