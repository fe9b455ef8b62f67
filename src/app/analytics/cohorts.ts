import { cohorts } from '../../domain/analytics/cohorts.ts';
import { invalid } from '../../domain/errors.ts';
import type { Deps } from '../ports.ts';
import type { CohortReportObject } from '../resources.ts';
import { loadBook, oneCurrency } from './book.ts';
import { instant } from './recovery.ts';

export type CohortQuery = { from?: string | undefined; to?: string | undefined; currency?: string | undefined };
// Ten years of monthly cohorts; the table grows with the square of it.
const MAX_MONTHS = 120;
const DEFAULT_MONTHS = 12;

/** GET /v1/analytics/cohorts: customers by the month they first paid, and who of them still pays, month after month. */
export async function getCohortReport(deps: Pick<Deps, 'db' | 'clock'>, accountId: string, q: CohortQuery): Promise<CohortReportObject> {
  const to = q.to !== undefined ? instant(q.to, 'to') : deps.clock.now();
  const from = q.from !== undefined ? instant(q.from, 'from') : new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - DEFAULT_MONTHS, 1));
  if (from >= to) throw invalid('parameter_invalid', 'from must be before to.', 'from');
  if (Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + MAX_MONTHS, 1) < to.getTime()) {
    throw invalid('parameter_invalid', `at most ${MAX_MONTHS} months from \`from\` to \`to\`.`, 'from');
  }
  const book = await loadBook(deps.db, accountId, to);
  const currency = oneCurrency(book, q.currency);
  const data = cohorts(book.filter((t) => t.currency === currency), from, to).map((c) => ({
    month: c.month, customers: c.customers,
    months: c.months.map((m) => ({
      month: m.index, end: m.end.toISOString(), customers: m.customers, mrr: Number(m.mrr),
      customer_retention: m.customerRetention, revenue_retention: m.revenueRetention,
    })),
  }));
  return { object: 'cohort_report', from: from.toISOString(), to: to.toISOString(), currency, data };
}
