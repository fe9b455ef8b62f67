import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ApiError, currentAuth } from '../shared/api.ts';

/** Roles that may write, as the API's grants say; with an API key the role is not known and the API decides. */
const WRITERS = new Set(['admin', 'finance', 'support']);
export const canWrite = () => { const a = currentAuth(); return a?.kind !== 'session' || WRITERS.has(a.role); };

/** Loads once per `deps` change; `reload` loads again (after an action). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const run = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => setState({ data, error: null, loading: false }), (e: unknown) => setState({ data: null, error: message(e), loading: false }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

export const message = (e: unknown) => (e instanceof ApiError ? `${e.message}${e.param ? ` (${e.param})` : ''}` : String(e));

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return <section className="page"><header className="page-head"><h1>{title}</h1><div className="actions">{actions}</div></header>{children}</section>;
}

export function Loading<T>({ state, children }: { state: { data: T | null; error: string | null }; children: (data: T) => ReactNode }) {
  if (state.error) return <p className="error" role="alert">{state.error}</p>;
  if (state.data === null) return <p className="muted">Loading…</p>;
  return <>{children(state.data)}</>;
}

export type Column<T> = { title: string; cell: (row: T) => ReactNode; align?: 'right' };
export function Table<T>({ rows, columns, empty, onRow }: { rows: T[]; columns: Column<T>[]; empty: string; onRow?: (row: T) => void }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="grid">
      <thead><tr>{columns.map((c) => <th key={c.title} className={c.align}>{c.title}</th>)}</tr></thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={(r as { id?: string }).id ?? i} className={onRow ? 'clickable' : undefined} onClick={onRow ? () => onRow(r) : undefined}>
            {columns.map((c) => <td key={c.title} className={c.align}>{c.cell(r)}</td>)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A write button: shown only to roles that may write, disabled while its action runs, its error shown beside it. */
export function Action({ label, run, done, danger }: { label: string; run: () => Promise<unknown>; done?: () => void; danger?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!canWrite()) return null;
  const click = async (e: React.MouseEvent) => {
    e.stopPropagation();
    setBusy(true); setError(null);
    try { await run(); done?.(); } catch (err) { setError(message(err)); } finally { setBusy(false); }
  };
  return <span className="action"><button className={danger ? 'danger' : undefined} disabled={busy} onClick={click}>{label}</button>{error && <span className="error" role="alert">{error}</span>}</span>;
}

export const Status = ({ value }: { value: string }) => <span className={`status status-${value}`}>{value.replace(/_/g, ' ')}</span>;
