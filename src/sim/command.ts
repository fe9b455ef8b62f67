// The CLI side of `rebill simulate dunning`: options, the database, printing.
import { writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../runtime.ts';
import { SIM_SCHEDULE_DAYS } from './engine.ts';
import { chartPng, COLOURS } from './png.ts';
import { figuresOf, figuresTable, recoveryChart, cumulativeRecovery } from './report.ts';
import { simulateDunning, type Simulation } from './simulate.ts';

export type SimulateFlags = { renewals: string; seed: string; days: string; png?: string; json?: string };

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`${flag} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

/** Per strategy and renewal, what happened: for scripts and tests that check more than the table. */
function jsonOf(sim: Simulation) {
  return {
    renewals: sim.book.map((r) => ({ index: r.index, profile: r.profile, decline_code: r.declineCode, currency: r.currency, amount: Number(r.amount), time_zone: r.timeZone, renewal_at: r.renewalAt.toISOString(), updates_card_after_days: r.updatesCardAfterDays })),
    strategies: sim.runs.map((run) => ({
      strategy: run.strategy, notifications: run.notifications,
      outcomes: run.outcomes.map((o) => ({ index: o.index, failed: o.failed, recovered: o.recovered, attempts: o.attempts, first_failure: o.firstFailureAt?.toISOString() ?? null, paid: o.paidAt?.toISOString() ?? null, card_updated: o.cardUpdatedAt?.toISOString() ?? null })),
    })),
  };
}

export async function simulateCommand(flags: SimulateFlags): Promise<void> {
  const renewals = wholeNumber('--renewals', flags.renewals, 1, 5000);
  const seed = wholeNumber('--seed', flags.seed, 0, 2 ** 31);
  const days = wholeNumber('--days', flags.days, 1, 365);
  const started = Date.now();
  const config = loadConfig();
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
  const { url, embedded } = await openDatabase(config, log, 4);
  try {
    const { dropMs } = await simulateDunning(url, log, { renewals, seed, days }, async (sim) => {
      await print(sim, { renewals, seed, days, png: flags.png, json: flags.json });
      console.log(`elapsed ${((Date.now() - started) / 1000).toFixed(1)} s (of which ${(sim.setupMs / 1000).toFixed(1)} s creating and migrating ${sim.database})`);
    });
    console.log(`temporary database dropped in ${(dropMs / 1000).toFixed(1)} s`);
  } finally {
    await embedded?.stop();
  }
}

async function print(sim: Simulation, o: { renewals: number; seed: number; days: number; png?: string | undefined; json?: string | undefined }) {
  const figures = sim.runs.map(figuresOf);
  const chartDays = Math.min(o.days, 30);
  console.log(`Dunning simulation: ${o.renewals} failing renewals, seed ${o.seed}, ${o.days} days from 2027-03-01, retry days ${SIM_SCHEDULE_DAYS.join(', ')}`);
  console.log('');
  console.log(figuresTable(figures));
  console.log('');
  console.log(recoveryChart(figures, chartDays));
  if (o.json) await writeFile(o.json, `${JSON.stringify(jsonOf(sim), null, 2)}\n`);
  if (o.png) {
    const chart = chartPng(figures.map((f) => cumulativeRecovery(f, chartDays)));
    await writeFile(o.png, chart.png);
    const colours = figures.map((f, i) => `${COLOURS[i % COLOURS.length]![0]} ${f.strategy}`).join(', ');
    console.log(`chart written to ${o.png}: ${colours}; gridlines every ${Math.round(chart.top * 10)}% and every 7 days`);
  }
  console.log('');
}
