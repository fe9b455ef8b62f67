import { randomUUID } from 'node:crypto';
import { copyText } from '../src/adapters/postgres/copy.ts';

/**
 * Part (g)'s usage events, made once per run and sent to every database of it: which meter, which
 * customer (an index into the customers that database has), when, the value, a UUID identifier.
 * Kept as columns of typed arrays: a million events as objects would cost the load generator,
 * which shares the machine's two cores with Rebill and PostgreSQL, much more memory and GC.
 */
export type EventSet = {
  count: number; identifiers: string[]; meter: Uint8Array; customer: Uint16Array; unixSeconds: Uint32Array; values: (string | null)[]; region: Uint8Array;
};

/** The meters events go to: two counts (one without a value: each event counts 1) and two sums, one with a dimension. */
export const METERS = [
  { event_name: 'api_requests', formula: 'count', share: 0.4, value: null },
  { event_name: 'llm_tokens', formula: 'sum', share: 0.3, value: 'integer' },
  { event_name: 'storage_gb_hours', formula: 'sum', share: 0.15, value: 'decimal', dimensions: ['region'] },
  { event_name: 'sms_sent', formula: 'count', share: 0.15, value: 'one' },
] as const;
const REGIONS = ['eu-west', 'us-east', 'ap-south'];

/** A small seeded generator (mulberry32): every run sends the same events. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` events over the `days` before `now`, in roughly the order they happened (each batch's
 * events within an hour of its place in the span: clients send usage as it comes, a little out
 * of order). Customers are skewed: a few heavy users send much of the traffic, as in practice.
 */
export function makeEvents(count: number, customers: number, now: Date, days = 3, seed = 18): EventSet {
  const next = random(seed);
  const span = days * 86_400;
  const end = Math.floor(now.getTime() / 1000) - 3600;
  const set: EventSet = {
    count, identifiers: new Array(count), meter: new Uint8Array(count), customer: new Uint16Array(count),
    unixSeconds: new Uint32Array(count), values: new Array(count), region: new Uint8Array(count),
  };
  for (let i = 0; i < count; i++) {
    const r = next();
    let m = 0;
    for (let acc = METERS[0].share; r >= acc && m < METERS.length - 1; acc += METERS[++m]!.share);
    set.meter[i] = m;
    set.customer[i] = Math.floor(customers * next() ** 2);
    set.unixSeconds[i] = end - span + Math.floor(span * i / count) - Math.floor(3600 * next());
    const kind = METERS[m]!.value;
    set.values[i] = kind === 'integer' ? String(1 + Math.floor(next() * 4000)) : kind === 'decimal' ? (next() * 50).toFixed(3) : kind === 'one' ? '1' : null;
    set.region[i] = Math.floor(next() * REGIONS.length);
    set.identifiers[i] = randomUUID();
  }
  return set;
}

/** Event `i` as a client sends it: value as a numeric string or a number, timestamp in unix seconds. */
function eventJson(set: EventSet, i: number, customerIds: readonly string[]): unknown {
  const m = METERS[set.meter[i]!]!;
  const payload: Record<string, unknown> = { customer: customerIds[set.customer[i]!] };
  const v = set.values[i];
  if (v !== null) payload.value = m.value === 'integer' ? Number(v) : v;
  if ('dimensions' in m) payload.region = REGIONS[set.region[i]!];
  return { event_name: m.event_name, identifier: set.identifiers[i], timestamp: set.unixSeconds[i], payload };
}

/** The request bodies of POST /v1/billing/meter_event_batches, `size` events each, serialized up front. */
export function batchBodies(set: EventSet, size: number, customerIds: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let from = 0; from < set.count; from += size) {
    const events = [];
    for (let i = from; i < Math.min(set.count, from + size); i++) events.push(eventJson(set, i, customerIds));
    out.push(Buffer.from(JSON.stringify({ events })));
  }
  return out;
}

/**
 * The rows the engine stores for these events, in COPY's text format, `size` rows per chunk: the
 * columns of meter_events, with the values the engine would write (a count's missing value is 1).
 */
export function copyChunks(set: EventSet, size: number, accountId: string, meterIds: readonly string[], customerIds: readonly string[], now: Date): Buffer[] {
  const created = now.toISOString();
  const out: Buffer[] = [];
  for (let from = 0; from < set.count; from += size) {
    let text = '';
    for (let i = from; i < Math.min(set.count, from + size); i++) {
      const m = METERS[set.meter[i]!]!;
      const payload = 'dimensions' in m ? JSON.stringify({ region: REGIONS[set.region[i]!] }) : '{}';
      text += [accountId, set.identifiers[i]!, meterIds[set.meter[i]!]!, customerIds[set.customer[i]!]!,
        new Date(set.unixSeconds[i]! * 1000).toISOString(), set.values[i] ?? '1', null, payload, created].map(copyText).join('\t') + '\n';
    }
    out.push(Buffer.from(text));
  }
  return out;
}
