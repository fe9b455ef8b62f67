import { useMemo } from 'react';
import { api } from '../../shared/api.ts';
import { money, percent } from '../../shared/format.ts';
import { Chart } from '../chart.tsx';
import { Loading, Page, useLoad } from '../ui.tsx';

type Period = { start: string; mrr: number; arr: number; paying_customers: number; usage_revenue: number; movements: Record<string, number> };
type Series = { currency: string; starting_mrr: number; periods: Period[] };
type Subscribers = { data: { subscriptions: Record<string, number>; new_subscriptions: number; canceled: number; logo_churn_rate: string | null; trial_conversion_rate: string | null }[] };
type Recovery = { currency: string; cases: number; failed_amount: number; recovered_amount: number; recovery_rate: string | null };

const POSITIVE = ['new', 'expansion', 'reactivation'] as const;
const NEGATIVE = ['contraction', 'churn'] as const;
const COLORS: Record<string, string> = { new: '#2f7d4f', expansion: '#5bb37f', reactivation: '#9bd3b1', contraction: '#e0a15a', churn: '#c2473b' };

function SeriesPanel({ s }: { s: Series }) {
  const last = s.periods[s.periods.length - 1];
  const option = useMemo(() => ({
    animation: false, tooltip: { trigger: 'axis' }, legend: { bottom: 0 },
    grid: { left: 70, right: 70, top: 36, bottom: 50 },
    xAxis: { type: 'category', data: s.periods.map((p) => p.start.slice(0, 10)) },
    yAxis: [{ type: 'value', name: 'movements' }, { type: 'value', name: 'MRR' }],
    series: [
      ...[...POSITIVE, ...NEGATIVE].map((k) => ({ name: k, type: 'bar', stack: 'moves', itemStyle: { color: COLORS[k] }, data: s.periods.map((p) => (p.movements[k] ?? 0) / 100) })),
      { name: 'MRR', type: 'line', yAxisIndex: 1, itemStyle: { color: '#2d4e8a' }, data: s.periods.map((p) => p.mrr / 100) },
    ],
  }), [s]);
  if (!last) return null;
  return (
    <div className="panel" data-currency={s.currency}>
      <div className="figures">
        <div className="figure"><span className="label">MRR</span><strong data-testid={`mrr-${s.currency}`}>{money(last.mrr, s.currency)}</strong></div>
        <div className="figure"><span className="label">ARR</span><strong data-testid={`arr-${s.currency}`}>{money(last.arr, s.currency)}</strong></div>
        <div className="figure"><span className="label">Paying customers</span><strong data-testid={`customers-${s.currency}`}>{last.paying_customers}</strong></div>
        <div className="figure"><span className="label">Usage revenue, last period</span><strong>{money(last.usage_revenue, s.currency)}</strong></div>
      </div>
      <Chart option={option} label={`MRR and its movements in ${s.currency.toUpperCase()}`} />
    </div>
  );
}

export function Overview() {
  const mrr = useLoad(() => api<{ data: Series[] }>('GET', '/v1/analytics/mrr'), []);
  const recovery = useLoad(() => api<{ data: Recovery[] }>('GET', '/v1/analytics/recovery'), []);
  const subscribers = useLoad(() => api<Subscribers>('GET', '/v1/analytics/subscribers'), []);
  return (
    <Page title="Overview">
      <h2>Recurring revenue, last 12 months</h2>
      <Loading state={mrr}>{(r) => (r.data.length ? <>{r.data.map((s) => <SeriesPanel key={s.currency} s={s} />)}</> : <p className="muted">No subscriptions yet.</p>)}</Loading>
      <h2>Subscribers, this month</h2>
      <Loading state={subscribers}>{(r) => {
        const now = r.data[r.data.length - 1];
        if (!now) return <p className="muted">No subscriptions yet.</p>;
        return (
          <div className="figures">
            {(['active', 'trialing', 'past_due', 'paused', 'unpaid'] as const).map((k) => (
              <div className="figure" key={k}><span className="label">{k.replace('_', ' ')}</span><strong data-testid={`subscribers-${k}`}>{now.subscriptions[k] ?? 0}</strong></div>
            ))}
            <div className="figure"><span className="label">New / canceled</span><strong>{now.new_subscriptions} / {now.canceled}</strong></div>
            <div className="figure"><span className="label">Logo churn</span><strong>{percent(now.logo_churn_rate)}</strong></div>
            <div className="figure"><span className="label">Trial conversion</span><strong>{percent(now.trial_conversion_rate)}</strong></div>
          </div>
        );
      }}</Loading>
      <h2>Failed payments and recovery, last 30 days</h2>
      <Loading state={recovery}>{(r) => (r.data.length ? (
        <div className="figures">
          {r.data.map((c) => (
            <div className="figure" key={c.currency} data-currency={c.currency}>
              <span className="label">{c.cases} failed payments, {c.currency.toUpperCase()}</span>
              <strong data-testid={`recovered-${c.currency}`}>{money(c.recovered_amount, c.currency)} of {money(c.failed_amount, c.currency)} recovered</strong>
              <span className="muted">{percent(c.recovery_rate)}</span>
            </div>
          ))}
        </div>
      ) : <p className="muted">No failed payments.</p>)}</Loading>
    </Page>
  );
}
