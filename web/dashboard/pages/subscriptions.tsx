import { useState } from 'react';
import { api, qs } from '../../shared/api.ts';
import { money, when } from '../../shared/format.ts';
import { useRoute } from '../router.ts';
import { Action, Loading, Page, Status, Table, canWrite, message, useLoad } from '../ui.tsx';

type Price = { id: string; nickname: string | null; unit_amount: number | null; currency: string; product: string; active: boolean; recurring: { interval: string; usage_type: string } | null };
type Item = { id: string; price: Price | string; quantity: number };
type Sub = { id: string; customer: string; status: string; currency: string; items: { data: Item[] }; current_period_end: string | null; cancel_at_period_end: boolean; pause_collection: unknown;
  cancellation_details: { feedback: string | null; comment: string | null } | null };
type Preview = { total: number; amount_due: number; currency: string; lines: { data: { description: string; amount: number }[] } };

const STATUSES = ['', 'active', 'trialing', 'past_due', 'paused', 'unpaid', 'canceled'];
const priceName = (p: Price | string) => (typeof p === 'string' ? p : `${p.nickname ?? p.id} (${p.unit_amount === null ? 'tiered' : money(p.unit_amount, p.currency)} / ${p.recurring?.interval ?? 'once'})`);

/** Change of plan: the proration preview first (create_preview), then the change itself on confirmation. */
function ChangePlan({ sub, done }: { sub: Sub; done: () => void }) {
  const item = sub.items.data[0]!;
  const prices = useLoad(() => api<{ data: Price[] }>('GET', `/v1/prices${qs({ limit: 100 })}`), []);
  const [target, setTarget] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const change = { items: [{ id: item.id, price: target }] };
  const showPreview = async () => {
    setError(null); setPreview(null);
    try { setPreview(await api<Preview>('POST', '/v1/invoices/create_preview', { subscription: sub.id, subscription_details: change })); } catch (e) { setError(message(e)); }
  };
  return (
    <div className="change-plan">
      <Loading state={prices}>{(p) => (
        <label>New plan{' '}
          <select aria-label="New plan" value={target} onChange={(e) => { setTarget(e.target.value); setPreview(null); }}>
            <option value="">Choose…</option>
            {p.data.filter((x) => x.active && x.recurring && x.recurring.usage_type !== 'metered' && x.id !== (typeof item.price === 'string' ? item.price : item.price.id))
              .map((x) => <option key={x.id} value={x.id}>{priceName(x)}</option>)}
          </select>
        </label>
      )}</Loading>
      <button disabled={!target} onClick={showPreview}>Preview</button>
      {error && <span className="error" role="alert">{error}</span>}
      {preview && (
        <div className="preview" data-testid="proration-preview">
          <Table rows={preview.lines.data} empty="Nothing to invoice." columns={[{ title: 'Line', cell: (l) => l.description }, { title: 'Amount', cell: (l) => money(l.amount, preview.currency), align: 'right' }]} />
          <p>Next invoice: <strong data-testid="preview-total">{money(preview.total, preview.currency)}</strong></p>
          <Action label="Confirm change" run={() => api('POST', `/v1/subscriptions/${sub.id}`, change)} done={done} />
        </div>
      )}
    </div>
  );
}

export function Subscriptions() {
  const { query } = useRoute();
  const [status, setStatus] = useState(query.get('status') ?? '');
  const [open, setOpen] = useState<string | null>(query.get('open'));
  const customer = query.get('customer') ?? undefined;
  const list = useLoad(() => api<{ data: Sub[] }>('GET', `/v1/subscriptions${qs({ limit: 100, status, customer })}`), [status, customer]);
  return (
    <Page title="Subscriptions" actions={
      <label>Status <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>{STATUSES.map((s) => <option key={s} value={s}>{s || 'all'}</option>)}</select></label>
    }>
      <Loading state={list}>{(l) => (
        <Table rows={l.data} empty="No subscriptions." onRow={(s) => setOpen(open === s.id ? null : s.id)} columns={[
          { title: 'Customer', cell: (s) => <code>{s.customer}</code> },
          { title: 'Status', cell: (s) => <><Status value={s.status} />{s.cancel_at_period_end ? ' ends at period end' : ''}{s.pause_collection ? ' collection paused' : ''}{s.cancellation_details && (
            <div className="muted" data-testid="cancellation-details">Customer's reason: {s.cancellation_details.feedback?.replace(/_/g, ' ') ?? 'none given'}{s.cancellation_details.comment ? ` — “${s.cancellation_details.comment}”` : ''}</div>)}</> },
          { title: 'Plan', cell: (s) => s.items.data.map((i) => `${priceName(i.price)} × ${i.quantity}`).join(', ') },
          { title: 'Period ends', cell: (s) => when(s.current_period_end) },
          { title: '', cell: (s) => (open === s.id && canWrite() && !['canceled', 'incomplete_expired'].includes(s.status) ? (
            <div className="row-actions" onClick={(e) => e.stopPropagation()}>
              <ChangePlan sub={s} done={() => { setOpen(null); list.reload(); }} />
              <Action label="Pause collection" run={() => api('POST', `/v1/subscriptions/${s.id}`, { pause_collection: { behavior: 'void' } })} done={list.reload} />
              <Action label="Cancel at period end" run={() => api('POST', `/v1/subscriptions/${s.id}/cancel`, { at_period_end: true })} done={list.reload} />
              <Action label="Cancel now" danger run={() => api('POST', `/v1/subscriptions/${s.id}/cancel`, {})} done={list.reload} />
            </div>
          ) : open === s.id ? null : <span className="muted">▸</span>) },
        ]} />
      )}</Loading>
    </Page>
  );
}
