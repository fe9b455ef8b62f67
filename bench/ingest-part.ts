import os from 'node:os';
import type pg from 'pg';
import { copyFloor, sendBatches, startIngestServer, storedEvents, type FloorResult, type IngestResult, type Spent } from './ingest.ts';
import { batchBodies, copyChunks, makeEvents, METERS } from './ingest-events.ts';

// Part (g): events, batch size, customers, client connection counts, and rounds (each round: every
// connection count on a fresh database, then the floor); the targets.
const EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_INGEST_BATCH ?? 1000);
const CUSTOMERS = Number(process.env.BENCH_INGEST_CUSTOMERS ?? 1000);
const CONNECTIONS = (process.env.BENCH_INGEST_CONNECTIONS ?? '1,2').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 1);
const TARGET_RATE = 50_000;
const TARGET_RATIO = 0.5;

export type Verdict = { target: string; met: boolean; figure: string };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (n: number) => n.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** CPU and WAL per event, and what the CPU alone allows on this machine's cores. */
function costs(n: number, s: Spent): string {
  const us = (x: number) => (x * 1e6 / n).toFixed(1);
  const busy = s.server + s.database;
  const wal = s.walBytes === null ? '' : `, WAL ${(s.walBytes / n).toFixed(0)} B (${(s.walFpi! * 1000 / n).toFixed(1)} whole pages per 1,000)`;
  const rest = s.rest === null ? '' : `; the rest of the machine used ${us(s.rest)} µs per event meanwhile`;
  return `per event: ${s.server ? `${us(s.server)} µs CPU in Rebill + ` : ''}${us(s.database)} µs in PostgreSQL's backends, ${us(s.loadGenerator)} µs in the load generator${wal}; ` +
    `${os.cpus().length} idle cores would allow at most ${rate(os.cpus().length * n / (busy + s.loadGenerator))}/s${rest}`;
}

/** Throws unless a pass stored (or, sent again, acknowledged as duplicates) exactly the events sent. */
function checkExact(r: IngestResult, expect: 'accepted' | 'duplicates', stored: number, shouldStore: number): void {
  const other = expect === 'accepted' ? r.duplicates : r.accepted;
  if (r[expect] !== r.events || other !== 0 || r.rejected !== 0 || stored !== shouldStore) {
    throw new Error(`(g): dedupe not exact: ${JSON.stringify({ expect, events: r.events, accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected, stored, shouldStore })}`);
  }
}

/** Runs part (g), printing as it goes; answers the verdicts for run.ts to judge. */
export async function runIngest(admin: pg.Client, serverUrl: string, template: string): Promise<Verdict[]> {
  console.log(`\n(g) usage ingestion: ${rate(EVENTS)} events of ${METERS.length} meters (${METERS.map((m) => `${m.event_name} ${m.formula}`).join(', ')}) for ${rate(CUSTOMERS)}`);
  console.log(`    customers over the last 3 days, UUID identifiers, POSTed to /v1/billing/meter_event_batches in batches of ${rate(BATCH)} to`);
  console.log('    `rebill start` in its own process on a fresh database (meters, customers and a warm-up made untimed), by C keep-alive');
  console.log('    connections with one request in flight each; then the same events sent again (every one a duplicate). Checked: every');
  console.log('    event accepted once, then a duplicate, and the table holds exactly them. Floor: the same rows COPYed into a table with');
  console.log('    meter_events\' columns and primary key (account_id, identifier) and nothing else, one COPY and commit per batch over C');
  console.log(`    connections, the server's default durability like the engine's pool; ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}`);
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(', ');
  console.log(`  load average before: ${load()}`);
  const set = makeEvents(EVENTS, CUSTOMERS, new Date());
  const engine: IngestResult[] = [];
  const again: IngestResult[] = [];
  const floor: FloorResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    let ids: { accountId: string; meterIds: string[]; customerIds: string[] } | null = null;
    for (const connections of CONNECTIONS) {
      const s = await startIngestServer(admin, serverUrl, template, CUSTOMERS, `ingest_${connections}`);
      try {
        const bodies = batchBodies(set, BATCH, s.customerIds);
        const first = await sendBatches(admin, s, bodies, connections, EVENTS);
        checkExact(first, 'accepted', await storedEvents(s), EVENTS + s.warmedUpWith);
        engine.push(first);
        console.log(`  engine     C=${connections} round ${round}  ${rate(first.perSecond).padStart(7)} events/s  (${first.seconds.toFixed(1)} s; ${costs(EVENTS, first.spent)})`);
        const second = await sendBatches(admin, s, bodies, connections, EVENTS);
        checkExact(second, 'duplicates', await storedEvents(s), EVENTS + s.warmedUpWith);
        again.push(second);
        console.log(`  sent again C=${connections} round ${round}  ${rate(second.perSecond).padStart(7)} events/s, all duplicates  (${second.seconds.toFixed(1)} s; ${costs(EVENTS, second.spent)})`);
        ids = s;
      } finally {
        await s.rebill.stop();
      }
    }
    const chunks = copyChunks(set, BATCH, ids!.accountId, ids!.meterIds, ids!.customerIds, new Date());
    for (const connections of CONNECTIONS) {
      const f = await copyFloor(admin, serverUrl, template, chunks, connections, EVENTS);
      floor.push(f);
      console.log(`  floor COPY C=${connections} round ${round}  ${rate(f.perSecond).padStart(7)} rows/s    (${f.seconds.toFixed(1)} s; ${costs(EVENTS, f.spent)}; ${f.settings})`);
    }
    const whole = await copyFloor(admin, serverUrl, template, [Buffer.concat(chunks)], 1, EVENTS);
    console.log(`  one COPY of all ${rate(EVENTS)} rows, one commit, round ${round}: ${rate(whole.perSecond)} rows/s (${whole.seconds.toFixed(1)} s; for scale, not the floor)`);
  }
  console.log(`  load average after: ${load()}`);
  const of = <T extends { connections: number; perSecond: number }>(xs: T[], c: number) => median(xs.filter((x) => x.connections === c).map((x) => x.perSecond));
  console.log(`\n  connections  engine events/s  sent again/s  floor rows/s  engine÷floor   (${ROUNDS === 1 ? 'one round' : `medians of ${ROUNDS} rounds`})`);
  for (const c of CONNECTIONS) {
    console.log(`  ${String(c).padStart(11)}  ${rate(of(engine, c)).padStart(15)}  ${rate(of(again, c)).padStart(12)}  ${rate(of(floor, c)).padStart(12)}  ${(of(engine, c) / of(floor, c)).toFixed(2).padStart(12)}`);
  }
  if (!CONNECTIONS.includes(2)) return [];
  const [e, f] = [of(engine, 2), of(floor, 2)];
  return [
    { target: `ingestion ≥ ${rate(TARGET_RATE)} events/s at 2 connections`, met: e >= TARGET_RATE, figure: `${rate(e)} events/s` },
    { target: `ingestion ≥ ${TARGET_RATIO}× the COPY floor at 2 connections`, met: e / f >= TARGET_RATIO, figure: `${rate(e)} ÷ ${rate(f)} = ${(e / f).toFixed(2)}×` },
  ];
}
