import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Deps } from '../ports.ts';
import type { Row } from '../views.ts';

/**
 * What a handler is given: the stored job; a signal aborted when the worker gives the job up
 * (shutdown); and `extendLease`, for work that may outlast the kind's lease: it renews the lease
 * from now, and answers false when the job is no longer this worker's (the handler should stop).
 */
export type JobContext = { job: Row<'jobs'>; signal: AbortSignal; extendLease: () => Promise<boolean> };

/** How long to wait before the next try, after `attempts` tries failed: a list (the last repeats) or a function. */
export type RetryPolicy = { maxAttempts: number; backoffMs: readonly number[] | ((attempts: number) => number) };

/**
 * One kind of background job. The payload is checked against `payload` when it is enqueued and
 * again when it is claimed (a row written by an older release may no longer fit). A handler must
 * be safe to run again: a worker that dies mid-job, or outlives its lease, means at-least-once.
 */
export type JobKind<S extends TSchema = TSchema> = {
  name: string;
  payload: S;
  handler: (deps: Deps, payload: Static<S>, ctx: JobContext) => Promise<void>;
  retry: RetryPolicy;
  /** Jobs of this kind running at once, across every worker process; unlimited when absent. */
  concurrency?: number;
  /** How long a claim holds the job; past it another worker takes it over. Longer than the handler can take. */
  leaseMs?: number;
  /** Recurring (system) kind: one job per slot of this length, aligned on the epoch, with an empty payload. */
  every?: number;
};

/**
 * Loops of a worker that poll their duties: `billing` (renewals, recovery, …: the worker's
 * `concurrency`), `events` (the sequencer) and `webhooks` (deliveries), each with its own loop
 * count and poll interval so neither holds up the others.
 */
export type Lane = 'billing' | 'events' | 'webhooks';

/**
 * A duty the worker polls that keeps its queue in its own table's due column (renewals,
 * schedule phases, payment and refund recovery, stalled test clock advances, event sequencing,
 * webhook deliveries). `run` does one batch and answers how many items it moved on; `owner`
 * names the worker for the claims it leases.
 */
export type PolledDuty = { name: string; lane: Lane; run: (deps: Deps, owner: string) => Promise<number> };

export const DEFAULT_LEASE_MS = 5 * 60_000;
export const exponentialBackoff = (baseMs: number, capMs: number) => (attempts: number) => Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));

export function defineJob<S extends TSchema>(kind: JobKind<S>): JobKind {
  return kind as unknown as JobKind;
}

export function backoffAfter(kind: JobKind, attempts: number): number {
  const b = kind.retry.backoffMs;
  if (typeof b === 'function') return Math.max(0, b(attempts));
  return b.length ? b[Math.min(Math.max(attempts, 1), b.length) - 1]! : 0;
}

/** Whether `payload` fits the kind, with the first complaint as a message. */
export function checkPayload(kind: JobKind, payload: unknown): string | null {
  if (Value.Check(kind.payload, payload)) return null;
  const first = Value.Errors(kind.payload, payload).First();
  return first ? `${first.path || '/'}: ${first.message}` : 'payload does not match its schema';
}

/** The job kinds and polled duties a worker runs. */
export class JobCatalogue {
  private readonly kinds = new Map<string, JobKind>();
  constructor(kinds: readonly JobKind[], readonly polled: readonly PolledDuty[]) {
    for (const k of kinds) this.add(k);
  }

  get(name: string): JobKind | undefined { return this.kinds.get(name); }
  all(): JobKind[] { return [...this.kinds.values()]; }
  recurring(): JobKind[] { return this.all().filter((k) => k.every !== undefined); }

  /** A catalogue with more kinds (tests register their own kinds this way, then set `deps.jobs`). */
  with(...kinds: JobKind[]): JobCatalogue {
    return new JobCatalogue([...this.all(), ...kinds], this.polled);
  }

  private add(k: JobKind) {
    if (this.kinds.has(k.name)) throw new Error(`job kind '${k.name}' declared twice`);
    if (k.retry.maxAttempts < 1) throw new Error(`job kind '${k.name}': maxAttempts must be at least 1`);
    if (k.concurrency !== undefined && k.concurrency < 1) throw new Error(`job kind '${k.name}': concurrency must be at least 1`);
    this.kinds.set(k.name, k);
  }
}
