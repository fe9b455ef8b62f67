import { Type } from '@sinclair/typebox';
import { processNextDue } from '../billing/process-due.ts';
import { processGatewayEventJob } from '../gateway-events/job.ts';
import { deleteExpiredEvents } from '../events/retention.ts';
import { sequenceEvents } from '../events/sequencer.ts';
import { deliverDue } from '../webhooks/deliver.ts';
import { onPaymentSettled } from '../dunning/cases.ts';
import { retryDueCases } from '../dunning/retry-due.ts';
import { recheckDueEntitlements } from '../entitlements/recheck-due.ts';
import { recoverNextAttempt } from '../payments/recover.ts';
import { recoverNextRefund } from '../payments/refunds.ts';
import { sendNotification } from '../notifications/send.ts';
import { remindNotification } from '../notifications/remind.ts';
import type { Deps } from '../ports.ts';
import { processNextPhase } from '../subscriptions/schedule-boundaries.ts';
import { resumeStalledAdvance } from '../test-clocks/test-clocks.ts';
import { runDueUsageChecks } from '../usage/checks.ts';
import { defineJob, exponentialBackoff, JobCatalogue, type JobKind, type PolledDuty } from './catalogue.ts';

/** Succeeded jobs are kept this long (for operators to look at), then deleted by `jobs.cleanup`. */
export const SUCCEEDED_RETENTION_MS = 7 * 24 * 3600_000;
const CLEANUP_BATCH = 10_000;

const cleanup = defineJob({
  name: 'jobs.cleanup',
  payload: Type.Object({}, { additionalProperties: false }),
  every: 3600_000,
  concurrency: 1,
  retry: { maxAttempts: 3, backoffMs: exponentialBackoff(60_000, 600_000) },
  handler: async (deps) => {
    const before = new Date(deps.clock.now().getTime() - SUCCEEDED_RETENTION_MS);
    // In batches, so one run never holds a long lock on a big backlog.
    for (;;) {
      const r = await deps.db.deleteFrom('jobs').where('id', 'in', (eb) => eb.selectFrom('jobs').select('id')
        .where('status', '=', 'succeeded').where('finished_at', '<', before).limit(CLEANUP_BATCH)).executeTakeFirst();
      if (Number(r.numDeletedRows) < CLEANUP_BATCH) return;
    }
  },
});

/**
 * The worker's duties that keep their queue in their own tables, in priority order: a
 * schedule's due phase before a renewal at the same instant (the renewal then bills the new
 * phase), billing before recovery, and a dead process's test clock advance last.
 */
const POLLED: PolledDuty[] = [
  { name: 'subscription_schedule.phase', lane: 'billing', run: (deps) => processNextPhase(deps) },
  { name: 'subscription.renewal', lane: 'billing', run: (deps) => processNextDue(deps) },
  { name: 'payment.recovery', lane: 'billing', run: async (deps) => (await recoverNextAttempt(deps) ? 1 : 0) },
  { name: 'dunning.retry', lane: 'billing', run: (deps) => retryDueCases(deps) },
  // After billing and dunning, whose status changes mark customers' entitlements stale.
  { name: 'entitlements.recheck', lane: 'billing', run: (deps) => recheckDueEntitlements(deps) },
  // After renewals, so a period that just ended is closed before usage is added up in the next.
  { name: 'usage.check', lane: 'billing', run: (deps, owner) => runDueUsageChecks(deps, owner) },
  { name: 'refund.recovery', lane: 'billing', run: async (deps) => (await recoverNextRefund(deps) ? 1 : 0) },
  { name: 'test_clock.resume_advance', lane: 'billing', run: async (deps) => (await resumeStalledAdvance(deps) ? 1 : 0) },
  // Committed events get their place in the stream and are fanned out to webhook endpoints.
  { name: 'events.sequence', lane: 'events', run: async (deps) => (await sequenceEvents(deps.db, deps.clock.now(), { wait: false })).sequenced },
  { name: 'webhook.deliver', lane: 'webhooks', run: (deps, owner) => (deps.webhooks?.sender ? deliverDue(deps, owner) : Promise.resolve(0)) },
];

/** Deletes events past their retention (REBILL_EVENT_RETENTION_DAYS, at least 30 days), hourly. */
const eventRetention = defineJob({
  name: 'events.retention',
  payload: Type.Object({}, { additionalProperties: false }),
  every: 3600_000,
  concurrency: 1,
  retry: { maxAttempts: 3, backoffMs: exponentialBackoff(60_000, 600_000) },
  handler: async (deps) => {
    const deleted = await deleteExpiredEvents(deps.db, deps.clock.now(), { retentionDays: deps.eventRetentionDays });
    if (deleted) deps.log.info({ deleted }, 'expired events deleted');
  },
});

/** A payment of an invoice dunning may recover has settled: open, advance or close its case (src/app/dunning/cases.ts). */
export const dunningPaymentSettled = defineJob({
  name: 'dunning.payment_settled',
  payload: Type.Object({ invoice: Type.String(), payment: Type.String() }, { additionalProperties: false }),
  retry: { maxAttempts: 10, backoffMs: exponentialBackoff(5_000, 600_000) },
  handler: async (deps, p, ctx) => { await onPaymentSettled(deps, ctx.job.account_id!, p.invoice, p.payment); },
});

/** Every job kind Rebill runs. A new kind (e.g. `webhook.deliver`) is declared in its own module and listed here. */
export const JOB_KINDS: readonly JobKind[] = [cleanup, eventRetention, dunningPaymentSettled, processGatewayEventJob, sendNotification, remindNotification];

export const defaultCatalogue = new JobCatalogue(JOB_KINDS, POLLED);

/** The catalogue a process runs: `deps.jobs` when set (tests add their own kinds there), else Rebill's. */
export const catalogueOf = (deps: Pick<Deps, 'jobs'>): JobCatalogue => deps.jobs ?? defaultCatalogue;
