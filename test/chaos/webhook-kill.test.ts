import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/postgres/embedded.ts';
import { createAccount } from '../../src/app/accounts/accounts.ts';
import { testDatabase } from '../support.ts';
import { startRebill } from './rebill-process.ts';
import { startReceiver } from '../webhook-receiver.ts';

/**
 * Chaos for webhooks: `rebill start` is SIGKILLed while deliveries are in flight — the receiver
 * holds each request a while before answering, and the kill is fired the moment it holds one —
 * then started again, round after round. Deliveries are at least once: every event must end
 * accepted by the receiver, every delivery row `succeeded`, and the deliveries the kills cut off
 * must have come again after a restart. A short lease (REBILL_WEBHOOK_LEASE_MS) lets a restarted
 * worker take over the dead one's claims within seconds.
 */

const ROUNDS = 5;
/** Customers created before the kill is armed, so a round has a few deliveries on the way. */
const BEFORE_ARMING = 6;
const TIMEOUT_MS = 1000;
const LEASE_MS = 2 * TIMEOUT_MS;
/** How long the receiver holds a request: well inside the timeout, so a live worker gets its answer. */
const RECEIVER_DELAY_MS = 300;

async function start(url: string, port: number, secretKey: string): Promise<ChildProcess> {
  return await startRebill(url, port, {
    REBILL_POLL_MS: '50', REBILL_EVENT_SEQUENCE_MS: '50', REBILL_WEBHOOK_POLL_MS: '50', REBILL_WEBHOOKS_ALLOW_HTTP: '1', REBILL_SECRET_KEY: secretKey,
    REBILL_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), REBILL_WEBHOOK_LEASE_MS: String(LEASE_MS),
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null
  ? Promise.resolve()
  : new Promise<void>((resolve) => child.once('exit', () => resolve()));

describe('SIGKILL mid-delivery', () => {
  it(`${ROUNDS} kills with deliveries in flight: every event is delivered after the restarts, at least once`, async () => {
    const d = await testDatabase();
    const { account, key } = await createAccount(d.db, 'Webhook chaos');
    const port = await freePort();
    const secretKey = randomBytes(32).toString('hex');
    const api = `http://127.0.0.1:${port}/v1`;
    const headers = { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (r.status !== 200) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
      return await r.json();
    };

    let secret = '';
    // Armed: the next delivery to arrive (or one already held) gets the worker killed under it.
    let armed: { child: ChildProcess; fired: (inFlight: number) => void } | null = null;
    const fire = () => {
      if (!armed) return;
      const { child, fired } = armed;
      armed = null;
      child.kill('SIGKILL');
      fired(receiver.inFlight());
    };
    const receiver = await startReceiver({ secrets: () => [secret], delayMs: () => RECEIVER_DELAY_MS, onArrival: fire });
    afterAll(() => receiver.close());

    const inFlightAtKill: number[] = [];
    let created = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const child = await start(d.url, port, secretKey);
      if (round === 0) secret = (await post('/webhook_endpoints', { url: receiver.url, enabled_events: ['customer.created'] })).secret;
      for (let i = 0; i < BEFORE_ARMING; i++) { await post('/customers', { email: `r${round}c${i}@example.com` }); created++; }
      const killed = new Promise<number>((fired) => { armed = { child, fired }; });
      if (receiver.inFlight() > 0) fire();
      // More events keep deliveries coming until one arrives; the kill also cuts these calls short.
      for (let i = 0; armed; i++) {
        try { await post('/customers', { email: `r${round}more${i}@example.com` }); created++; } catch { break; }
      }
      inFlightAtKill.push(await killed);
      await exited(child);
    }

    // A last start, left to deliver everything: the dead workers' claims once their leases ran out.
    const last = await start(d.url, port, secretKey);
    const deadline = Date.now() + 30_000;
    const state = async () => (await d.pool.query(`SELECT
        (SELECT count(*) FROM events WHERE account_id = $1 AND type = 'customer.created')::int AS events,
        (SELECT count(*) FROM events WHERE account_id = $1 AND type = 'customer.created' AND sequence IS NULL)::int AS unsequenced,
        (SELECT count(*) FROM webhook_deliveries WHERE account_id = $1 AND status = 'succeeded')::int AS succeeded,
        (SELECT count(*) FROM webhook_deliveries WHERE account_id = $1)::int AS deliveries`, [account.id])).rows[0];
    for (let s = await state(); s.unsequenced > 0 || s.succeeded < s.deliveries || s.deliveries < s.events; s = await state()) {
      if (Date.now() > deadline) throw new Error(`not delivered: ${JSON.stringify(s)}`);
      await sleep(100);
    }
    last.kill('SIGKILL');
    await exited(last);

    const events = (await d.pool.query(`SELECT id FROM events WHERE account_id = $1 AND type = 'customer.created'`, [account.id])).rows.map((r) => r.id as string);
    const rows = (await d.pool.query('SELECT event_id, status FROM webhook_deliveries WHERE account_id = $1', [account.id])).rows;
    const accepted = receiver.accepted().map((r) => r.id);
    const cutOff = receiver.received.filter((r) => r.interrupted);
    const twice = accepted.filter((id, i) => accepted.indexOf(id) !== i);
    console.log(`webhook chaos: ${ROUNDS} kills (${inFlightAtKill.join(', ')} requests held at each), ${events.length} events (${created} customer calls answered), `
      + `${receiver.received.length} requests, ${cutOff.length} cut off by a kill, ${twice.length} accepted twice`);

    // Each kill landed with a request held by the receiver, unanswered: the worker died mid-delivery.
    expect(inFlightAtKill).toHaveLength(ROUNDS);
    for (const n of inFlightAtKill) expect(n).toBeGreaterThan(0);
    expect(cutOff.length).toBeGreaterThanOrEqual(ROUNDS);
    // Every event reached the receiver and was accepted, by a worker that heard the answer.
    expect(events.length).toBeGreaterThanOrEqual(ROUNDS * BEFORE_ARMING);
    expect([...new Set(accepted)].sort()).toEqual([...events].sort());
    expect(rows.map((r) => r.event_id).sort()).toEqual([...events].sort());
    expect(rows.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // The deliveries the kills cut off came again after a restart, and were accepted then.
    for (const c of cutOff) {
      const again = receiver.received.findIndex((r, i) => i > receiver.received.indexOf(c) && r.id === c.id && r.status < 300 && !r.interrupted);
      expect(again, `event ${c.id} delivered again after the kill`).toBeGreaterThan(-1);
    }
    // Every request, the repeated ones too, was signed with the endpoint's secret.
    for (const r of receiver.received) expect(r.verified).toEqual([true]);
  }, 120_000);
});
