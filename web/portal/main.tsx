import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, ApiError, download, hasToken } from './api.ts';
import { day, money } from './format.ts';
import { errorText, SubscriptionCard } from './subscription.tsx';
import type { Info, Invoice, List, Subscription } from './types.ts';
import './style.css';

type Loaded = { info: Info; subs: Subscription[]; invoices: Invoice[] };
/** Why the link opens nothing: never valid, past its hour, or closed by the merchant. */
type GoneWhy = 'invalid' | 'expired' | 'revoked';
type State = { kind: 'loading' } | { kind: 'gone'; why: GoneWhy } | { kind: 'error'; message: string } | { kind: 'ready'; data: Loaded };

const TEST_CARDS: [string, string][] = [['tok_visa', 'Visa ending 4242'], ['tok_mastercard', 'Mastercard ending 4444'], ['tok_chargeDeclined', 'A card that is declined']];

const GONE: Record<GoneWhy, [string, string]> = {
  invalid: ['This link is not valid', 'It was not made for you, or it was changed on the way.'],
  expired: ['This page has expired', 'For your security, billing links work for a short time only.'],
  revoked: ['This link was closed', 'The merchant ended this billing session.'],
};

function Gone({ why }: { why: GoneWhy }) {
  const [title, reason] = GONE[why];
  return (
    <main className="narrow" data-testid={why}>
      <h1>{title}</h1>
      <p>{reason}</p>
      <p>Go back to the website you came from and open your billing page again.</p>
    </main>
  );
}

function PaymentMethod({ info, changed }: { info: Info; changed: (i: Info) => void }) {
  const [token, setToken] = useState(TEST_CARDS[0]![0]);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const pm = info.payment_method;
  const save = async () => {
    setError(null); setSaved(false);
    try { changed(await api<Info>('POST', '/v1/portal/payment_method', { token })); setSaved(true); } catch (e) { setError(errorText(e)); }
  };
  return (
    <section className="card" aria-label="Payment method">
      <h2>Payment method</h2>
      <p data-testid="card">{pm ? `${(pm.brand ?? 'Card').replace(/^./, (c) => c.toUpperCase())} ending ${pm.last4 ?? '????'}${pm.exp_month ? `, expires ${String(pm.exp_month).padStart(2, '0')}/${pm.exp_year}` : ''}` : 'No card on file.'}</p>
      {info.test_mode ? (
        <div className="inline">
          <select aria-label="Test card" value={token} onChange={(e) => setToken(e.target.value)}>{TEST_CARDS.map(([t, l]) => <option key={t} value={t}>{l}</option>)}</select>
          <button onClick={() => void save()}>Use this card</button>
        </div>
      ) : <p className="muted">To change your card, contact {info.merchant}.</p>}
      {info.test_mode && <p className="muted small">Test mode: choose one of the sandbox's test cards.</p>}
      {saved && <p className="note ok" role="status">Your card is saved.</p>}
      {error && <p className="note error" role="alert">{error}</p>}
    </section>
  );
}

function Invoices({ invoices }: { invoices: Invoice[] }) {
  const [error, setError] = useState<string | null>(null);
  const get = async (i: Invoice) => {
    setError(null);
    try { await download(`/v1/portal/invoices/${i.id}/pdf`, `${i.number ?? i.id}.pdf`); } catch (e) { setError(errorText(e)); }
  };
  return (
    <section className="card" aria-label="Invoices">
      <h2>Invoices</h2>
      {invoices.length === 0 ? <p className="muted">No invoices yet.</p> : (
        <table className="invoices"><tbody>
          {invoices.map((i) => (
            <tr key={i.id} data-invoice={i.id}>
              <td>{day(i.created, 'short')}<div className="muted small">{i.number ?? ''}</div></td>
              <td className="amount">{money(i.total, i.currency)}</td>
              <td><span className={`badge badge-${i.status}`}>{i.status === 'open' ? 'Due' : i.status.replace(/^./, (c) => c.toUpperCase())}</span></td>
              <td className="amount"><button className="link" onClick={() => void get(i)}>PDF</button></td>
            </tr>
          ))}
        </tbody></table>
      )}
      {error && <p className="note error" role="alert">{error}</p>}
    </section>
  );
}

function Portal() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const load = useCallback(async () => {
    if (!hasToken()) { setState({ kind: 'gone', why: 'invalid' }); return; }
    try {
      const info = await api<Info>('GET', '/v1/portal/session');
      const [subs, invoices] = await Promise.all([
        api<List<Subscription>>('GET', '/v1/portal/subscriptions'),
        info.features.invoice_history.enabled ? api<List<Invoice>>('GET', '/v1/portal/invoices') : Promise.resolve({ data: [] }),
      ]);
      setState({ kind: 'ready', data: { info, subs: subs.data, invoices: invoices.data } });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setState({ kind: 'gone', why: e.code === 'portal_session_expired' ? 'expired' : e.code === 'portal_session_revoked' ? 'revoked' : 'invalid' });
      else setState({ kind: 'error', message: errorText(e) });
    }
  }, []);
  useEffect(() => { void load(); }, [load]);
  if (state.kind === 'loading') return <main className="narrow"><p className="muted">Loading…</p></main>;
  if (state.kind === 'gone') return <Gone why={state.why} />;
  if (state.kind === 'error') return <main className="narrow"><p className="note error" role="alert">{state.message}</p></main>;
  const { info, subs, invoices } = state.data;
  // After a change the page reads everything again: an invoice or a card may have come with it.
  const changed = () => void load();
  return (
    <>
      <header className="top">
        <div className="top-inner">
          <strong className="merchant">{info.merchant}</strong>
          {info.return_url && <a href={info.return_url} rel="noreferrer">← Back to {info.merchant}</a>}
        </div>
      </header>
      <main>
        <h1>Your billing</h1>
        <p className="muted" data-testid="customer">{info.customer.name ?? info.customer.email ?? ''}</p>
        <section aria-label="Subscriptions">
          <h2>Subscriptions</h2>
          {subs.length === 0 && <p className="muted">You have no subscriptions.</p>}
          {subs.map((s) => <SubscriptionCard key={s.id} sub={s} info={info} changed={changed} />)}
        </section>
        {info.features.payment_method_update.enabled && <PaymentMethod info={info} changed={changed} />}
        {info.features.invoice_history.enabled && <Invoices invoices={invoices} />}
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><Portal /></StrictMode>);
