// What planning a case's next step reads besides the case: read for a whole batch of cases at
// once (a handful of statements per batch, not per case), since the dunning duty steps and plans
// cases 25 at a time.
import type { DeclineCategory } from '../../domain/declines.ts';
import { WINDOW_30D_MS, type DeclineRecord } from '../../domain/declines-network.ts';
import type { Db } from '../time.ts';
import type { Row } from '../views.ts';
import type { StoredDecline } from './view.ts';

export type History = { paidFirstTry: number; recovered: number; lost: number };

export type PlanInputs = {
  timeZones: Map<string, string | null>;
  cards: Map<string, { expMonth: number; expYear: number }>;
  /** Per customer: their invoices already settled one way or the other. */
  invoices: Map<string, { id: string; status: string; attempt_count: number }[]>;
  /** Per payment method: its failed attempts of the last 30 days (of the earliest `now` asked for), any invoice. */
  declines: Map<string, { at: Date; record: DeclineRecord }[]>;
};

/** A decline as a case keeps it, from the failed attempt that made it. */
export function storedDecline(a: Pick<Row<'payment_attempts'>, 'id' | 'network_advice' | 'decline_code' | 'decline_category' | 'do_not_retry'>, at: Date): StoredDecline {
  const advice = (typeof a.network_advice === 'string' ? JSON.parse(a.network_advice) : a.network_advice) as
    { network?: string; code?: string | null; mastercard_advice_code?: string | null } | null;
  return {
    payment: a.id, at: at.toISOString(), decline_code: a.decline_code ?? 'generic_decline',
    decline_category: (a.decline_category ?? 'soft') as DeclineCategory, do_not_retry: a.do_not_retry,
    network: advice?.network ?? null, network_code: advice?.code ?? null, advice_code: advice?.mastercard_advice_code ?? null,
  };
}

/** Reads everything the cases of one account need to be planned, in four statements. */
export async function loadPlanInputs(db: Db, accountId: string, customerIds: string[], paymentMethodIds: string[], earliestNow: Date): Promise<PlanInputs> {
  const customers = [...new Set(customerIds)];
  const pms = [...new Set(paymentMethodIds)];
  const [tz, cards, invoices, failed] = await Promise.all([
    customers.length ? db.selectFrom('customers').select(['id', 'time_zone']).where('account_id', '=', accountId).where('id', 'in', customers).execute() : [],
    pms.length ? db.selectFrom('payment_methods').select(['id', 'exp_month', 'exp_year']).where('account_id', '=', accountId).where('id', 'in', pms).execute() : [],
    customers.length ? db.selectFrom('invoices').select(['id', 'customer_id', 'status', 'attempt_count']).where('account_id', '=', accountId)
      .where('customer_id', 'in', customers).where('status', 'in', ['paid', 'uncollectible', 'void']).execute() : [],
    pms.length ? db.selectFrom('payment_attempts').select(['id', 'payment_method_id', 'updated_at', 'network_advice', 'decline_code', 'decline_category', 'do_not_retry'])
      .where('account_id', '=', accountId).where('payment_method_id', 'in', pms).where('status', '=', 'failed')
      .where('updated_at', '>', new Date(earliestNow.getTime() - WINDOW_30D_MS)).execute() : [],
  ]);
  const byCustomer = new Map<string, { id: string; status: string; attempt_count: number }[]>();
  for (const i of invoices) byCustomer.set(i.customer_id, [...(byCustomer.get(i.customer_id) ?? []), i]);
  const declines = new Map<string, { at: Date; record: DeclineRecord }[]>();
  for (const a of failed) {
    const d = storedDecline(a, a.updated_at);
    const record = { at: a.updated_at, category: d.decline_category, doNotRetry: d.do_not_retry, network: d.network, networkCode: d.network_code, adviceCode: d.advice_code };
    declines.set(a.payment_method_id!, [...(declines.get(a.payment_method_id!) ?? []), { at: a.updated_at, record }]);
  }
  return {
    timeZones: new Map(tz.map((c) => [c.id, c.time_zone])),
    cards: new Map(cards.flatMap((c) => (c.exp_month !== null && c.exp_year !== null ? [[c.id, { expMonth: c.exp_month, expYear: c.exp_year }] as const] : []))),
    invoices: byCustomer,
    declines,
  };
}

/** The declines on a card within the networks' 30-day window before `now`: the networks count per card. */
export const cardDeclinesAt = (inputs: PlanInputs, paymentMethodId: string | null, now: Date): DeclineRecord[] =>
  paymentMethodId ? (inputs.declines.get(paymentMethodId) ?? []).filter((d) => d.at.getTime() > now.getTime() - WINDOW_30D_MS).map((d) => d.record) : [];

/** Paid at the first try, recovered by retries, lost: the customer's other invoices, for strategies that learn. */
export function historyOf(inputs: PlanInputs, customerId: string, exceptInvoice: string): History {
  const rows = (inputs.invoices.get(customerId) ?? []).filter((r) => r.id !== exceptInvoice);
  return {
    paidFirstTry: rows.filter((r) => r.status === 'paid' && r.attempt_count <= 1).length,
    recovered: rows.filter((r) => r.status === 'paid' && r.attempt_count > 1).length,
    lost: rows.filter((r) => r.status !== 'paid' && r.attempt_count > 0).length,
  };
}
