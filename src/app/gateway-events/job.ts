import { Type } from '@sinclair/typebox';
import { defineJob, exponentialBackoff } from '../jobs/catalogue.ts';
import { processGatewayEvent } from './process.ts';
import { PROCESS_GATEWAY_EVENT } from './subject.ts';

// Its own module so the job registry can list it without loading order mattering: the handler
// reaches processGatewayEvent only when it runs.
/**
 * Applies one stored gateway event. Safe to run again: every change it makes is guarded by the
 * state it moves from, and an event already processed is skipped.
 */
export const processGatewayEventJob = defineJob({
  name: PROCESS_GATEWAY_EVENT,
  payload: Type.Object({ gateway_event: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
  retry: { maxAttempts: 8, backoffMs: exponentialBackoff(5_000, 600_000) },
  handler: async (deps, payload, ctx) => {
    if (!ctx.job.account_id) throw new Error('a gateway event job belongs to an account');
    await processGatewayEvent(deps, ctx.job.account_id, payload.gateway_event);
  },
});
