import { typeid } from 'typeid-js';

/** Prefixes of Rebill's sortable ids (TypeID: prefix + UUIDv7 in base32). */
export const ID_PREFIX = {
  account: 'acct',
  apiKey: 'key',
  customer: 'cus',
  product: 'prod',
  price: 'price',
  paymentMethod: 'pm',
  subscription: 'sub',
  subscriptionItem: 'si',
  invoice: 'in',
  invoiceLine: 'il',
  invoiceItem: 'ii',
  balanceTransaction: 'cbtxn',
  subscriptionSchedule: 'sub_sched',
  paymentAttempt: 'pay',
  event: 'evt',
  audit: 'aud',
  testClock: 'clock',
  billingFailure: 'bfail',
  request: 'req',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

export function newId(kind: IdKind): string {
  return typeid(ID_PREFIX[kind]).toString();
}

const ID_SHAPE = /^[a-z]+_[0-7][0-9a-hjkmnp-tv-z]{25}$/;

/** True when `id` has the shape of an id of this kind (it may still not exist). */
export function looksLikeId(kind: IdKind, id: string): boolean {
  return id.startsWith(`${ID_PREFIX[kind]}_`) && ID_SHAPE.test(id);
}
