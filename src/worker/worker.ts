import { randomUUID } from 'node:crypto';
import { claimNext, reclaimExpired, release, scheduleRecurring } from '../app/jobs/queue.ts';
import { catalogueOf } from '../app/jobs/registry.ts';
import { runJob } from '../app/jobs/run.ts';
import type { Deps } from '../app/ports.ts';
import type { Lane } from '../app/jobs/catalogue.ts';

export type WorkerHandle = {
  /** Stops claiming, waits up to `timeoutMs` for the jobs in hand, then hands the rest back (ready at once). */
  stop: (opts?: { timeoutMs?: number }) => Promise<void>;
  done: Promise<void>;
  processed: () => number;
  /** Names this worker's claims (`locked_by`). */
  owner: string;
};

export type WorkerOptions = {
  /** Loops running the catalogue's polled duties (renewals, recovery, …). */
  concurrency: number;
  /** Loops running jobs; as many as `concurrency` when not given. */
  jobConcurrency?: number;
  pollMs: number;
  exitWhenIdle?: boolean;
  /**
   * Lanes besides billing, each with its loops and poll interval: `events` (sequencing and the
   * webhook fan-out) and `webhooks` (deliveries). A lane not given does not run: a drain in a
   * test, for one, leaves events unsequenced unless it asks.
   */
  lanes?: Partial<Record<Exclude<Lane, 'billing'>, LaneOptions>>;
};

export type LaneOptions = { loops: number; pollMs: number };

// How often a job loop looks for expired leases and schedules the next slot of recurring kinds.
const SWEEP_EVERY_MS = 1000;

/**
 * A thin runner of the job catalogue (src/app/jobs). Polled loops run its polled duties in
 * priority order, each claiming its rows with SKIP LOCKED; job loops claim due jobs. Any number
 * of loops in any number of processes never work on the same item. A loop sleeps `pollMs` only
 * when it found nothing to do.
 */
export function startWorker(deps: Deps, opts: WorkerOptions): WorkerHandle {
  const catalogue = catalogueOf(deps);
  const owner = `${deps.workerId ?? 'rebill'}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let running = true;
  let count = 0;
  const inHand = new Map<string, AbortController>();
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const wake = () => { clearTimeout(t); sleepers.delete(wake); resolve(); };
    const t = setTimeout(wake, ms);
    sleepers.add(wake);
  });

  /** Runs `step` until stopped (or idle, with exitWhenIdle); failures back off exponentially. */
  async function loop(n: number, what: string, step: () => Promise<number>, pollMs = opts.pollMs) {
    let failures = 0;
    while (running) {
      try {
        const did = await step();
        failures = 0;
        if (did > 0) { count += did; continue; }
        if (opts.exitWhenIdle) return;
        await sleep(pollMs);
      } catch (err) {
        failures++;
        deps.log.error({ err, loop: n }, `${what} worker step failed`);
        if (opts.exitWhenIdle && failures > 5) throw err;
        await sleep(Math.min(30_000, 100 * 2 ** Math.min(failures, 8)));
      }
    }
  }

  /** One batch of the first duty of `lane` (in catalogue order) that finds work. */
  const polledStep = (lane: Lane) => async () => {
    for (const duty of catalogue.polled) {
      if (duty.lane !== lane) continue;
      const did = await duty.run(deps, owner);
      if (did > 0) return did;
    }
    return 0;
  };

  let lastSweep = -Infinity;
  async function jobStep() {
    if (performance.now() - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = performance.now();
      await reclaimExpired(deps);
      await scheduleRecurring(deps);
    }
    if (!running) return 0;
    const job = await claimNext(deps, owner);
    if (!job) { lastSweep = opts.exitWhenIdle ? lastSweep : -Infinity; return 0; }
    const ctl = new AbortController();
    inHand.set(job.id, ctl);
    try { await runJob(deps, job, owner, ctl.signal); } finally { inHand.delete(job.id); }
    return 1;
  }

  const loops = (n: number, what: string, step: () => Promise<number>, pollMs?: number) =>
    Promise.all(Array.from({ length: Math.max(1, n) }, (_, i) => loop(i, what, step, pollMs)));
  const lanes = Object.entries(opts.lanes ?? {}) as [Lane, LaneOptions][];
  const polled = Promise.all([
    loops(opts.concurrency, 'billing', polledStep('billing')),
    ...lanes.map(([lane, o]) => loops(o.loops, lane, polledStep(lane), o.pollMs)),
  ]);
  const jobs = loops(opts.jobConcurrency ?? opts.concurrency, 'job', jobStep);
  const done = Promise.all([polled, jobs]).then(() => undefined);
  return {
    done,
    owner,
    processed: () => count,
    stop: async ({ timeoutMs = 10_000 } = {}) => {
      running = false;
      for (const wake of [...sleepers]) wake();
      await polled;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([jobs.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })]);
      clearTimeout(timer);
      if (finished) return;
      // Handed back rather than waited for: another worker may take them at once.
      const ids = [...inHand.keys()];
      for (const ctl of inHand.values()) ctl.abort();
      const n = await release(deps, ids, owner);
      deps.log.warn({ released: n, jobs: ids }, 'worker stopped with jobs in hand; released them');
    },
  };
}

/**
 * Works until nothing is due, then resolves with how many items were processed. Polled duties
 * and jobs take turns until neither finds work, as one can make work for the other.
 */
export async function drain(deps: Deps, concurrency = 1, lanes?: WorkerOptions['lanes']): Promise<number> {
  let total = 0;
  for (;;) {
    const w = startWorker(deps, { concurrency, pollMs: 0, exitWhenIdle: true, lanes });
    await w.done;
    total += w.processed();
    if (w.processed() === 0) return total;
  }
}
