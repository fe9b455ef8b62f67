import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { freePort } from '../src/adapters/postgres/embedded.ts';

export type LatencyResult = { rate: number; seconds: number; p50: number; p99: number; max: number; ok: number; failed: number };

const KEY = 'rk_bench_0123456789abcdefghijklmnop';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Starts `rebill serve` in its own process on a fresh database, prepares customers with cards,
 * then sends POST /v1/subscriptions at a fixed rate for `seconds`. Each request is sent at its
 * scheduled time whether or not earlier ones have answered (open loop), and its latency counts
 * from that scheduled time, so a stalled server cannot hide its queueing delay.
 */
export async function runLatency(admin: pg.Client, serverUrl: string, template: string, rate: number, seconds: number): Promise<LatencyResult> {
  const name = `rebill_bench_http_${rate}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = new URL(serverUrl); url.pathname = `/${name}`;
  const port = await freePort();
  const server = spawn(process.execPath, ['bin/rebill.js', 'serve'], {
    env: { ...process.env, DATABASE_URL: url.toString(), PORT: String(port), LOG_LEVEL: 'warn', REBILL_BOOTSTRAP_KEY: KEY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${base}/health`)).ok) break; } catch { /* not up yet */ }
      if (i > 300) throw new Error('server did not start');
      await sleep(100);
    }
    const post = async (path: string, body: unknown) => {
      const r = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return await r.json() as { id: string };
    };
    const product = await post('/v1/products', { name: 'Bench box' });
    const price = await post('/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } });
    const customers: string[] = [];
    for (let i = 0; i < 200; i++) {
      const c = await post('/v1/customers', { email: `bench${i}@example.com` });
      await post('/v1/payment_methods', { customer: c.id, token: 'tok_visa' });
      customers.push(c.id);
    }
    const body = (i: number) => JSON.stringify({ customer: customers[i % customers.length], items: [{ price: price.id }] });
    const send = (i: number) => fetch(`${base}/v1/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body(i) });

    // Warm up (JIT, connection pool), not measured.
    for (let i = 0; i < 50; i++) await (await send(i)).arrayBuffer();

    const total = rate * seconds;
    const interval = 1000 / rate;
    const latencies: number[] = [];
    let failed = 0;
    const t0 = performance.now() + 20;
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const scheduled = t0 + i * interval;
      const wait = scheduled - performance.now();
      if (wait > 0) await sleep(wait);
      inflight.push(send(i).then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 200) latencies.push(performance.now() - scheduled); else failed++;
      }, () => { failed++; }));
    }
    await Promise.all(inflight);
    latencies.sort((a, b) => a - b);
    return { rate, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? NaN, ok: latencies.length, failed };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
