// Billing metered items in arrears (issue 18, points 3–5): which periods a document bills, their
// usage measured before any lock is taken, and — under the subscription's lock — the lines that
// bill what was not billed yet, with the ledger rows (usage_billings) that record them.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { Dec } from '../../domain/decimal.ts';
import type { FixedDraft } from '../../domain/invoice-builder.ts';
import { newId } from '../../domain/ids.ts';
import type { Formula } from '../../domain/usage/aggregate.ts';
import { MAX_AGE_MS } from '../../domain/usage/event-input.ts';
import type { PeriodUsage } from '../../domain/usage/metered-price.ts';
import { minimumTrueUp, NOTHING_BILLED, usagePart, type Billed, type MeteredItemFacts } from '../../domain/usage/usage-lines.ts';
import { usagePricingOf } from '../catalog/catalog.ts';
import type { ItemWithPrice } from '../invoicing/plan-invoice.ts';
import type { Deps } from '../ports.ts';
import type { Row } from '../views.ts';
import { usageStoreOf } from './ingest.ts';
import type { UsageQuery } from './store.ts';

type Db = Kysely<DB> | Transaction<DB>;
type Sub = Row<'subscriptions'>;

/** One metered item's period to bill: the period that closes now (`closing`), or an earlier one to correct. */
/** `until`: the subscription ended before the period did; its usage counts up to then (the ledger still keys the period by its end). */
export type UsagePeriod = { sub: Sub; item: ItemWithPrice; start: Date; end: Date; closing: boolean; until?: Date };
const usedUntil = (p: UsagePeriod) => p.until ?? p.end;
/** Usage per period, keyed by periodKey. */
export type MeasuredUsage = Map<string, PeriodUsage>;
export const periodKey = (p: { item: ItemWithPrice; start: Date; end: Date }) => `${p.item.item.id}@${p.start.getTime()}@${p.end.getTime()}`;

export const meteredItems = (items: readonly ItemWithPrice[]) => items.filter((x) => x.price.usage_type === 'metered');

/**
 * The periods to bill for each subscription: its metered items' `closing` period (null: none, e.g.
 * a trial, whose usage is free), and every earlier period of theirs billed but not yet settled
 * (late events and cancellations may still change it).
 */
export async function periodsToBill(db: Db, wanted: { sub: Sub; items: readonly ItemWithPrice[]; closing: { start: Date; end: Date } | null }[]): Promise<UsagePeriod[]> {
  const withMeters = wanted.filter((w) => meteredItems(w.items).length > 0);
  if (withMeters.length === 0) return [];
  const open = await db.selectFrom('usage_billings').select(['subscription_id', 'subscription_item_id', 'period_start', 'period_end'])
    .where('account_id', 'in', [...new Set(withMeters.map((w) => w.sub.account_id))])
    .where('subscription_id', 'in', withMeters.map((w) => w.sub.id)).where('settled', '=', false)
    .groupBy(['subscription_id', 'subscription_item_id', 'period_start', 'period_end']).orderBy('period_start').execute();
  const out: UsagePeriod[] = [];
  for (const w of withMeters) {
    for (const item of meteredItems(w.items)) {
      // A subscription that ended mid-period used its item up to its end, not the period's.
      const ended = (end: Date) => (w.sub.ended_at && w.sub.ended_at < end ? { until: w.sub.ended_at } : {});
      const closing = w.closing ? { sub: w.sub, item, start: w.closing.start, end: w.closing.end, closing: true, ...ended(w.closing.end) } : null;
      if (closing) out.push(closing);
      for (const o of open) {
        if (o.subscription_id !== w.sub.id || o.subscription_item_id !== item.item.id) continue;
        const earlier = { sub: w.sub, item, start: o.period_start, end: o.period_end, closing: false, ...ended(o.period_end) };
        if (!closing || periodKey(earlier) !== periodKey(closing)) out.push(earlier);
      }
    }
  }
  return out;
}

/**
 * Measures the periods' usage through the usage store — before the billing transaction locks
 * anything, so that a slow aggregate never holds a lock. Canceled events are left out.
 */
export async function measureUsage(deps: Deps, db: Db, periods: readonly UsagePeriod[]): Promise<MeasuredUsage> {
  const out: MeasuredUsage = new Map();
  if (periods.length === 0) return out;
  const accounts = [...new Set(periods.map((p) => p.sub.account_id))];
  const meterIds = [...new Set(periods.map((p) => p.item.price.meter_id!))];
  const [meters, canceled] = await Promise.all([
    db.selectFrom('meters').select(['account_id', 'id', 'formula']).where('account_id', 'in', accounts).where('id', 'in', meterIds).execute(),
    db.selectFrom('meter_event_adjustments').select(['account_id', 'identifier', 'meter_id', 'customer_id', 'timestamp'])
      .where('account_id', 'in', accounts).where('meter_id', 'in', meterIds)
      .where('customer_id', 'in', [...new Set(periods.map((p) => p.sub.customer_id))]).execute(),
  ]);
  const formulaOf = new Map(meters.map((m) => [`${m.account_id}/${m.id}`, m.formula as Formula]));
  const queryOf = (p: UsagePeriod): UsageQuery => {
    const meter = { accountId: p.sub.account_id, id: p.item.price.meter_id! };
    const exclude = canceled.filter((c) => c.account_id === meter.accountId && c.meter_id === meter.id && c.customer_id === p.sub.customer_id
      && c.timestamp >= p.start && c.timestamp < usedUntil(p)).map((c) => c.identifier);
    return { meter, formula: formulaOf.get(`${meter.accountId}/${meter.id}`) ?? 'sum', customerId: p.sub.customer_id, from: p.start, to: usedUntil(p), exclude };
  };
  const store = usageStoreOf(deps);
  const byAggregate = periods.filter((p) => p.item.price.billing_scheme !== 'percentage');
  const aggregates = await store.aggregateMany(byAggregate.map(queryOf));
  byAggregate.forEach((p, i) => out.set(periodKey(p), { quantity: aggregates[i]! }));
  // The percentage model prices every event on its own: its values, in order (and their sum as the quantity).
  for (const p of periods.filter((x) => x.item.price.billing_scheme === 'percentage')) {
    const values = await store.valuesInOrder(queryOf(p));
    out.set(periodKey(p), { quantity: values.reduce((a, v) => a.plus(v), new Dec(0)).toFixed(), values });
  }
  return out;
}

/** When an ended subscription's last period can receive no more late events, and its usage is settled. */
export const usageSettlesAt = (periodEnd: Date): Date => new Date(periodEnd.getTime() + MAX_AGE_MS);

/**
 * When a subscription ended at `endedAt` (canceled now, not at a period's end) is next looked
 * at for its usage: then, if it was billing a metered item (a trial's usage is free), else never.
 */
export async function endedUsageAt(db: Db, s: Sub, endedAt: Date): Promise<Date | null> {
  if (!['active', 'past_due', 'unpaid'].includes(s.status)) return null;
  const metered = await db.selectFrom('subscription_items as si').innerJoin('prices as p', (j) => j.onRef('p.account_id', '=', 'si.account_id').onRef('p.id', '=', 'si.price_id'))
    .select('si.id').where('si.account_id', '=', s.account_id).where('si.subscription_id', '=', s.id).where('p.usage_type', '=', 'metered').limit(1).executeTakeFirst();
  return metered ? endedAt : null;
}

/** What one subscription's usage adds to a document, and the ledger rows that record it once the document is written. */
export type UsageBill = {
  lines: FixedDraft[];
  ledger: Row<'usage_billings'>[];
  /** (item, period) whose late window has closed: marked settled with this document. */
  settle: { itemId: string; start: Date }[];
};

const facts = (x: ItemWithPrice): MeteredItemFacts => ({
  itemId: x.item.id, priceId: x.price.id, label: x.price.nickname ?? x.price.id, product: x.price.product_id, pricing: usagePricingOf(x.price),
});

/** What the periods were billed so far, read under the caller's lock of their subscriptions. */
async function billedSoFar(db: Db, periods: readonly UsagePeriod[]): Promise<Map<string, Billed>> {
  if (periods.length === 0) return new Map();
  const rows = await db.selectFrom('usage_billings')
    .select((eb) => ['subscription_item_id', 'period_start', 'period_end', eb.fn.sum<string>('quantity').as('quantity'), eb.fn.sum<string>('amount').as('amount')])
    .where('account_id', 'in', [...new Set(periods.map((p) => p.sub.account_id))])
    .where('subscription_id', 'in', [...new Set(periods.map((p) => p.sub.id))])
    .where('period_start', 'in', [...new Set(periods.map((p) => p.start.toISOString()))].map((t) => new Date(t)))
    .groupBy(['subscription_item_id', 'period_start', 'period_end']).execute();
  return new Map(rows.map((r) => [`${r.subscription_item_id}@${r.period_start.getTime()}@${r.period_end.getTime()}`,
    { quantity: new Dec(r.quantity), amount: BigInt(r.amount) }]));
}

/**
 * The usage lines of each subscription's next document: for the closing period what it has not
 * been billed yet (`usage`; all of it unless a threshold invoice billed part), then the true-up
 * to its minimum; for earlier periods what changed since they were billed (`usage_adjustment`).
 * Periods missing from `measured` (a subscription claimed that was not measured) are measured now.
 */
export async function usageBills(deps: Deps, db: Db, periods: readonly UsagePeriod[], measured: MeasuredUsage, nowOf: (s: Sub) => Date,
  kind: 'period' | 'threshold' = 'period'): Promise<Map<string, UsageBill>> {
  const missing = periods.filter((p) => !measured.has(periodKey(p)));
  const usage = missing.length ? new Map([...measured, ...await measureUsage(deps, db, missing)]) : measured;
  const billed = await billedSoFar(db, periods);
  const out = new Map<string, UsageBill>();
  const closingUsage = new Map<string, bigint>();
  for (const p of periods) {
    const bill = out.get(p.sub.id) ?? { lines: [], ledger: [], settle: [] };
    out.set(p.sub.id, bill);
    const before = billed.get(periodKey(p)) ?? NOTHING_BILLED;
    const part = usagePart(facts(p.item), usage.get(periodKey(p))!, before, p.start, usedUntil(p), p.closing ? 'usage' : 'usage_adjustment');
    const now = nowOf(p.sub);
    const settled = now.getTime() >= usedUntil(p).getTime() + MAX_AGE_MS;
    if (part) {
      bill.lines.push(part.line);
      bill.ledger.push({
        account_id: p.sub.account_id, id: newId('usageBilling'), subscription_id: p.sub.id, subscription_item_id: p.item.item.id, price_id: p.item.price.id,
        period_start: p.start, period_end: p.end, quantity: part.quantity, amount: part.amount, invoice_id: null, credit_note_id: null,
        kind: p.closing ? kind : 'adjustment', settled, created_at: now,
      });
    }
    if (settled) bill.settle.push({ itemId: p.item.item.id, start: p.start });
    if (p.closing) closingUsage.set(p.sub.id, (closingUsage.get(p.sub.id) ?? 0n) + before.amount + (part?.amount ?? 0n));
  }
  // A minimum is owed once per period, at its end: never on a threshold invoice.
  if (kind === 'period') {
    for (const p of periods.filter((x) => x.closing)) {
      const bill = out.get(p.sub.id)!;
      if (bill.lines.some((l) => l.kind === 'minimum_true_up')) continue;
      const line = minimumTrueUp(p.sub.minimum_amount === null ? null : BigInt(p.sub.minimum_amount), closingUsage.get(p.sub.id) ?? 0n, p.start, p.end);
      if (line) bill.lines.push(line);
    }
  }
  return out;
}

/** Writes a bill's ledger rows against the document that carries them, and settles closed periods. */
export async function recordUsageBill(db: Db, accountId: string, subscriptionId: string, bill: UsageBill, doc: { invoiceId?: string; creditNoteId?: string }): Promise<Row<'usage_billings'>[]> {
  const rows = bill.ledger.map((r) => ({ ...r, invoice_id: doc.invoiceId ?? null, credit_note_id: doc.creditNoteId ?? null }));
  for (const s of bill.settle) {
    await db.updateTable('usage_billings').set({ settled: true }).where('account_id', '=', accountId).where('subscription_id', '=', subscriptionId)
      .where('subscription_item_id', '=', s.itemId).where('period_start', '=', s.start).where('settled', '=', false).execute();
  }
  return rows;
}
