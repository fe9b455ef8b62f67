import { useState } from 'react';
import { api, currentAuth, setAuth } from '../../shared/api.ts';
import { message, Page } from '../ui.tsx';

/**
 * A signed-in user changes their own password. The server ends their other sessions and gives
 * this one a new cookie, whose CSRF token is read back before anything else is written.
 */
export function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const auth = currentAuth();
  if (auth?.kind !== 'session') {
    return <Page title="Change password"><p className="muted">Signed in with an API key: there is no password to change.</p></Page>;
  }
  const field = (label: string, value: string, set: (v: string) => void, autoComplete: string, rules = {}) => (
    <label>{label} <input type="password" autoComplete={autoComplete} value={value} onChange={(e) => set(e.target.value)} required {...rules} /></label>
  );
  const submit = async (e: React.FormEvent) => {
    e.preventDefault(); setResult(null);
    if (next !== again) { setResult({ ok: false, text: 'The two new passwords differ.' }); return; }
    setBusy(true);
    try {
      await api('POST', '/v1/sessions/current/password', { current_password: current, password: next });
      const s = await api<{ csrf_token: string }>('GET', '/v1/sessions/current');
      setAuth({ ...auth, csrf: s.csrf_token });
      setCurrent(''); setNext(''); setAgain('');
      setResult({ ok: true, text: 'Password changed. Your other sessions are signed out.' });
    } catch (err) { setResult({ ok: false, text: message(err) }); } finally { setBusy(false); }
  };
  return (
    <Page title="Change password">
      <form className="panel stacked" onSubmit={submit}>
        {field('Current password', current, setCurrent, 'current-password')}
        {field('New password', next, setNext, 'new-password', { minLength: 12, maxLength: 200 })}
        {field('New password again', again, setAgain, 'new-password')}
        <p className="muted">12 to 200 characters. Your other sessions will be signed out.</p>
        <div><button type="submit" disabled={busy}>Change password</button></div>
        {result && <p className={result.ok ? 'ok' : 'error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>}
      </form>
    </Page>
  );
}
