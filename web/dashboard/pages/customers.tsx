import { useState } from 'react';
import { api, qs } from '../../shared/api.ts';
import { money, when } from '../../shared/format.ts';
import { go } from '../router.ts';
import { Loading, Page, Status, Table, useLoad } from '../ui.tsx';

type List<T> = { data: T[]; has_more: boolean };
type Customer = { id: string; email: string | null; name: string | null; created: string; balance?: number; currency?: string | null };

export function Customers() {
  const [email, setEmail] = useState('');
  const [query, setQuery] = useState('');
  const list = useLoad(() => api<List<Customer>>('GET', `/v1/customers${qs({ limit: 100, email: query })}`), [query]);
  return (
    <Page title="Customers">
      <form className="search" onSubmit={(e) => { e.preventDefault(); setQuery(email.trim()); }}>
        <input aria-label="Search by email" placeholder="Email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      <Loading state={list}>{(l) => (
        <Table rows={l.data} empty="No customers." onRow={(c) => go(`/customers/${c.id}`)} columns={[
          { title: 'Email', cell: (c) => c.email ?? '—' }, { title: 'Name', cell: (c) => c.name ?? '—' },
          { title: 'Id', cell: (c) => <code>{c.id}</code> }, { title: 'Created', cell: (c) => when(c.created) },
        ]} />
      )}</Loading>
    </Page>
  );
}

type Sub = { id: string; status: string; currency: string; items: { data: { price: { id: string; nickname: string | null; unit_amount: number | null } | string; quantity: number }[] }; current_period_end: string | null };
type Invoice = { id: string; number: string | null; status: string; total: number; currency: string; created: string };
type Payment = { id: string; status: string; amount: number; currency: string; created: string; decline_code?: string | null };
type Audit = { id: string; action: string; actor: string; at: string };
type Event = { id: string; type: string; created: string };

export function CustomerDetail({ id }: { id: string }) {
  const data = useLoad(async () => {
    const [customer, subs, invoices, payments, audit, events] = await Promise.all([
      api<Customer>('GET', `/v1/customers/${id}`),
      api<List<Sub>>('GET', `/v1/subscriptions${qs({ customer: id, limit: 100 })}`),
      api<List<Invoice>>('GET', `/v1/invoices${qs({ customer: id, limit: 100 })}`),
      api<List<Payment>>('GET', `/v1/payments${qs({ customer: id, limit: 100 })}`),
      api<List<Audit>>('GET', `/v1/audit_log${qs({ object_id: id, limit: 100 })}`),
      api<List<Event>>('GET', `/v1/events${qs({ object_id: id, limit: 100 })}`),
    ]);
    return { customer, subs, invoices, payments, audit, events };
  }, [id]);
  return (
    <Loading state={data}>{(d) => (
      <Page title={d.customer.email ?? d.customer.id}>
        <p className="muted"><code>{d.customer.id}</code> · since {when(d.customer.created)}</p>
        <h2>Subscriptions</h2>
        <Table rows={d.subs.data} empty="No subscriptions." onRow={(s) => go(`/subscriptions?customer=${id}&open=${s.id}`)} columns={[
          { title: 'Status', cell: (s) => <Status value={s.status} /> },
          { title: 'Items', cell: (s) => s.items.data.map((i) => `${typeof i.price === 'string' ? i.price : i.price.nickname ?? i.price.id} × ${i.quantity}`).join(', ') },
          { title: 'Renews', cell: (s) => when(s.current_period_end) },
        ]} />
        <h2>Invoices</h2>
        <Table rows={d.invoices.data} empty="No invoices." columns={[
          { title: 'Number', cell: (i) => i.number ?? 'draft' }, { title: 'Status', cell: (i) => <Status value={i.status} /> },
          { title: 'Total', cell: (i) => money(i.total, i.currency), align: 'right' }, { title: 'Date', cell: (i) => when(i.created) },
        ]} />
        <h2>Payments</h2>
        <Table rows={d.payments.data} empty="No payments." columns={[
          { title: 'Status', cell: (p) => <Status value={p.status} /> }, { title: 'Amount', cell: (p) => money(p.amount, p.currency), align: 'right' },
          { title: 'Decline', cell: (p) => p.decline_code ?? '' }, { title: 'Date', cell: (p) => when(p.created) },
        ]} />
        <h2>Events</h2>
        <Table rows={d.events.data} empty="No events." columns={[{ title: 'Type', cell: (e) => e.type }, { title: 'At', cell: (e) => when(e.created) }]} />
        <h2>Audit trail</h2>
        <Table rows={d.audit.data} empty="No changes recorded." columns={[{ title: 'Action', cell: (a) => a.action }, { title: 'By', cell: (a) => <code>{a.actor}</code> }, { title: 'At', cell: (a) => when(a.at) }]} />
      </Page>
    )}</Loading>
  );
}
