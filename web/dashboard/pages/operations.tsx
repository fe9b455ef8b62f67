import { api, qs } from '../../shared/api.ts';
import { when } from '../../shared/format.ts';
import { go } from '../router.ts';
import { Action, Loading, Page, Status, Table, useLoad } from '../ui.tsx';

type List<T> = { data: T[] };
type Case = { id: string; invoice: string; customer: string; status: string; awaiting: string | null; retries: number; next_retry_at?: string | null; created: string };
type Endpoint = { id: string; url: string };
type Delivery = { id: string; event_type: string; status: string; attempts: unknown[]; next_attempt: string | null; created: string };
type Job = { id: string; kind: string; status: string; attempts: number; last_error: string | null; run_at: string };
type Audit = { id: string; actor: string; action: string; object_type: string; object_id: string; at: string };

export function Dunning() {
  const list = useLoad(() => api<List<Case>>('GET', `/v1/dunning_cases${qs({ limit: 100 })}`), []);
  return (
    <Page title="Dunning cases">
      <Loading state={list}>{(l) => (
        <Table rows={l.data} empty="No dunning cases." onRow={(c) => go(`/customers/${c.customer}`)} columns={[
          { title: 'Status', cell: (c) => <Status value={c.status} /> }, { title: 'Waiting for', cell: (c) => c.awaiting ?? '—' },
          { title: 'Retries', cell: (c) => c.retries, align: 'right' }, { title: 'Invoice', cell: (c) => <code>{c.invoice}</code> },
          { title: 'Opened', cell: (c) => when(c.created) },
        ]} />
      )}</Loading>
    </Page>
  );
}

export function Webhooks() {
  const data = useLoad(async () => {
    const endpoints = (await api<List<Endpoint>>('GET', '/v1/webhook_endpoints?limit=100')).data;
    const deliveries = await Promise.all(endpoints.map(async (e) => ({ endpoint: e, list: (await api<List<Delivery>>('GET', `/v1/webhook_endpoints/${e.id}/deliveries?limit=50`)).data })));
    return deliveries;
  }, []);
  return (
    <Page title="Webhook deliveries">
      <Loading state={data}>{(d) => (d.length === 0 ? <p className="muted">No webhook endpoints.</p> : <>{d.map(({ endpoint, list }) => (
        <div key={endpoint.id}>
          <h2>{endpoint.url}</h2>
          <Table rows={list} empty="Nothing delivered yet." columns={[
            { title: 'Event', cell: (x) => x.event_type }, { title: 'Status', cell: (x) => <Status value={x.status} /> },
            { title: 'Attempts', cell: (x) => x.attempts.length, align: 'right' }, { title: 'Next attempt', cell: (x) => when(x.next_attempt) },
            { title: 'Created', cell: (x) => when(x.created) },
          ]} />
        </div>
      ))}</>)}</Loading>
    </Page>
  );
}

export function Jobs() {
  const list = useLoad(() => api<List<Job>>('GET', '/v1/jobs?status=failed&limit=100'), []);
  return (
    <Page title="Failed jobs">
      <Loading state={list}>{(l) => (
        <Table rows={l.data} empty="No failed jobs." columns={[
          { title: 'Kind', cell: (j) => j.kind }, { title: 'Attempts', cell: (j) => j.attempts, align: 'right' },
          { title: 'Last error', cell: (j) => j.last_error ?? '' }, { title: 'Due', cell: (j) => when(j.run_at) },
          { title: '', cell: (j) => <Action label="Retry" run={() => api('POST', `/v1/jobs/${j.id}/retry`, {})} done={list.reload} /> },
        ]} />
      )}</Loading>
    </Page>
  );
}

export function AuditLog() {
  const list = useLoad(() => api<List<Audit>>('GET', '/v1/audit_log?limit=100'), []);
  return (
    <Page title="Audit log">
      <Loading state={list}>{(l) => (
        <Table rows={l.data} empty="Nothing recorded." columns={[
          { title: 'At', cell: (a) => when(a.at) }, { title: 'By', cell: (a) => <code>{a.actor}</code> },
          { title: 'Action', cell: (a) => a.action }, { title: 'Object', cell: (a) => <code>{a.object_id}</code> },
        ]} />
      )}</Loading>
    </Page>
  );
}
