import { processNextDue } from '../app/billing/process-due.ts';
import { processNextPhase } from '../app/subscriptions/schedule-boundaries.ts';
import { recoverNextAttempt } from '../app/payments/recover.ts';
import { recoverNextRefund } from '../app/payments/refunds.ts';
import type { Deps } from '../app/ports.ts';
import { resumeStalledAdvance } from '../app/test-clocks/test-clocks.ts';
import { startEventDuties, type EventDutyOptions } from './event-duties.ts';

export type WorkerHandle = { stop: () => Promise<void>; done: Promise<void>; processed: () => number };

/**
 * Background billing: `concurrency` loops, each claiming a batch of due subscriptions (or one
 * unsettled payment attempt, or one test clock advance whose process died) at a time with row locks, so any number of loops in any number of
 * processes never work on the same row. A loop sleeps `pollMs` only when nothing is due.
 */
export function startWorker(deps: Deps, opts: { concurrency: number; pollMs: number; exitWhenIdle?: boolean; events?: EventDutyOptions }): WorkerHandle {
  let running = true;
  let count = 0;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const wake = () => { clearTimeout(t); sleepers.delete(wake); resolve(); };
    const t = setTimeout(wake, ms);
    sleepers.add(wake);
  });

  async function loop(n: number) {
    let failures = 0;
    while (running) {
      try {
        // A schedule's due phase first: a renewal at the same instant then bills the new phase.
        const renewed = (await processNextPhase(deps)) + (await processNextDue(deps));
        const recovered = renewed === 0 && ((await recoverNextAttempt(deps)) || (await recoverNextRefund(deps)));
        const resumed = renewed === 0 && !recovered && (await resumeStalledAdvance(deps));
        failures = 0;
        if (renewed > 0 || recovered || resumed) { count += renewed + (recovered ? 1 : 0) + (resumed ? 1 : 0); continue; }
        if (opts.exitWhenIdle) return;
        await sleep(opts.pollMs);
      } catch (err) {
        failures++;
        deps.log.error({ err, loop: n }, 'billing worker step failed');
        if (opts.exitWhenIdle && failures > 5) throw err;
        await sleep(Math.min(30_000, 100 * 2 ** Math.min(failures, 8)));
      }
    }
  }
  const done = Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, (_, i) => loop(i))).then(() => undefined);
  // Sequencing and retention of events run beside the billing loops (not in a drain).
  const duties = opts.events && !opts.exitWhenIdle ? startEventDuties(deps, opts.events) : null;
  return {
    done,
    processed: () => count,
    stop: async () => { running = false; for (const wake of [...sleepers]) wake(); await done; await duties?.stop(); },
  };
}

/** Works until nothing is due, then resolves with how many items were processed. */
export async function drain(deps: Deps, concurrency = 1): Promise<number> {
  const w = startWorker(deps, { concurrency, pollMs: 0, exitWhenIdle: true });
  await w.done;
  return w.processed();
}
