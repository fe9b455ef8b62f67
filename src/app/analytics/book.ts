import { sql } from 'kysely';
import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { mrrSteps, type Interval, type MrrDiscount, type MrrPrice, type MrrRevision, type Step } from '../../domain/analytics/mrr.ts';
import { priceModelOf } from '../catalog/catalog.ts';
import { priceIn } from '../catalog/price-currencies.ts';
import type { Deps } from '../ports.ts';

type Db = Deps['db'];

/** One subscription's history: whose, in which currency, its revisions and its MRR over time. */
export type Track = {
  subscription: string; customer: string; currency: string; revisions: MrrRevision[]; steps: Step[];
  /** What its revisions are priced with: the licensed prices in its currency, and its discounts. */
  prices: ReadonlyMap<string, MrrPrice>; discounts: ReadonlyMap<string, MrrDiscount>;
};

type RevisionRow = { subscription_id: string; customer_id: string; at: string; status: string; currency: string; items: string; discount_ids: string };

/**
 * The revisions of the account, in time order per subscription, each one that changed something:
 * a revision the same as the one before it (a renewal's, say: same status, currency, items,
 * discounts and customer) changes no figure of any report, so it is not read. Narrow on purpose:
 * what the reports use, times in epoch milliseconds (PostgreSQL's microseconds cut, as the
 * driver's Date would), JSON and arrays as text to parse once per distinct value.
 */
async function changes(db: Db, accountId: string): Promise<RevisionRow[]> {
  const r = await sql<RevisionRow>`
    SELECT subscription_id, customer_id, at, status, currency, items, discount_ids FROM (
      SELECT subscription_id, customer_id, floor(extract(epoch FROM at) * 1000)::int8::text AS at, status, currency, items::text AS items,
             discount_ids::text AS discount_ids, at AS t, id,
             (status, currency, items, discount_ids, customer_id) IS NOT DISTINCT FROM
               lag((status, currency, items, discount_ids, customer_id)) OVER (PARTITION BY subscription_id ORDER BY at, id) AS same
        FROM subscription_revisions WHERE account_id = ${accountId}) r
     WHERE NOT same ORDER BY subscription_id, t, id`.execute(db);
  return r.rows;
}

/** A text[] as PostgreSQL writes it, for ids (no quotes, commas or braces in them). */
const textArray = (v: string): string[] => (v === '{}' ? [] : v.slice(1, -1).split(','));

/** One subscription's whole history, priced; its track over all of it is made when first asked for. */
type History = Omit<Track, 'steps'> & { memo: Map<string, bigint>; whole?: Track };
/** The account's book as of `count` revisions. */
type Source = { count: number; histories: History[] };

/**
 * Every subscription's history, whole: one read of the revisions, one of their prices, one of
 * their discounts, whatever the book's size.
 */
async function loadSource(db: Db, accountId: string, count: number): Promise<Source> {
  const rows = await changes(db, accountId);
  if (rows.length === 0) return { count, histories: [] };
  // Most subscriptions share a handful of item lists and discount lists: parsed once each, shared
  // (an item list's JSON starts with '[', a text[] with '{': one map holds both).
  const parsed = new Map<string, MrrRevision['items'] | string[]>();
  const once = <T extends MrrRevision['items'] | string[]>(text: string, parse: (t: string) => T): T => {
    let v = parsed.get(text) as T | undefined;
    if (v === undefined) parsed.set(text, v = parse(text));
    return v;
  };
  const revisions = rows.map((r) => ({
    subscription_id: r.subscription_id, customer_id: r.customer_id, at: new Date(Number(r.at)), status: r.status, currency: r.currency,
    items: once(r.items, (t) => JSON.parse(t) as MrrRevision['items']), discount_ids: once(r.discount_ids, textArray),
  }));
  const priceIds = [...new Set(revisions.flatMap((r) => r.items.map((i) => i.price)))];
  const discountIds = [...new Set(revisions.flatMap((r) => r.discount_ids))];
  const [priceRows, discountRows] = await Promise.all([
    db.selectFrom('prices').selectAll().where('account_id', '=', accountId).where('id', '=', sql<string>`any(${priceIds}::text[])`).execute(),
    discountIds.length ? db.selectFrom('discounts').innerJoin('coupons', (j) => j.onRef('coupons.account_id', '=', 'discounts.account_id').onRef('coupons.id', '=', 'discounts.coupon_id'))
      .select(['discounts.id', 'discounts.starts_at', 'discounts.ends_at', 'coupons.percent_off', 'coupons.amount_off', 'coupons.currency', 'coupons.duration', 'coupons.applies_to_products'])
      .where('discounts.account_id', '=', accountId).where('discounts.id', '=', sql<string>`any(${discountIds}::text[])`).execute() : [],
  ]);
  const discounts = new Map<string, MrrDiscount>(discountRows.map((d) => [d.id, {
    id: d.id, percent_off: d.percent_off, amount_off: d.amount_off, currency: d.currency, products: d.applies_to_products,
    startsAt: d.starts_at, endsAt: d.ends_at, recurring: d.duration !== 'once',
  }]));
  // Prices as billed in each currency their subscriptions are in; licensed recurring ones only.
  // With them, the MRR of a revision without discounts, which depends on its status and items only.
  const pricesIn = new Map<string, { prices: Map<string, MrrPrice>; memo: Map<string, bigint> }>();
  const pricesFor = (currency: string) => {
    let m = pricesIn.get(currency);
    if (m) return m;
    m = { prices: new Map(), memo: new Map() };
    for (const row of priceRows) {
      const p = priceIn(row, currency);
      if (!p || !p.recurring_interval || p.usage_type === 'metered') continue;
      m.prices.set(p.id, { product: p.product_id, model: priceModelOf(p), interval: p.recurring_interval as Interval, intervalCount: p.recurring_interval_count ?? 1, metered: false });
    }
    pricesIn.set(currency, m);
    return m;
  };
  const histories: History[] = [];
  for (let i = 0; i < revisions.length;) {
    let j = i;
    while (j < revisions.length && revisions[j]!.subscription_id === revisions[i]!.subscription_id) j++;
    const mine: MrrRevision[] = revisions.slice(i, j).map((r) => ({ at: r.at, status: r.status, currency: r.currency, items: r.items, discountIds: r.discount_ids }));
    const last = revisions[j - 1]!;
    const { prices, memo } = pricesFor(last.currency);
    histories.push({ subscription: last.subscription_id, customer: last.customer_id, currency: last.currency, revisions: mine, prices, discounts, memo });
    i = j;
  }
  return { count, histories };
}

/**
 * A history up to `to` as a track, or nothing if it had not begun. Its revisions are in time
 * order, so those before `to` are its first ones: usually all of them, and then the track over
 * the whole history serves every `to` after its last revision.
 */
function trackUpTo(h: History, to: Date): Track | null {
  const t = to.getTime();
  const n = h.revisions.at(-1)!.at.getTime() < t ? -1 : h.revisions.findIndex((r) => r.at.getTime() >= t);
  const track = (revisions: MrrRevision[]): Track => ({
    subscription: h.subscription, customer: h.customer, currency: revisions.at(-1)!.currency, revisions,
    steps: mrrSteps(revisions, h.prices, h.discounts, h.memo), prices: h.prices, discounts: h.discounts,
  });
  if (n === -1) return h.whole ??= track(h.revisions);
  return n === 0 ? null : track(h.revisions.slice(0, n));
}

/**
 * The books of the last accounts asked for, per database, by the number of revisions they were
 * read at. Revisions are only ever added (never changed nor deleted) and what they are priced
 * with (prices; discounts' coupons and dates) never changes, so an account's book is the same
 * as long as its count of revisions is: a new count reads the book anew.
 */
const sources = new WeakMap<Db, Map<string, { count: number; source: Promise<Source> }>>();
const ACCOUNTS_KEPT = 16;

async function sourceOf(db: Db, accountId: string): Promise<Source> {
  const { count } = await db.selectFrom('subscription_revisions').select((eb) => eb.fn.countAll<string>().as('count'))
    .where('account_id', '=', accountId).executeTakeFirstOrThrow();
  let kept = sources.get(db);
  if (!kept) sources.set(db, kept = new Map());
  const hit = kept.get(accountId);
  kept.delete(accountId);
  // Requests that arrive together (the overview sends three) share one read.
  const entry = hit && hit.count === Number(count) ? hit : { count: Number(count), source: loadSource(db, accountId, Number(count)) };
  kept.set(accountId, entry);
  if (kept.size > ACCOUNTS_KEPT) kept.delete(kept.keys().next().value!);
  entry.source.catch(() => { if (kept.get(accountId) === entry) kept.delete(accountId); });
  return await entry.source;
}

/**
 * The account's book up to `to`: every subscription's revisions (status, currency, items,
 * discounts, in time order) and its MRR as a step function of time.
 */
export async function loadBook(db: Db, accountId: string, to: Date): Promise<Track[]> {
  const source = await sourceOf(db, accountId);
  return source.histories.flatMap((h) => trackUpTo(h, to) ?? []);
}


/**
 * The one currency of a single-currency report: `requested` (normalized), else the book's only
 * currency, null for an empty book; a book in several currencies needs one named (param `currency`).
 */
export function oneCurrency(book: readonly Track[], requested: string | undefined): string | null {
  if (requested !== undefined) return normalizeCurrency(requested, 'currency');
  const currencies = [...new Set(book.map((t) => t.currency))].sort();
  if (currencies.length > 1) throw invalid('parameter_missing', `The book has subscriptions in ${currencies.join(', ')}: name one with currency.`, 'currency');
  return currencies[0] ?? null;
}
