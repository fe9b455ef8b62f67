import type { Deps } from '../ports.ts';
import type { Row } from '../views.ts';
import { checkPayload } from './catalogue.ts';
import { complete, extendLease, fail } from './queue.ts';
import { catalogueOf } from './registry.ts';

/**
 * Runs one claimed job to its outcome: succeeded, ready again after a backoff, or failed for
 * good. A job whose payload no longer fits its kind fails at once (no retry can fix it). When
 * `signal` is aborted the worker has handed the job back (shutdown): its outcome is not written.
 */
export async function runJob(deps: Deps, job: Row<'jobs'>, owner: string, signal: AbortSignal): Promise<'succeeded' | 'failed'> {
  const kind = catalogueOf(deps).get(job.kind);
  if (!kind) { await fail(deps, job, owner, new Error(`unknown job kind '${job.kind}'`), { final: true }); return 'failed'; }
  const payload = typeof job.payload === 'string' ? JSON.parse(job.payload) as unknown : job.payload;
  const problem = checkPayload(kind, payload);
  if (problem) { await fail(deps, job, owner, new Error(`payload no longer fits its kind: ${problem}`), { final: true }); return 'failed'; }
  try {
    await kind.handler(deps, payload, { job, signal, extendLease: () => extendLease(deps, job, owner, kind) });
  } catch (err) {
    deps.log.warn({ err, job: job.id, kind: job.kind, attempt: job.attempts }, 'background job failed');
    if (!signal.aborted) await fail(deps, job, owner, err, { kind });
    return 'failed';
  }
  if (!signal.aborted) await complete(deps, job, owner);
  return 'succeeded';
}
