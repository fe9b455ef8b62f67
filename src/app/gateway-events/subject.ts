import type { Deps, GatewaySubject } from '../ports.ts';
import type { Row } from '../views.ts';

/** The job kind that applies one stored gateway event. */
export const PROCESS_GATEWAY_EVENT = 'gateway_event.process';

/** A subject as the gateway_events row keeps it: amounts as decimal strings, exact. */
export const encodeSubject = (s: GatewaySubject): string => JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

export function decodeSubject(stored: unknown): GatewaySubject {
  const s = (typeof stored === 'string' ? JSON.parse(stored) : stored) as GatewaySubject & { amount?: string };
  return s.kind === 'refund' || s.kind === 'dispute' ? { ...s, amount: BigInt(s.amount as unknown as string) } : s;
}

export type EventRow = Row<'gateway_events'>;
export type Subject<K extends GatewaySubject['kind']> = Extract<GatewaySubject, { kind: K }>;

/** What applying an event did: `applied`, or why it changed nothing (kept on the event row as its note). */
export type Applied = { status: 'applied' | 'ignored' | 'unmatched'; note: string | null };
export const applied: Applied = { status: 'applied', note: null };
export const ignored = (note: string): Applied => ({ status: 'ignored', note });
export const unmatched = (note: string): Applied => ({ status: 'unmatched', note });

/**
 * The payment an event is about, in the event's account and gateway only: by Rebill's attempt id
 * when the processor carried it back, else by the processor's id of the charge.
 */
export async function attemptOf(deps: Deps, ev: EventRow, ref: { attemptId?: string | null; chargeId: string | null }) {
  const q = deps.db.selectFrom('payment_attempts').selectAll().where('account_id', '=', ev.account_id).where('gateway', '=', ev.gateway);
  const byId = ref.attemptId ? await q.where('id', '=', ref.attemptId).executeTakeFirst() : undefined;
  if (byId || !ref.chargeId) return byId;
  return await q.where('gateway_charge_id', '=', ref.chargeId).orderBy('id', 'desc').executeTakeFirst();
}
