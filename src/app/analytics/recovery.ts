import { sql } from 'kysely';
import {
  channelBefore, recoveryReport, type CaseFact, type CaseStatus, type ChannelBefore, type CurrencyReport, type RecoveredBy,
} from '../../domain/dunning/recovery.ts';
import type { DeclineCategory } from '../../domain/declines.ts';
import { invalid } from '../../domain/errors.ts';
import { isRealInstant } from '../../domain/timestamp.ts';
import { invoiceMessages } from '../dunning/messages.ts';
import type { Deps } from '../ports.ts';
import type { RecoveryReportObject } from '../resources.ts';
import type { Db } from '../time.ts';

export type RangeQuery = { from?: string | undefined; to?: string | undefined; currency?: string | undefined };
export type RecoveryRange = { from: Date; to: Date; currency?: string | undefined };

const DEFAULT_DAYS = 30;

/** A range bound as the API takes it: RFC 3339, or whole unix seconds. */
export function instant(value: string, param: string): Date {
  if (/^[0-9]{1,11}$/.test(value)) return new Date(Number(value) * 1000);
  if (isRealInstant(value)) return new Date(value);
  throw invalid('parameter_invalid', `${param} must be an RFC 3339 time or unix seconds, got '${value}'.`, param);
}

/** [from, to) from the request; `to` defaults to now, `from` to 30 days before `to`. */
export function rangeOf(q: RangeQuery, now: Date): RecoveryRange {
  const to = q.to !== undefined ? instant(q.to, 'to') : now;
  const from = q.from !== undefined ? instant(q.from, 'from') : new Date(to.getTime() - DEFAULT_DAYS * 86_400_000);
  if (from >= to) throw invalid('parameter_invalid', 'from must be before to.', 'from');
  return { from, to, currency: q.currency?.toLowerCase() };
}

type FactRow = {
  account_id: string; invoice_id: string; status: CaseStatus; retries: number; first_failure_at: Date; ended_at: Date | null;
  first_category: DeclineCategory | null; currency: string; amount_due: bigint;
  first_method: string | null; won_id: string | null; won_method: string | null; by_duty: boolean;
};

/**
 * One row per case opened in the range, with what the report needs: the invoice's amount and
 * currency, the first decline, and for a recovered case the charge that succeeded, its payment
 * method against the one that first failed, and whether the dunning duty opened it (its
 * `payment.created` audit entry names the billing system, not an API key).
 */
async function factRows(db: Db, accountId: string | null, range: RecoveryRange): Promise<FactRow[]> {
  const r = await sql<FactRow>`
    SELECT c.account_id, c.invoice_id, c.status, c.retries, c.first_failure_at, c.ended_at,
           c.declines->0->>'decline_category' AS first_category, i.currency, i.amount_due,
           f.payment_method_id AS first_method, w.id AS won_id, w.payment_method_id AS won_method,
           EXISTS (SELECT 1 FROM audit_log l WHERE l.account_id = c.account_id AND l.object_id = w.id
                      AND l.action = 'payment.created' AND l.actor LIKE 'system:billing%') AS by_duty
      FROM dunning_cases c
      JOIN invoices i ON i.account_id = c.account_id AND i.id = c.invoice_id
      LEFT JOIN payment_attempts f ON f.account_id = c.account_id AND f.id = c.declines->0->>'payment'
      LEFT JOIN LATERAL (
        SELECT a.id, a.payment_method_id FROM payment_attempts a
         WHERE c.status = 'recovered' AND a.account_id = c.account_id AND a.invoice_id = c.invoice_id
           AND a.status = 'succeeded' AND a.created_at >= c.first_failure_at
         ORDER BY a.created_at DESC, a.id DESC LIMIT 1) w ON true
     WHERE (${accountId}::text IS NULL OR c.account_id = ${accountId})
       AND c.first_failure_at >= ${range.from} AND c.first_failure_at < ${range.to}
       AND (${range.currency ?? null}::text IS NULL OR i.currency = ${range.currency ?? null})`.execute(db);
  return r.rows;
}

function recoveredBy(f: FactRow): RecoveredBy {
  if (!f.won_id) return 'paid_out_of_band';
  if (f.won_method !== f.first_method) return 'new_payment_method';
  return f.by_duty && f.retries > 0 ? { retry: f.retries } : 'manual_payment';
}

/**
 * The channel of the last message sent about the invoice, caused between the case's opening and
 * its recovery. The recovery's own confirmation (`payment_recovered`, a receipt) came after, so
 * it does not count even when it shares the recovery's instant on a test clock.
 */
function channelOf(f: FactRow, messages: Awaited<ReturnType<typeof invoiceMessages>>) {
  const before = (messages.get(f.invoice_id) ?? []).filter((m) => m.status === 'sent' && m.kind !== 'payment_recovered' && m.kind !== 'receipt'
    && m.at >= f.first_failure_at && f.ended_at !== null && m.at <= f.ended_at);
  const last = before.at(-1);
  return channelBefore(last ? before.filter((m) => m.at.getTime() === last.at.getTime()).map((m) => m.channel as 'email' | 'sms') : []);
}

/** The recovery figures of an account (or every account, for an operator), per currency. */
export async function recoveryFigures(db: Db, accountId: string | null, range: RecoveryRange): Promise<CurrencyReport[]> {
  const rows = await factRows(db, accountId, range);
  const recovered = rows.filter((f) => f.status === 'recovered');
  // Messages are read per account (the index leads with it): one query per account, one for an API caller.
  const messages = new Map<string, Awaited<ReturnType<typeof invoiceMessages>>>();
  for (const acct of new Set(recovered.map((f) => f.account_id))) {
    messages.set(acct, await invoiceMessages(db, acct, recovered.filter((f) => f.account_id === acct).map((f) => f.invoice_id)));
  }
  const facts: CaseFact[] = rows.map((f) => ({
    currency: f.currency, amountDue: BigInt(f.amount_due), status: f.status, firstCategory: f.first_category ?? 'soft',
    recoveredBy: f.status === 'recovered' ? recoveredBy(f) : null,
    channelBefore: f.status === 'recovered' ? channelOf(f, messages.get(f.account_id)!) : null,
  }));
  return recoveryReport(facts);
}

const amount = (n: bigint) => Number(n);
const figuresView = (f: CurrencyReport['totals']) => ({
  cases: f.cases, failed_amount: amount(f.failed), recovered_amount: amount(f.recovered), lost_amount: amount(f.lost),
  in_recovery_amount: amount(f.inRecovery), canceled_amount: amount(f.canceled), recovery_rate: f.rate,
});

export function recoveryReportView(range: RecoveryRange, report: CurrencyReport[]): RecoveryReportObject {
  return {
    object: 'recovery_report', from: range.from.toISOString(), to: range.to.toISOString(), currency: range.currency ?? null,
    data: report.map((r) => ({
      currency: r.currency, ...figuresView(r.totals),
      by_decline_category: r.byCategory.map((c) => ({ decline_category: c.category, ...figuresView(c) })),
      by_attempt: r.byAttempt.map((b) => ({ attempt: b.key, cases: b.cases, recovered_amount: amount(b.amount) })),
      by_channel: r.byChannel.map((b) => ({ channel: b.key as ChannelBefore, cases: b.cases, recovered_amount: amount(b.amount) })),
    })),
  };
}

/** GET /v1/analytics/recovery: the account's figures over [from, to) of business time. */
export async function getRecoveryReport(deps: Pick<Deps, 'db' | 'clock'>, accountId: string, q: RangeQuery) {
  const range = rangeOf(q, deps.clock.now());
  return recoveryReportView(range, await recoveryFigures(deps.db, accountId, range));
}
