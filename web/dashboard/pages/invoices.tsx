import { useState } from 'react';
import { api, currentAuth, qs } from '../../shared/api.ts';
import { money, when } from '../../shared/format.ts';
import { Action, Loading, Page, Status, Table, canWrite, message, useLoad } from '../ui.tsx';

type Invoice = { id: string; number: string | null; customer: string; status: string; total: number; amount_due: number; amount_remaining: number; currency: string; created: string };
const STATUSES = ['', 'draft', 'open', 'paid', 'uncollectible', 'void'];

/** The PDF through the API (the key or the session authenticates the download, not the URL). */
async function openPdf(id: string) {
  const a = currentAuth();
  const r = await fetch(`/v1/invoices/${id}/pdf`, { credentials: 'same-origin', headers: a?.kind === 'key' ? { authorization: `Bearer ${a.key}` } : {} });
  if (!r.ok) throw new Error(`PDF: ${r.status}`);
  window.open(URL.createObjectURL(await r.blob()), '_blank');
}

function CreditNote({ invoice, done }: { invoice: Invoice; done: () => void }) {
  const [amount, setAmount] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault(); setError(null);
    try { await api('POST', '/v1/credit_notes', { invoice: invoice.id, amount: Number(amount), reason: 'order_change' }); done(); } catch (err) { setError(message(err)); }
  };
  return (
    <form className="inline" onSubmit={submit} onClick={(e) => e.stopPropagation()}>
      <input aria-label="Credit amount in minor units" placeholder={`minor units of ${invoice.currency.toUpperCase()}`} value={amount} onChange={(e) => setAmount(e.target.value.replace(/\D/g, ''))} />
      <button type="submit" disabled={!amount}>Credit note</button>
      {error && <span className="error" role="alert">{error}</span>}
    </form>
  );
}

export function Invoices() {
  const [status, setStatus] = useState('');
  const list = useLoad(() => api<{ data: Invoice[] }>('GET', `/v1/invoices${qs({ limit: 100, status })}`), [status]);
  return (
    <Page title="Invoices" actions={
      <label>Status <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>{STATUSES.map((s) => <option key={s} value={s}>{s || 'all'}</option>)}</select></label>
    }>
      <Loading state={list}>{(l) => (
        <Table rows={l.data} empty="No invoices." columns={[
          { title: 'Number', cell: (i) => i.number ?? 'draft' }, { title: 'Customer', cell: (i) => <code>{i.customer}</code> },
          { title: 'Status', cell: (i) => <Status value={i.status} /> },
          { title: 'Total', cell: (i) => money(i.total, i.currency), align: 'right' },
          { title: 'Remaining', cell: (i) => money(i.amount_remaining, i.currency), align: 'right' },
          { title: 'Date', cell: (i) => when(i.created) },
          { title: '', cell: (i) => (
            <div className="row-actions" data-invoice={i.id}>
              {i.status !== 'draft' && <button onClick={() => void openPdf(i.id)}>PDF</button>}
              {i.status === 'open' && <Action label="Pay" run={() => api('POST', `/v1/invoices/${i.id}/pay`, {})} done={list.reload} />}
              {i.status === 'open' && <Action label="Void" danger run={() => api('POST', `/v1/invoices/${i.id}/void`, {})} done={list.reload} />}
              {canWrite() && ['open', 'paid'].includes(i.status) && <CreditNote invoice={i} done={list.reload} />}
            </div>
          ) },
        ]} />
      )}</Loading>
    </Page>
  );
}
