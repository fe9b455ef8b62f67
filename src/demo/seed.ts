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
export type DemoOptions = { accountId: string; customers: number; months: number; seed: number; now: Date };
export type DemoProgress = (done: number, total: number, label: string) => void;
export type DemoSummary = { clock: string; customers: number; subscriptions: number; upgrades: number; downgrades: number; cancellations: number; returns: number };

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
    const product = await api('POST', '/v1/products', { name: 'Coffee subscription (demo)' });
    const price = async (nickname: string, unit_amount: number, interval: 'month' | 'year') =>
      await api('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount, nickname, recurring: { interval } });
    const ladder = [await price('Small box', 1500, 'month'), await price('Medium box', 2500, 'month'), await price('Large box', 4000, 'month')];
    const yearly = await price('Medium box, yearly', 25000, 'year');
    const start = new Date(Date.UTC(o.now.getUTCFullYear(), o.now.getUTCMonth() - o.months, 1));
    const clock = await api('POST', '/v1/test_clocks', { frozen_time: start.toISOString(), name: 'Demo book' });
    const summary: DemoSummary = { clock: clock.id, customers: 0, subscriptions: 0, upgrades: 0, downgrades: 0, cancellations: 0, returns: 0 };
    type Live = { sub: string; item: string; step: number; customer: string; yearly: boolean };
    let live: Live[] = [];
    const gone: string[] = [];
    const subscribe = async (customer: string, trial: boolean) => {
      const isYearly = next() < 0.08;
      const step = isYearly ? 1 : pick([0, 0, 0, 1, 1, 2]);
      const s = await api('POST', '/v1/subscriptions', { customer, items: [{ price: (isYearly ? yearly : ladder[step]!).id }], ...(trial ? { trial_period_days: 14 } : {}) });
      summary.subscriptions++;
      if (!['incomplete', 'incomplete_expired'].includes(s.status)) live.push({ sub: s.id, item: s.items.data[0].id, step, customer, yearly: isYearly });
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
        await api('POST', '/v1/payment_methods', { customer: customer.id, token: card });
        await subscribe(customer.id, card !== 'tok_visa' && card !== 'tok_mastercard' ? true : next() < 0.25);
      }
      // Some move up or down a box, some leave at the period's end, some come back.
      for (const l of [...live]) {
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
