import { sql } from 'kysely';
import type * as R from '../resources.ts';
import type { Db } from '../time.ts';
import type { Row } from '../views.ts';

export type CaseMessage = R.DunningCaseObject['messages'][number];
type Kind = CaseMessage['kind'];
type MessageRow = { id: string; invoice_id: string; kind: string; channel: string; status: string; at: Date; sent_at: Date | null };

/**
 * The messages about the invoices of some cases, each placed at the business time of the event
 * that caused it (its own creation for one without an event): one query for a whole page.
 * A message's `created_at` is real time, which on a test clock says nothing about the case's
 * timeline; the causing event's time does.
 */
export async function invoiceMessages(db: Db, accountId: string, invoiceIds: readonly string[]): Promise<Map<string, MessageRow[]>> {
  const byInvoice = new Map<string, MessageRow[]>();
  if (invoiceIds.length === 0) return byInvoice;
  const rows = await sql<MessageRow>`
    SELECT n.id, n.invoice_id, n.kind, n.channel, n.status, n.sent_at, COALESCE(e.created_at, n.created_at) AS at
      FROM notifications n LEFT JOIN events e ON e.account_id = n.account_id AND e.id = n.event_id
     WHERE n.account_id = ${accountId} AND n.invoice_id = ANY(${[...new Set(invoiceIds)]}::text[])
     ORDER BY at, n.id`.execute(db);
  for (const r of rows.rows) byInvoice.set(r.invoice_id, [...(byInvoice.get(r.invoice_id) ?? []), r]);
  return byInvoice;
}

/** The messages of a case: those about its invoice caused since it opened (its first failure), oldest first. */
export function messagesOfCase(c: Row<'dunning_cases'>, byInvoice: Map<string, MessageRow[]>): CaseMessage[] {
  return (byInvoice.get(c.invoice_id) ?? []).filter((m) => m.at >= c.first_failure_at).map((m) => ({
    id: m.id, kind: m.kind as Kind, channel: m.channel as CaseMessage['channel'], status: m.status as CaseMessage['status'],
    at: m.at.toISOString(), sent: m.sent_at ? m.sent_at.toISOString() : null,
  }));
}
