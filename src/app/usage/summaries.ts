import { invalid } from '../../domain/errors.ts';
import type { Formula } from '../../domain/usage/aggregate.ts';
import { instant } from '../analytics/recovery.ts';
import { notFound } from '../errors.ts';
import type { Deps } from '../ports.ts';
import type * as R from '../resources.ts';
import { usageQuery } from './adjustments.ts';
import { usageStoreOf } from './ingest.ts';

export type SummaryQuery = { customer: string; start_time: string; end_time: string; value_grouping_window?: 'hour' | 'day' | undefined };

const WINDOW_MS = { hour: 3_600_000, day: 86_400_000 } as const;
/** More windows than this in one answer is a report, not a chart: ask for days, or a shorter range. */
const MAX_WINDOWS = 1000;

/**
 * A meter's usage for one customer over [start_time, end_time): one summary for the whole range,
 * or one per UTC hour or day with usage in it. With a window, both bounds must fall on its
 * boundaries, so that every summary covers a whole window and they add up to the range's total.
 */
export async function meterEventSummaries(deps: Deps, accountId: string, meterId: string, q: SummaryQuery): Promise<R.MeterEventSummaryObject[]> {
  const start = instant(q.start_time, 'start_time');
  const end = instant(q.end_time, 'end_time');
  if (start >= end) throw invalid('parameter_invalid', 'start_time must be before end_time.', 'start_time');
  const window = q.value_grouping_window;
  if (window) {
    const ms = WINDOW_MS[window];
    for (const [t, param] of [[start, 'start_time'], [end, 'end_time']] as const) {
      if (t.getTime() % ms !== 0) throw invalid('parameter_invalid', `${param} must fall on a whole ${window} (UTC) when grouping by ${window}.`, param);
    }
    if ((end.getTime() - start.getTime()) / ms > MAX_WINDOWS) throw invalid('parameter_invalid', `At most ${MAX_WINDOWS} ${window}s in one request.`, 'end_time');
  }
  const [meter, customer] = await Promise.all([
    deps.db.selectFrom('meters').select(['id', 'formula']).where('account_id', '=', accountId).where('id', '=', meterId).executeTakeFirst(),
    deps.db.selectFrom('customers').select('id').where('account_id', '=', accountId).where('id', '=', q.customer).executeTakeFirst(),
  ]);
  if (!meter) throw notFound('meter', meterId, 'id');
  if (!customer) throw notFound('customer', q.customer, 'customer');
  const store = usageStoreOf(deps);
  const query = await usageQuery(deps.db, { accountId, id: meter.id }, meter.formula as Formula, customer.id, start, end);
  const rows = window ? await store.summaries(query, window) : [{ start, end, value: await store.aggregate(query) }];
  return rows.map((r) => ({
    object: 'billing.meter_event_summary' as const, meter: meter.id, customer: customer.id,
    start_time: r.start.toISOString(), end_time: r.end.toISOString(), aggregated_value: r.value,
  }));
}
