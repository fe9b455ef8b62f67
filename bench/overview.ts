import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { connect } from '../src/adapters/postgres/pool.ts';
import { ensureDefaultAccount } from '../src/app/accounts/accounts.ts';
import { getMrrReport } from '../src/app/analytics/mrr.ts';
import { getRecoveryReport } from '../src/app/analytics/recovery.ts';
import { getSubscribersReport } from '../src/app/analytics/subscribers.ts';
import type { Deps } from '../src/app/ports.ts';
import { seedDemo, type DemoSummary } from '../src/demo/seed.ts';
import { makeDeps } from '../src/runtime.ts';
import { BENCH_KEY, startRebill } from './latency.ts';
import { copyBook } from './overview-book.ts';

/** The requests the dashboard's overview page sends (web/dashboard/pages/overview.tsx), all at once. */
export const OVERVIEW_REQUESTS = ['/v1/analytics/mrr', '/v1/analytics/subscribers', '/v1/analytics/recovery'];
export const RENDER_TARGET_MS = 1000;
const STATES = ['book kept', 'after a change', 'after a restart, once ready', 'after a restart, as soon as it serves', 'whole book read (forced)'] as const;
/**
 * Each state is judged. A person opening the dashboard meets the first three: a process that
 * serves but has not finished reading the books at start gets no traffic behind a load balancer
 * that waits for /health/ready, and a whole read happens only for a revision committed more than
 * 5 minutes after its id was minted.
 */
export type State = (typeof STATES)[number];
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type OverviewResult = {
  subscriptions: number; seedSeconds: number; copySeconds: number;
  /** Per request, then all of them side by side as the page sends them: each run's milliseconds. */
  requests: Map<string, number[]>;
  /**
   * Navigation start to the MRR figure and its chart drawn, and to every section of the page
   * filled: with the book kept by the server, and right after a change to it.
   */
  render: Map<State, { mrr: number[]; all: number[] }> | null;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');
const ms = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`;

/** Every number of a report's JSON multiplied by `k`; strings (rates, times, ids) as they are. */
function scaled(v: unknown, k: number): unknown {
  if (typeof v === 'number') return v * k;
  if (Array.isArray(v)) return v.map((x) => scaled(x, k));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, scaled(x, k)]));
  return v;
}

/** The overview's three reports over a fixed range, computed in process. */
async function reports(deps: Pick<Deps, 'db' | 'clock'>, accountId: string, to: Date) {
  const q = { to: to.toISOString() };
  return {
    mrr: await getMrrReport(deps, accountId, q), subscribers: await getSubscribersReport(deps, accountId, q),
    recovery: await getRecoveryReport(deps, accountId, { ...q, from: new Date(to.getTime() - 30 * 86_400_000).toISOString() }),
  };
}

/**
 * Builds the book in a database of its own: `rebill demo`'s generator through the API on test
 * clocks (a dollar book and a euro book, with pauses), then copies of it up to `target`
 * subscriptions; checks that the copies changed no report but by the factor of copies.
 */
async function buildBook(admin: pg.Client, serverUrl: string, template: string, target: number, customers: number, say: (l: string) => void) {
  const name = `rebill_bench_book_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const d = connect(url.toString(), { max: 4 });
  try {
    const deps = makeDeps(d, pino({ level: 'warn' }), { recoveryDelayMs: 60_000 });
    const { account } = await ensureDefaultAccount(d.db, BENCH_KEY);
    const started = performance.now();
    const now = new Date();
    const books: DemoSummary[] = [];
    const dollars = Math.round(customers * 0.7);
    for (const [currency, n, seed] of [['usd', dollars, 1], ['eur', customers - dollars, 2]] as const) {
      books.push(await seedDemo(deps, { accountId: account.id, customers: n, months: 12, seed, now, currency, pauses: true }));
    }
    const seedSeconds = (performance.now() - started) / 1000;
    const sum = (k: keyof Omit<DemoSummary, 'clock'>) => books.reduce((a, b) => a + b[k], 0);
    say(`  template through the API in ${seedSeconds.toFixed(0)} s: ${sum('customers')} customers (${dollars} in USD, ${customers - dollars} in EUR) on 2 test clocks, ` +
      `${sum('subscriptions')} subscriptions, ${sum('upgrades')} upgrades, ${sum('downgrades')} downgrades, ${sum('cancellations')} cancellations, ` +
      `${sum('returns')} returns, ${sum('paused')} trials paused without a card (${sum('resumed')} resumed), ${sum('collectionPauses')} collection pauses`);
    const templateSubs = Number((await d.pool.query('SELECT count(*) AS n FROM subscriptions WHERE account_id = $1', [account.id])).rows[0].n);
    const copies = Math.max(0, Math.ceil(target / templateSubs) - 1);
    // Reports at a fixed instant, so that the copy's can be compared with the template's.
    const at = new Date(now.getTime() + 1000);
    const clock = { now: () => at };
    const before = await reports({ db: d.db, clock }, account.id, at);
    const t0 = performance.now();
    const added = await copyBook(d.pool, account.id, copies);
    await d.pool.query('VACUUM ANALYZE');
    const copySeconds = (performance.now() - t0) / 1000;
    const subscriptions = templateSubs * (copies + 1);
    say(`  ${copies} copies of it in SQL in ${copySeconds.toFixed(0)} s (vacuumed and analyzed): ${subscriptions} subscriptions; rows added: ` +
      [...added].map(([t, n]) => `${t.replace('public.', '')} ${n}`).join(', '));
    const after = await reports({ db: d.db, clock }, account.id, at);
    for (const k of ['mrr', 'subscribers', 'recovery'] as const) {
      if (JSON.stringify(after[k]) !== JSON.stringify(scaled(before[k], copies + 1))) {
        throw new Error(`(i): the ${k} report of the copied book is not ${copies + 1} times the template's: the copy is not the engine's book`);
      }
    }
    say(`  checked: the copied book's MRR, subscribers and recovery reports are exactly ${copies + 1} times the template's (every count and amount)`);
    return { name, subscriptions, seedSeconds, copySeconds };
  } finally {
    await d.close();
  }
}

/** Part (i): the dashboard overview with a book of `target` subscriptions. */
export async function runOverview(admin: pg.Client, serverUrl: string, template: string, o: { target: number; customers: number; runs: number }, say: (l: string) => void): Promise<OverviewResult> {
  const book = await buildBook(admin, serverUrl, template, o.target, o.customers, say);
  // The server runs on a copy of the book's database, as `rebill start` (API, dashboard and worker in one process).
  const server = await startRebill(admin, serverUrl, book.name, 'start', 'overview');
  try {
    // Rates the merchant uploads: euros to dollars, dated the first of each month of the book.
    const first = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 13, 1));
    for (let m = 0; m <= 13; m++) {
      const day = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + m, 1)).toISOString().slice(0, 10);
      await server.post('/v1/exchange_rates', { base_currency: 'eur', quote_currency: 'usd', rate: (1.05 + m * 0.005).toFixed(4), effective_date: day });
    }
    const get = async (path: string) => {
      const t = performance.now();
      const r = await fetch(server.base + path, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`(i): GET ${path} answered ${r.status}`);
      return performance.now() - t;
    };
    // What the server has to read before it answers, five ways. With the book unchanged, nothing;
    // after a change to the book through the API (a subscription's metadata: a revision, no figure
    // moves), what was added. After a restart, the process reads the books at start: once
    // /health/ready answers, nothing is left; as soon as /health answers, the rest of that read.
    // To make it read the whole book, the bench writes a copy of a revision (same subscription,
    // time and content: no figure moves) with an id below every other: the server cannot tell it
    // was added since, so it reads everything again.
    const list = await (await fetch(`${server.base}/v1/subscriptions?limit=1`, { headers: { authorization: `Bearer ${BENCH_KEY}` } })).json() as { data: { id: string }[] };
    const touched = list.data[0]!.id;
    let touches = 0;
    const db = new pg.Client({ connectionString: server.url });
    await db.connect();
    const states: [State, () => Promise<unknown>][] = [
      ['book kept', async () => undefined],
      ['after a change', () => server.post(`/v1/subscriptions/${touched}`, { metadata: { bench_touch: String(++touches) } })],
      ['after a restart, once ready', () => server.restart('/health/ready')],
      ['after a restart, as soon as it serves', () => server.restart('/health')],
      ['whole book read (forced)', () => db.query(`INSERT INTO subscription_revisions SELECT account_id, 'srev_' || lpad($1::text, 26, '0'), subscription_id, customer_id, at, status,
          currency, items, discount_ids FROM subscription_revisions WHERE id = (SELECT max(id) FROM subscription_revisions)`, [++touches])],
    ];
    const requests = new Map<string, number[]>();
    say(`\n  API, over HTTP against rebill start, one request at a time, ${o.runs} runs each: ${STATES.join('; ')}:`);
    const timed = async (what: () => Promise<number>) => {
      const runs = new Map<State, number[]>(STATES.map((k) => [k, []]));
      for (let i = 0; i < o.runs; i++) for (const [state, prepare] of states) { await prepare(); runs.get(state)!.push(await what()); }
      return runs;
    };
    const line = (runs: Map<State, number[]>) => STATES.map((k) => `${k}: ${ms(runs.get(k)!)}`).join('; ');
    for (const path of OVERVIEW_REQUESTS) {
      await get(path);
      const runs = await timed(() => get(path));
      for (const [k, v] of runs) requests.set(`${path}, ${k}`, v);
      say(`    GET ${path}  ${line(runs)}  [load average ${load()}]`);
    }
    const together = await timed(async () => { const t = performance.now(); await Promise.all(OVERVIEW_REQUESTS.map(get)); return performance.now() - t; });
    for (const [k, v] of together) requests.set(`all three side by side, ${k}`, v);
    say(`    all three side by side, as the page sends them:  ${line(together)}  [load average ${load()}]`);

    let render: OverviewResult['render'] = null;
    if (!existsSync(CHROMIUM)) say(`  render not measured: no chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
    else render = await measureRender(server.base, o.runs, states, say);
    await db.end();
    return { subscriptions: book.subscriptions, seedSeconds: book.seedSeconds, copySeconds: book.copySeconds, requests, render };
  } finally {
    await server.stop();
  }
}

/**
 * The overview in headless Chromium, signed in with the API key as a person would: each run a
 * full navigation to /dashboard/ (assets cached after the first, as for anyone who has opened it
 * before), timed from the navigation's start to the first frame in which the MRR figure and its
 * chart's canvas are on the page, and to the one in which no section is still loading; each run
 * once in each of `states`.
 */
async function measureRender(base: string, runs: number, states: [State, () => Promise<unknown>][], say: (l: string) => void) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/dashboard/`);
    await page.fill('input[aria-label="API key"]', BENCH_KEY);
    await page.click('text=Use key');
    await page.waitForSelector('h1:has-text("Overview")');
    let navigations = 0;
    const open = async () => {
      // A query string makes it a full navigation; the key stays in the tab's sessionStorage.
      await page.goto(`${base}/dashboard/?run=${navigations++}`, { waitUntil: 'commit' });
      const shown = await page.waitForFunction(() => (document.querySelector('[data-testid^="mrr-"]') && document.querySelector('.panel canvas')
        ? performance.now() : null), null, { polling: 'raf', timeout: 60_000 });
      const filled = await page.waitForFunction(() => (document.querySelector('[data-testid^="subscribers-"]') && !document.body.textContent!.includes('Loading…')
        ? performance.now() : null), null, { polling: 'raf', timeout: 60_000 });
      return [await shown.jsonValue() as number, await filled.jsonValue() as number] as const;
    };
    // Not counted: the first loads the assets into the browser's cache.
    await open();
    const r = new Map<State, { mrr: number[]; all: number[] }>(STATES.map((k) => [k, { mrr: [], all: [] }]));
    for (let i = 0; i < runs; i++) {
      for (const [state, prepare] of states) {
        await prepare();
        const [mrr, all] = await open();
        r.get(state)!.mrr.push(mrr); r.get(state)!.all.push(all);
      }
    }
    const shot = path.join(os.tmpdir(), 'rebill-bench-overview.png');
    await page.screenshot({ path: shot, fullPage: true });
    say(`\n  overview in Chromium (headless, 1280×900, full navigations with the assets cached; screenshot in ${shot}):`);
    for (const k of STATES) {
      say(`    ${k}: navigation start → MRR figure and chart on screen ${ms(r.get(k)!.mrr)}; → every section filled ${ms(r.get(k)!.all)}  [load average ${load()}]`);
    }
    return r;
  } finally {
    await browser.close();
  }
}

export { median };
