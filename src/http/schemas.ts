import { Type, type TSchema } from '@sinclair/typebox';
import { ref } from './components.ts';
import { TAX_EXEMPT, TAX_ID_TYPES } from '../domain/customer-tax.ts';

/** Shared request schemas. They validate requests and become the OpenAPI document. */
export const Metadata = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
  // TypeBox turns the key schema into a pattern and drops its maxLength; propertyNames keeps it.
  maxProperties: 50, propertyNames: { minLength: 1, maxLength: 40 }, description: 'Your own key-value pairs; returned as given.',
});
export const Id = (prefix: string) => Type.String({ minLength: 1, maxLength: 64, description: `An id beginning ${prefix}_` });
// Years 1970–2999: beyond 9999 the PostgreSQL driver cannot even write a period end (a 500 after the charge).
export const Timestamp = Type.String({ format: 'date-time', pattern: '^(19[7-9][0-9]|2[0-9]{3})-', description: 'RFC 3339 UTC timestamp, years 1970–2999' });
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListQuery = <T extends Record<string, TSchema>>(extra: T = {} as T) => Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'Page size, 1–100 (default 10)' })),
  starting_after: Type.Optional(Type.String({ maxLength: 64, description: 'Id of the last object of the previous page' })),
  ...extra,
}, { additionalProperties: false });

export function pageOf(q: { limit?: string; starting_after?: string }) {
  return { limit: q.limit ? Number(q.limit) : 10, starting_after: q.starting_after };
}

/** Amounts are integers in the currency's minor unit. */
export const Amount = Type.Integer({ minimum: 0, maximum: 1e15, description: 'Minor units (cents for USD, yen for JPY)' });
export const DecimalAmount = Type.String({ pattern: '^[0-9]{1,15}(\\.[0-9]{1,12})?$', description: 'Minor units, fractional allowed: "0.04" is 0.04 cents for USD' });

/** A route's documented responses: its object on success, the error body otherwise. */
export const replies = <T extends TSchema>(ok: T) => ({ 200: ok, '4xx': ref('Error'), '5xx': ref('Error') });

export const IdempotencyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Retrying with the same key and body returns the first response and writes nothing' })),
});

const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000 });

export const DefaultTaxRates = Type.Array(Id('txr'), { maxItems: 5, description: 'Tax rates applied to every line of the subscription\'s invoices; [] removes them' });

/** An item's own rates, replacing the subscription's or invoice's on its lines. */
export const ItemTaxRates = Type.Array(Id('txr'), { maxItems: 5, description: 'The item\'s own tax rates: they replace the default or automatic rates on its lines; [] drops them' });

export const AutomaticTax = Type.Object({ enabled: Type.Boolean() }, {
  additionalProperties: false, description: 'Choose the tax rates from the customer\'s address and the account\'s registered rates, at every invoice',
});

const AddressLine = Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()]));
export const CustomerAddress = Type.Object({
  line1: AddressLine, line2: AddressLine, city: AddressLine, state: AddressLine, postal_code: AddressLine,
  country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. DE; stored upper-case' }), Type.Null()])),
}, { additionalProperties: false, description: 'Replaces the whole address; fields not given become null' });

export const CustomerTaxFields = {
  address: Type.Optional(Type.Union([CustomerAddress, Type.Null()])),
  tax_exempt: Type.Optional(Type.Union(TAX_EXEMPT.map((v) => Type.Literal(v)), { description: 'none (default); exempt: no tax; reverse: no tax, and the invoice says the reverse charge applies' })),
  tax_ids: Type.Optional(Type.Array(Type.Object({
    type: Type.Union(TAX_ID_TYPES.map((v) => Type.Literal(v))),
    value: Type.String({ minLength: 1, maxLength: 64 }),
  }, { additionalProperties: false }), { maxItems: 5, description: 'Replaces the list; each value must have the shape of its type' })),
};

export const Discounts = Type.Array(Type.Object({
  coupon: Type.Optional(Id('co')), promotion_code: Type.Optional(Id('promo')),
}, { additionalProperties: false, description: 'A coupon, or a promotion code that redeems its coupon: one of the two' }), {
  maxItems: 5, description: 'Coupons or promotion codes to redeem, applied in this order; on a change they replace the discounts ([] removes them)',
});

export const TrialSettings = Type.Object({
  end_behavior: Type.Object({
    missing_payment_method: Type.Union([Type.Literal('create_invoice'), Type.Literal('pause'), Type.Literal('cancel')], {
      description: 'When the trial ends without a payment method: create_invoice (default; it stays unpaid), pause the subscription, or cancel it',
    }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

/** What can change on a subscription; shared by the update and by previews of it. */
/** Usage commitments of a subscription (issue 18): a minimum per period, a threshold for mid-period invoices. */
export const MinimumAmount = Type.Integer({ minimum: 1, maximum: 1e15, description: 'The least the metered items of a period are billed, in minor units: a shortfall is invoiced as a minimum_true_up line' });
export const BillingThresholds = Type.Object({
  amount_gte: Type.Integer({ minimum: 1, maximum: 1e15, description: 'Unbilled usage of the current period (minor units) that brings an invoice mid-period' }),
}, { additionalProperties: false });

export const SubscriptionChangeFields = {
  items: Type.Optional(Type.Array(Type.Object({
    id: Type.Optional(Id('si')), price: Type.Optional(Id('price')), quantity: Type.Optional(Quantity), deleted: Type.Optional(Type.Boolean()),
    tax_rates: Type.Optional(ItemTaxRates),
  }, { additionalProperties: false }), { maxItems: 20, description: 'With id: change or delete (deleted=true) that item; without: add an item' })),
  proration_behavior: Type.Optional(Type.Union([Type.Literal('create_prorations'), Type.Literal('always_invoice'), Type.Literal('none')], {
    description: 'create_prorations (default): proration lines wait for the next invoice; always_invoice: invoiced and charged now; none: new prices from the next period',
  })),
  proration_date: Type.Optional(Type.Union([Timestamp], { description: 'Prorate as of this instant (whole seconds, within the current period); default now' })),
  billing_cycle_anchor: Type.Optional(Type.Union([Type.Literal('unchanged'), Type.Literal('now')], { description: 'now: start a new period now and invoice it' })),
  cancel_at_period_end: Type.Optional(Type.Boolean()),
  trial_end: Type.Optional(Type.Union([Type.Literal('now'), Timestamp], { description: 'now ends the trial and invoices the first period; a time moves the trial\'s end' })),
  pause_collection: Type.Optional(Type.Union([
    Type.Object({
      behavior: Type.Union([Type.Literal('void'), Type.Literal('keep_as_draft'), Type.Literal('mark_uncollectible')]),
      resumes_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    }, { additionalProperties: false }),
    Type.Literal(''), Type.Null(),
  ], { description: 'Pause collection: invoices are still produced, handled by behavior, never charged; empty or null resumes' })),
};

export const SubscriptionChangeBody = Type.Object({
  ...SubscriptionChangeFields,
  metadata: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
    maxProperties: 50, propertyNames: { minLength: 1, maxLength: 40 }, description: 'Merged into the metadata; an empty value removes the key',
  })),
  default_payment_method: Type.Optional(Id('pm')),
  dunning_policy: Type.Optional(Type.Union([Id('dpol'), Type.Null()], { description: "Dunning policy for this subscription's failed renewals; null: the customer's, else the account's default" })),
  trial_settings: Type.Optional(Type.Union([TrialSettings, Type.Null()])),
  default_tax_rates: Type.Optional(DefaultTaxRates),
  automatic_tax: Type.Optional(AutomaticTax),
  discounts: Type.Optional(Discounts),
  minimum_amount: Type.Optional(Type.Union([MinimumAmount, Type.Null()])),
  billing_thresholds: Type.Optional(Type.Union([BillingThresholds, Type.Null()])),
}, { additionalProperties: false });
