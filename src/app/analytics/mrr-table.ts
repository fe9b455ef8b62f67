import { formatMinor } from '../../domain/money.ts';
import type { MrrReportObject } from '../resources.ts';
import { table } from './recovery-table.ts';

/** The MRR report as `rebill report mrr` prints it: one table per currency, amounts in its major units. */
export function mrrTable(report: MrrReportObject): string[] {
  const out = [`MRR per ${report.interval} from ${report.from} to ${report.to} (end excluded)${report.currency ? `, in ${report.currency.toUpperCase()}` : ''}`];
  if (report.data.length === 0) return [...out, 'no subscription revenue in this range'];
  for (const s of report.data) {
    const m = (n: number) => formatMinor(BigInt(n), s.currency);
    const fx = report.currency !== null;
    out.push('', ...table([
      [s.currency.toUpperCase(), 'MRR', 'ARR', 'customers', 'new', 'expansion', 'contraction', 'churn', 'reactivation', ...(fx ? ['fx'] : []), 'usage'],
      ['start', m(s.starting_mrr), m(s.starting_mrr * 12), '', '', '', '', '', '', ...(fx ? [''] : []), ''],
      ...s.periods.map((p) => [
        p.start.slice(0, report.interval === 'month' ? 7 : 10), m(p.mrr), m(p.arr), String(p.paying_customers), m(p.movements.new), m(p.movements.expansion),
        m(p.movements.contraction), m(p.movements.churn), m(p.movements.reactivation), ...(fx ? [m(p.movements.fx_adjustment)] : []), m(p.usage_revenue),
      ]),
    ]));
  }
  return out;
}
