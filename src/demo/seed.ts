import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../app/accounts/accounts.ts';
import type { Deps } from '../app/ports.ts';
import { buildServer } from '../http/server.ts';

/**
 * `rebill demo`: a realistic book for the dashboard's first start, made through the API itself
 * (in-process, every request checked like any client's) on one test clock: customers joining
 * month after month on four plans, trials, upgrades and downgrades, cancellations and returns,
 * and cards that fail — some recovered by dunning retries, some lost. Deterministic for a seed.
 */
export type DemoOptions = {
  accountId: string; customers: number; months: number; seed: number; now: Date;
  /** The book's currency (default usd). */
  currency?: string;
  /**
   * Also pauses (default off, so `rebill demo` stays as it was): some trials start without a
   * card and pause when they end (some resume once a card is added), and some living
   * subscriptions pause their collection for a month.
   */
  pauses?: boolean;
};
export type DemoProgress = (done: number, total: number, label: string) => void;
export type DemoSummary = {
  clock: string; customers: number; subscriptions: number; upgrades: number; downgrades: number; cancellations: number; returns: number;
  paused: number; resumed: number; collectionPauses: number;
};

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Client = <T = any>(method: 'GET' | 'POST', url: string, body?: unknown) => Promise<T>;

function clientOf(app: FastifyInstance, secret: string): Client {
  return async (method, url, body) => {
    const r = await app.inject({ method, url, headers: { authorization: `Bearer ${secret}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    if (r.statusCode >= 300) throw new Error(`demo: ${method} ${url} answered ${r.statusCode}: ${r.body.slice(0, 300)}`);
    return r.json();
  };
}

// Which card a new customer gets, by their number: most pay, every 9th declines twice and then
// pays (a recovery), every 23rd has no funds for good (a loss), every 31st is reported stolen.
const cardFor = (i: number) => (i % 31 === 30 ? 'tok_chargeDeclinedStolenCard' : i % 23 === 11 ? 'tok_chargeDeclinedInsufficientFunds'
  : i % 9 === 4 ? 'tok_chargeDeclinedInsufficientFundsRecoversAfter2' : i % 2 ? 'tok_visa' : 'tok_mastercard');
const NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Niklaus', 'Frances', 'John', 'Hedy', 'Tim', 'Karen', 'Dennis'];

export async function seedDemo(deps: Deps, o: DemoOptions, progress: DemoProgress = () => undefined): Promise<DemoSummary> {
  const key = await createApiKey(deps.db, o.accountId, 'admin');
  const app = await buildServer(deps, { logLevel: 'warn' });
  try {
    const api = clientOf(app, key.secret);
    const next = random(o.seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const currency = o.currency ?? 'usd';
    const product = await api('POST', '/v1/products', { name: `Coffee subscription (demo${currency === 'usd' ? '' : `, ${currency.toUpperCase()}`})` });
    const price = async (nickname: string, unit_amount: number, interval: 'month' | 'year') =>
      await api('POST', '/v1/prices', { product: product.id, currency, unit_amount, nickname, recurring: { interval } });
    const ladder = [await price('Small box', 1500, 'month'), await price('Medium box', 2500, 'month'), await price('Large box', 4000, 'month')];
    const yearly = await price('Medium box, yearly', 25000, 'year');
    const start = new Date(Date.UTC(o.now.getUTCFullYear(), o.now.getUTCMonth() - o.months, 1));
    const clock = await api('POST', '/v1/test_clocks', { frozen_time: start.toISOString(), name: 'Demo book' });
    const summary: DemoSummary = { clock: clock.id, customers: 0, subscriptions: 0, upgrades: 0, downgrades: 0, cancellations: 0, returns: 0, paused: 0, resumed: 0, collectionPauses: 0 };
    type Live = { sub: string; item: string; step: number; customer: string; yearly: boolean; collectionPaused?: boolean };
    let live: Live[] = [];
    const gone: string[] = [];
    // Trials without a card that pause at their end, waiting for one.
    const cardless: Live[] = [];
    const subscribe = async (customer: string, trial: boolean, pauseAtTrialEnd = false) => {
      const isYearly = next() < 0.08;
      const step = isYearly ? 1 : pick([0, 0, 0, 1, 1, 2]);
      const s = await api('POST', '/v1/subscriptions', {
        customer, items: [{ price: (isYearly ? yearly : ladder[step]!).id }], ...(trial ? { trial_period_days: 14 } : {}),
        ...(pauseAtTrialEnd ? { trial_settings: { end_behavior: { missing_payment_method: 'pause' } } } : {}),
      });
      summary.subscriptions++;
      const l = { sub: s.id, item: s.items.data[0].id, step, customer, yearly: isYearly };
      if (pauseAtTrialEnd) cardless.push(l);
      else if (!['incomplete', 'incomplete_expired'].includes(s.status)) live.push(l);
    };
    // Half the paused trials get a card and resume; a few paying subscriptions stop collection for a month.
    const pausesOfTheMonth = async () => {
      for (const l of cardless.splice(0)) {
        const s = await api('GET', `/v1/subscriptions/${l.sub}`);
        if (s.status === 'trialing') { cardless.push(l); continue; }
        if (s.status !== 'paused') continue;
        summary.paused++;
        if (next() < 0.5) continue;
        await api('POST', '/v1/payment_methods', { customer: l.customer, token: 'tok_visa' });
        await api('POST', `/v1/subscriptions/${l.sub}/resume`, {});
        summary.resumed++;
        live.push(l);
      }
      for (const l of live) {
        if (l.collectionPaused) {
          l.collectionPaused = false;
          await api('POST', `/v1/subscriptions/${l.sub}`, { pause_collection: '' });
        } else if (next() < 0.02) {
          l.collectionPaused = true;
          summary.collectionPauses++;
          await api('POST', `/v1/subscriptions/${l.sub}`, { pause_collection: { behavior: 'void' } });
        }
      }
    };
    for (let m = 0; m < o.months; m++) {
      const monthStart = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m, 1));
      progress(m, o.months, monthStart.toISOString().slice(0, 7));
      // Customers join through the month's first days; a failing card gets a trial, so the
      // decline comes at its first renewal and dunning takes over.
      const joining = m === o.months - 1 ? o.customers - summary.customers : Math.max(1, Math.round((o.customers / o.months) * (0.7 + 0.6 * next())));
      for (let k = 0; k < joining && summary.customers < o.customers; k++) {
        const i = summary.customers++;
        const card = cardFor(i);
        const customer = await api('POST', '/v1/customers', { email: `${NAMES[i % NAMES.length]!.toLowerCase()}.${i}@demo.example`, name: `${NAMES[i % NAMES.length]} Demo ${i}`, test_clock: clock.id });
        if (o.pauses && i % 17 === 8) {
          await subscribe(customer.id, true, true);
          continue;
        }
        await api('POST', '/v1/payment_methods', { customer: customer.id, token: card });
        await subscribe(customer.id, card !== 'tok_visa' && card !== 'tok_mastercard' ? true : next() < 0.25);
      }
      if (o.pauses) await pausesOfTheMonth();
      // Some move up or down a box, some leave at the period's end, some come back.
      for (const l of [...live]) {
        if (l.collectionPaused) continue;
        const r = next();
        if (!l.yearly && r < 0.06 && l.step < 2) {
          l.step++; summary.upgrades++;
          await api('POST', `/v1/subscriptions/${l.sub}`, { items: [{ id: l.item, price: ladder[l.step]!.id }] });
        } else if (!l.yearly && r < 0.09 && l.step > 0) {
          l.step--; summary.downgrades++;
          await api('POST', `/v1/subscriptions/${l.sub}`, { items: [{ id: l.item, price: ladder[l.step]!.id }] });
        } else if (r > 0.96) {
          summary.cancellations++;
          await api('POST', `/v1/subscriptions/${l.sub}/cancel`, { at_period_end: true });
          live = live.filter((x) => x !== l);
          gone.push(l.customer);
        }
      }
      if (gone.length && next() < 0.5) {
        summary.returns++;
        await subscribe(gone.splice(Math.floor(next() * gone.length), 1)[0]!, false);
      }
      const monthEnd = new Date(Math.min(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m + 1, 1), o.now.getTime()));
      await api('POST', `/v1/test_clocks/${clock.id}/advance`, { frozen_time: monthEnd.toISOString() });
      // Dunning may have ended some: only the living are changed next month.
      const statuses = await Promise.all(live.map(async (l) => (await api('GET', `/v1/subscriptions/${l.sub}`)).status as string));
      live = live.filter((_, j) => !['canceled', 'incomplete_expired', 'unpaid'].includes(statuses[j]!));
    }
    progress(o.months, o.months, 'done');
    return summary;
  } finally {
    await app.close();
  }
}
