import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, ApiError, currentAuth, setAuth } from '../shared/api.ts';
import { AuditLog, Dunning, Jobs, Webhooks } from './pages/operations.tsx';
import { CustomerDetail, Customers } from './pages/customers.tsx';
import { Invoices } from './pages/invoices.tsx';
import { Overview } from './pages/overview.tsx';
import { ChangePassword } from './pages/password.tsx';
import { Subscriptions } from './pages/subscriptions.tsx';
import { go, useRoute } from './router.ts';
import { message } from './ui.tsx';
import './style.css';

const NAV: [string, string][] = [['/', 'Overview'], ['/customers', 'Customers'], ['/subscriptions', 'Subscriptions'], ['/invoices', 'Invoices'],
  ['/dunning', 'Dunning'], ['/webhooks', 'Webhooks'], ['/jobs', 'Failed jobs'], ['/audit', 'Audit log']];

function SignIn({ done }: { done: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const withUser = async (e: React.FormEvent) => {
    e.preventDefault(); setError(null);
    try {
      const s = await api<{ csrf_token: string; role: string; user: { email: string } }>('POST', '/v1/sessions', { email, password });
      setAuth({ kind: 'session', csrf: s.csrf_token, role: s.role, email: s.user.email }); done();
    } catch (err) { setError(message(err)); }
  };
  const withKey = async (e: React.FormEvent) => {
    e.preventDefault(); setError(null);
    setAuth({ kind: 'key', key: key.trim() });
    try { await api('GET', '/v1/account'); done(); } catch (err) { setAuth(null); setError(err instanceof ApiError && err.status === 401 ? 'That key is not valid.' : message(err)); }
  };
  return (
    <main className="signin">
      <h1>Rebill</h1>
      <form onSubmit={withUser}>
        <h2>Sign in</h2>
        <label>Email <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required /></label>
        <label>Password <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
        <button type="submit">Sign in</button>
      </form>
      <form onSubmit={withKey}>
        <h2>Or with an API key</h2>
        <label>Secret key <input type="password" autoComplete="off" aria-label="API key" value={key} onChange={(e) => setKey(e.target.value)} required /></label>
        <button type="submit">Use key</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(currentAuth() !== null);
  const { path } = useRoute();
  if (!signedIn || !currentAuth()) return <SignIn done={() => { setSignedIn(true); go('/'); }} />;
  const auth = currentAuth()!;
  const signOut = async () => {
    if (auth.kind === 'session') await api('DELETE', '/v1/sessions/current').catch(() => undefined);
    setAuth(null); setSignedIn(false);
  };
  const [, section, id] = path.split('/');
  const page = section === 'customers' && id ? <CustomerDetail id={id} />
    : { '': <Overview />, customers: <Customers />, subscriptions: <Subscriptions />, invoices: <Invoices />, dunning: <Dunning />, webhooks: <Webhooks />, jobs: <Jobs />, audit: <AuditLog />, password: <ChangePassword /> }[section ?? ''] ?? <p>No such page.</p>;
  return (
    <div className="shell">
      <nav>
        <strong className="brand">Rebill</strong>
        {NAV.map(([to, label]) => <a key={to} href={`#${to}`} className={(`/${section ?? ''}`) === to ? 'current' : undefined}>{label}</a>)}
        <span className="who">{auth.kind === 'session' ? `${auth.email} (${auth.role})` : 'API key'}</span>
        {auth.kind === 'session' && <a href="#/password" className={section === 'password' ? 'link current' : 'link'}>Change password</a>}
        <button className="link" onClick={signOut}>Sign out</button>
      </nav>
      <main>{page}</main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
