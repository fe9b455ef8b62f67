import { deleteExpiredEvents } from '../app/events/retention.ts';
import { sequenceEvents } from '../app/events/sequencer.ts';
import type { Deps } from '../app/ports.ts';

export type EventDutyOptions = { sequenceMs: number; retentionDays: number };
const HOUR = 3_600_000;

/**
 * The worker's event duties until the job engine schedules them: the sequencer every `sequenceMs`
 * (which bounds how long a committed event waits for its place in the stream), and the retention
 * sweep at most once an hour by the injected clock. Kept apart from the billing loops so renewals
 * pay nothing for either.
 */
export function startEventDuties(deps: Deps, opts: EventDutyOptions): { stop: () => Promise<void> } {
  let running = true;
  let wake: (() => void) | null = null;
  let lastSweep: number | null = null;
  async function loop() {
    while (running) {
      try {
        await sequenceEvents(deps.db, deps.clock.now(), { wait: false });
        const now = deps.clock.now();
        if (lastSweep === null || now.getTime() - lastSweep >= HOUR) {
          lastSweep = now.getTime();
          const deleted = await deleteExpiredEvents(deps.db, now, { retentionDays: opts.retentionDays });
          if (deleted) deps.log.info({ deleted }, 'expired events deleted');
        }
      } catch (err) {
        deps.log.error({ err }, 'event duty failed');
      }
      if (!running) break;
      await new Promise<void>((resolve) => { const t = setTimeout(() => { wake = null; resolve(); }, opts.sequenceMs); wake = () => { clearTimeout(t); resolve(); }; });
    }
  }
  const done = loop();
  return { stop: async () => { running = false; wake?.(); await done; } };
}
