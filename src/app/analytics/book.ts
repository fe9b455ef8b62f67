import { sql, type Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { normalizeCurrency } from '../../domain/currency.ts';
import { invalid } from '../../domain/errors.ts';
import { mrrSteps, type Interval, type MrrDiscount, type MrrPrice, type MrrRevision, type Step } from '../../domain/analytics/mrr.ts';
import { priceModelOf } from '../catalog/catalog.ts';
import { priceIn } from '../catalog/price-currencies.ts';
import type { Deps } from '../ports.ts';
import type { Row } from '../views.ts';
import { idFloorAt, idTime } from '../../domain/ids.ts';

type Db = Deps['db'];

/** One subscription's history: whose, in which currency, its revisions and its MRR over time. */
export type Track = {
  subscription: string; customer: string; currency: string; revisions: MrrRevision[]; steps: Step[];
  /** What its revisions are priced with: the licensed prices in its currency, and its discounts. */
  prices: ReadonlyMap<string, MrrPrice>; discounts: ReadonlyMap<string, MrrDiscount>;
};

type RevisionRow = { subscription_id: string; customer_id: string; at: string; status: string; currency: string; items: string; discount_ids: string };
type Reader = Db | Transaction<DB>;

/**
 * The revisions of the account (or of some of its subscriptions), in time order per
 * subscription, each one that changed something: a revision the same as the one before it (a
 * renewal's, say: same status, currency, items, discounts and customer) changes no figure of any
 * report, so it is not read. Narrow on purpose: what the reports use, times in epoch milliseconds
 * (PostgreSQL's microseconds cut, as the driver's Date would), JSON and arrays as text to parse
 * once per distinct value.
 */
async function changes(db: Reader, accountId: string, only: string[] | null): Promise<RevisionRow[]> {
  const r = await sql<RevisionRow>`
    SELECT subscription_id, customer_id, at, status, currency, items, discount_ids FROM (
      SELECT subscription_id, customer_id, floor(extract(epoch FROM at) * 1000)::int8::text AS at, status, currency, items::text AS items,
             discount_ids::text AS discount_ids, at AS t, id,
             (status, currency, items, discount_ids, customer_id) IS NOT DISTINCT FROM
               lag((status, currency, items, discount_ids, customer_id)) OVER (PARTITION BY subscription_id ORDER BY at, id) AS same
        FROM subscription_revisions
       WHERE account_id = ${accountId} AND (${only}::text[] IS NULL OR subscription_id = any(${only}::text[]))) r
     WHERE NOT same ORDER BY subscription_id, t, id`.execute(db);
  return r.rows;
}

/** A text[] as PostgreSQL writes it, for ids (no quotes, commas or braces in them). */
const textArray = (v: string): string[] => (v === '{}' ? [] : v.slice(1, -1).split(','));

/** One subscription's whole history, priced; its track over all of it is made when first asked for. */
type History = Omit<Track, 'steps'> & { memo: Map<string, bigint>; whole?: Track };
/** Prices as billed in one currency (licensed recurring ones), and the MRR of revisions without discounts, which depends on status and items only. */
type Pricing = { prices: Map<string, MrrPrice>; memo: Map<string, bigint> };

/**
 * The account's book as read from `count` revisions, the greatest id among them `maxId`: each
 * subscription's history, and what priced them.
 */
type Source = {
  count: number; maxId: string | null; histories: Map<string, History>;
  priceRows: Row<'prices'>[]; pricing: Map<string, Pricing>; discounts: Map<string, MrrDiscount>; discountIds: Set<string>;
  /** The ids of its revisions minted in the LOOKBACK before maxId's: a late commit may land among them. */
  recentIds: Set<string>;
};

/**
 * How long a revision may be committed after one of a greater id (another writer's transaction
 * still open) and still be read onto a kept book; later than that, the book is read whole.
 */
const LOOKBACK_MS = 5 * 60_000;
const windowFloor = (maxId: string) => idFloorAt('subscriptionRevision', idTime(maxId) - LOOKBACK_MS);

/** The account's revisions minted in the lookback before `maxId`, or later. */
const recentOf = async (db: Reader, accountId: string, maxId: string | null) => (maxId === null ? []
  : await db.selectFrom('subscription_revisions').select(['id', 'subscription_id']).where('account_id', '=', accountId).where('id', '>=', windowFloor(maxId)).execute());

const recentIdsOf = (recent: { id: string }[], maxId: string | null) => {
  const floor = maxId === null ? null : windowFloor(maxId);
  return new Set(floor === null ? [] : recent.filter((r) => r.id >= floor).map((r) => r.id));
};

/** The prices and discounts (with their coupons) of these ids, as the reports price with them. */
async function pricingRows(tx: Reader, accountId: string, priceIds: string[], discountIds: string[]) {
  const [priceRows, discountRows] = await Promise.all([
    priceIds.length ? tx.selectFrom('prices').selectAll().where('account_id', '=', accountId).where('id', '=', sql<string>`any(${priceIds}::text[])`).execute() : [],
    discountIds.length ? tx.selectFrom('discounts').innerJoin('coupons', (j) => j.onRef('coupons.account_id', '=', 'discounts.account_id').onRef('coupons.id', '=', 'discounts.coupon_id'))
      .select(['discounts.id', 'discounts.starts_at', 'discounts.ends_at', 'coupons.percent_off', 'coupons.amount_off', 'coupons.currency', 'coupons.duration', 'coupons.applies_to_products'])
      .where('discounts.account_id', '=', accountId).where('discounts.id', '=', sql<string>`any(${discountIds}::text[])`).execute() : [],
  ]);
  const discounts = new Map<string, MrrDiscount>(discountRows.map((d) => [d.id, {
    id: d.id, percent_off: d.percent_off, amount_off: d.amount_off, currency: d.currency, products: d.applies_to_products,
    startsAt: d.starts_at, endsAt: d.ends_at, recurring: d.duration !== 'once',
  }]));
  return { priceRows, discounts };
}

const statsOf = async (db: Reader, accountId: string) => await db.selectFrom('subscription_revisions')
  .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('id').as('max_id')]).where('account_id', '=', accountId).executeTakeFirstOrThrow();

/** Prices as billed in `currency`, made once per source. */
function pricingOf(src: Pick<Source, 'priceRows' | 'pricing'>, currency: string): Pricing {
  let m = src.pricing.get(currency);
  if (m) return m;
  m = { prices: new Map(), memo: new Map() };
  for (const row of src.priceRows) {
    const p = priceIn(row, currency);
    if (!p || !p.recurring_interval || p.usage_type === 'metered') continue;
    m.prices.set(p.id, { product: p.product_id, model: priceModelOf(p), interval: p.recurring_interval as Interval, intervalCount: p.recurring_interval_count ?? 1, metered: false });
  }
  src.pricing.set(currency, m);
  return m;
}

/** Rows of `changes` as revisions, per subscription in order; item and discount lists parsed once per distinct text. */
function revisionsOf(rows: RevisionRow[]) {
  // An item list's JSON starts with '[', a text[] with '{': one map holds both.
  const parsed = new Map<string, MrrRevision['items'] | string[]>();
  const once = <T extends MrrRevision['items'] | string[]>(text: string, parse: (t: string) => T): T => {
    let v = parsed.get(text) as T | undefined;
    if (v === undefined) parsed.set(text, v = parse(text));
    return v;
  };
  const bySubscription = new Map<string, { customer: string; revisions: MrrRevision[] }>();
  for (const r of rows) {
    let h = bySubscription.get(r.subscription_id);
    if (!h) bySubscription.set(r.subscription_id, h = { customer: r.customer_id, revisions: [] });
    h.customer = r.customer_id;
    h.revisions.push({ at: new Date(Number(r.at)), status: r.status, currency: r.currency, items: once(r.items, (t) => JSON.parse(t) as MrrRevision['items']), discountIds: once(r.discount_ids, textArray) });
  }
  return bySubscription;
}

function historiesInto(src: Source, read: ReturnType<typeof revisionsOf>): void {
  for (const [subscription, { customer, revisions }] of read) {
    const currency = revisions.at(-1)!.currency;
    const { prices, memo } = pricingOf(src, currency);
    src.histories.set(subscription, { subscription, customer, currency, revisions, prices, discounts: src.discounts, memo });
  }
}

/** Every subscription's history: one read of the revisions, one of their prices, one of their discounts, whatever the book's size. */
async function readWhole(tx: Reader, accountId: string, stats: { count: string; max_id: string | null }): Promise<Source> {
  const [read, recent] = await Promise.all([changes(tx, accountId, null).then(revisionsOf), recentOf(tx, accountId, stats.max_id)]);
  const all = [...read.values()].flatMap((h) => h.revisions);
  const discountIds = [...new Set(all.flatMap((r) => r.discountIds))];
  const { priceRows, discounts } = await pricingRows(tx, accountId, [...new Set(all.flatMap((r) => r.items.map((i) => i.price)))], discountIds);
  const src: Source = {
    count: Number(stats.count), maxId: stats.max_id, histories: new Map(), priceRows, pricing: new Map(), discounts, discountIds: new Set(discountIds),
    recentIds: recentIdsOf(recent, stats.max_id),
  };
  historiesInto(src, read);
  return src;
}

/**
 * The book after `base`, reading only the subscriptions with a revision added since: the ids at
 * or above the lookback before base's greatest that base has not read (a revision committed a
 * little after one of a greater id is among them). That they are all the revisions added is
 * checked by the count; if not, the whole book is read instead. Prices and discounts the new
 * revisions name that base never read are read too.
 */
async function readSince(tx: Reader, accountId: string, base: Source, stats: { count: string; max_id: string | null }): Promise<Source | null> {
  if (base.maxId === null) return null;
  const recent = await recentOf(tx, accountId, base.maxId);
  const added = recent.filter((r) => !base.recentIds.has(r.id));
  if (base.count + added.length !== Number(stats.count)) return null;
  const read = revisionsOf(await changes(tx, accountId, [...new Set(added.map((r) => r.subscription_id))]));
  const revisions = [...read.values()].flatMap((h) => h.revisions);
  const known = new Set(base.priceRows.map((p) => p.id));
  const newPrices = [...new Set(revisions.flatMap((r) => r.items.map((i) => i.price)))].filter((id) => !known.has(id));
  const newDiscounts = [...new Set(revisions.flatMap((r) => r.discountIds))].filter((id) => !base.discountIds.has(id));
  const more = await pricingRows(tx, accountId, newPrices, newDiscounts);
  const src: Source = {
    ...base, count: Number(stats.count), maxId: stats.max_id, histories: new Map(base.histories), recentIds: recentIdsOf(recent, stats.max_id),
    // Histories kept go on with the pricing they were made with: none of their revisions names what is new.
    ...(more.priceRows.length ? { priceRows: [...base.priceRows, ...more.priceRows], pricing: new Map() } : {}),
    ...(newDiscounts.length ? { discounts: new Map([...base.discounts, ...more.discounts]), discountIds: new Set([...base.discountIds, ...newDiscounts]) } : {}),
  };
  historiesInto(src, read);
  return src;
}

/** The book now: `base` itself if nothing was added since, else what was added read onto it, else all of it read. */
async function readSource(db: Db, accountId: string, base: Source | null): Promise<Source> {
  // One snapshot for the count and the rows: they must be of the same revisions.
  return await db.transaction().setIsolationLevel('repeatable read').execute(async (tx) => {
    const stats = await statsOf(tx, accountId);
    if (base && base.count === Number(stats.count) && base.maxId === stats.max_id) return base;
    return (base ? await readSince(tx, accountId, base, stats) : null) ?? await readWhole(tx, accountId, stats);
  });
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
 * as long as its count of revisions is; when the count moves, what was added is read onto it.
 */
const sources = new WeakMap<Db, Map<string, { count: number; source: Promise<Source> }>>();
const ACCOUNTS_KEPT = 16;

async function sourceOf(db: Db, accountId: string): Promise<Source> {
  const count = Number((await statsOf(db, accountId)).count);
  let kept = sources.get(db);
  if (!kept) sources.set(db, kept = new Map());
  const hit = kept.get(accountId);
  kept.delete(accountId);
  // Requests that arrive together (the overview sends three) share one read.
  const entry = hit && hit.count === count ? hit
    : { count, source: (async () => await readSource(db, accountId, hit ? await hit.source.catch(() => null) : null))() };
  kept.set(accountId, entry);
  if (kept.size > ACCOUNTS_KEPT) kept.delete(kept.keys().next().value!);
  entry.source.catch(() => { if (kept.get(accountId) === entry) kept.delete(accountId); });
  return await entry.source;
}

/**
 * Reads the books of the accounts whose subscriptions changed last (as many as are kept), so
 * that the first dashboard page after a start does not wait for a whole book. Least recent
 * first: the most recent end up kept longest.
 */
export async function warmBooks(db: Db): Promise<number> {
  const accounts = await db.selectFrom('subscription_revisions').select('account_id').groupBy('account_id')
    .orderBy((eb) => eb.fn.max('id'), 'desc').limit(ACCOUNTS_KEPT).execute();
  for (const a of accounts.reverse()) await sourceOf(db, a.account_id);
  return accounts.length;
}

/**
 * The account's book up to `to`: every subscription's revisions (status, currency, items,
 * discounts, in time order) and its MRR as a step function of time.
 */
export async function loadBook(db: Db, accountId: string, to: Date): Promise<Track[]> {
  const source = await sourceOf(db, accountId);
  return [...source.histories.values()].flatMap((h) => trackUpTo(h, to) ?? []);
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
