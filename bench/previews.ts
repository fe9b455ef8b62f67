import type { Post, Workload } from './latency.ts';

/**
 * Part (d)'s workload: POST /v1/invoices/create_preview of an upgrade of a random subscription in
 * a book of carded customers on monthly subscriptions of two or three items across the charge
 * models, some with pending prorations and some with a credit balance.
 */

const CUSTOMERS = Number(process.env.BENCH_PREVIEW_CUSTOMERS ?? 300);
// The book is built this many customers at a time; it is set-up, not measured.
const LANES = 4;

/** xorshift32: the same book and the same sequence of previews on every run. */
function randomFrom(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Item = { id: string; price: string; quantity: number };
type Sub = { id: string; items: Item[]; start: number; end: number };
type SubObject = {
  id: string; current_period_start: string; current_period_end: string;
  items: { data: { id: string; quantity: number; price: { id: string } }[] };
};

const subOf = (s: SubObject): Sub => ({
  id: s.id, start: Date.parse(s.current_period_start), end: Date.parse(s.current_period_end),
  items: s.items.data.map((x) => ({ id: x.id, price: x.price.id, quantity: x.quantity })),
});
// Rounded up: a period starts at a millisecond, and a proration_date is whole seconds that must lie in the period.
const wholeSeconds = (t: number) => new Date(Math.ceil(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');

async function catalog(post: Post) {
  const product = await post('/v1/products', { name: 'Bench suite' });
  const price = async (body: Record<string, unknown>) =>
    (await post('/v1/prices', { product: product.id, currency: 'usd', recurring: { interval: 'month' }, ...body })).id;
  return {
    basic: await price({ nickname: 'Basic seat', unit_amount: 1500 }),
    pro: await price({ nickname: 'Pro seat', unit_amount: 3000 }),
    extras: [
      await price({ nickname: 'Storage GB', unit_amount_decimal: '12.345' }),
      await price({ nickname: 'API calls', billing_scheme: 'tiered', tiers_mode: 'graduated',
        tiers: [{ up_to: 10, unit_amount: 500 }, { up_to: 100, unit_amount_decimal: '300.25' },
          { up_to: 'inf', unit_amount: 150, flat_amount: 1000 }] }),
      await price({ nickname: 'Users', billing_scheme: 'tiered', tiers_mode: 'volume',
        tiers: [{ up_to: 5, unit_amount: 800 }, { up_to: 20, unit_amount: 600 },
          { up_to: 'inf', unit_amount: 400, flat_amount: 2500 }] }),
      await price({ nickname: 'Message packs of 10', unit_amount: 2500, transform_quantity: { divide_by: 10, round: 'up' } }),
    ],
  };
}

export const previewWorkload: Workload = {
  name: 'preview',
  prepare: async (post) => {
    const prices = await catalog(post);
    const subs: Sub[] = [];
    let pendingItems = 0, credited = 0;
    /**
     * Customer `i`: a seat (basic or pro) and one or two of the other charge models. Every third
     * then adds a seat mid-period, which leaves a pending proration pair for the next invoice;
     * every fourth moves from pro to basic and is invoiced at once, which leaves a credit balance.
     */
    const customer = async (i: number) => {
      const c = await post('/v1/customers', { email: `preview${i}@example.com` });
      await post('/v1/payment_methods', { customer: c.id, token: 'tok_visa' });
      const extras = prices.extras.length;
      const items = [{ price: i % 2 ? prices.pro : prices.basic, quantity: 1 + (i % 5) },
        { price: prices.extras[i % extras]!, quantity: 5 + (i % 40) }];
      if (i % 3 === 0) items.push({ price: prices.extras[(i + 1) % extras]!, quantity: 3 + (i % 25) });
      let sub = subOf(await post('/v1/subscriptions', { customer: c.id, items }) as unknown as SubObject);
      const seat = sub.items[0]!;
      // Prorated from the period's first whole second, as if changed at once. Left to default
      // to now, a change within the period's first second is refused with a 500: the default
      // instant is rounded down to the second, to before the period's start.
      const change = async (body: Record<string, unknown>) => subOf(await post(`/v1/subscriptions/${sub.id}`,
        { ...body, proration_date: wholeSeconds(sub.start) }) as unknown as SubObject);
      // In this order: an invoice made at once would take the pending prorations with it.
      if (i % 4 === 3) {
        sub = await change({ items: [{ id: seat.id, price: prices.basic }], proration_behavior: 'always_invoice' });
        credited++;
      }
      if (i % 3 === 1) {
        sub = await change({ items: [{ id: seat.id, quantity: seat.quantity + 1 }], proration_behavior: 'create_prorations' });
        pendingItems++;
      }
      subs[i] = sub;
    };
    let next = 0;
    await Promise.all(Array.from({ length: LANES }, async () => { while (next < CUSTOMERS) await customer(next++); }));

    const random = randomFrom(0x5eed);
    /** An upgrade of one item of a random subscription: basic seats to pro, or more of anything. */
    const request = () => {
      const sub = subs[Math.floor(random() * subs.length)]!;
      const item = sub.items[Math.floor(random() * sub.items.length)]!;
      const change = item.price === prices.basic && random() < 0.5
        ? { id: item.id, price: prices.pro }
        : { id: item.id, quantity: item.quantity + 1 + Math.floor(random() * 3) };
      return {
        path: '/v1/invoices/create_preview',
        body: { subscription: sub.id, subscription_details: {
          items: [change], proration_behavior: random() < 0.5 ? 'create_prorations' : 'always_invoice',
          proration_date: wholeSeconds(sub.start + random() * (sub.end - sub.start - 1000)),
        } },
      };
    };

    // A book that does not produce what the previews are about would time something else.
    const both = subs[7]!;
    const seat = both.items[0]!;
    const preview = await post('/v1/invoices/create_preview', { subscription: both.id, subscription_details: {
      items: [{ id: seat.id, quantity: seat.quantity + 2 }], proration_behavior: 'create_prorations',
      proration_date: wholeSeconds((both.start + both.end) / 2) } }) as unknown as {
      starting_balance: number; lines: { data: { kind: string }[] } };
    const kinds = preview.lines.data.map((l) => l.kind);
    const balance = preview.starting_balance;
    if (kinds.filter((k) => k === 'proration').length !== 4 || !kinds.includes('subscription') || balance >= 0) {
      throw new Error('part (d): a preview of a subscription with pending prorations and a credit came back as ' +
        JSON.stringify({ kinds, starting_balance: balance }));
    }
    console.log(`  book: ${CUSTOMERS} customers with a card and a monthly subscription of 2 or 3 items; ` +
      `${pendingItems} with a pending proration pair, ${credited} with a credit balance`);
    return request;
  },
};
