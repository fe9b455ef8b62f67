import { useState } from 'react';
import { api, ApiError } from './api.ts';
import { couponLabel, day, money, planName, priceLabel, REASON_LABELS } from './format.ts';
import type { Info, Preview, Subscription } from './types.ts';

export const errorText = (e: unknown) => (e instanceof ApiError ? e.message : 'Something went wrong; try again.');
const LIVE = new Set(['active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete']);
const STATUS: Record<string, string> = { active: 'Active', trialing: 'Trial', past_due: 'Payment due', unpaid: 'Unpaid', paused: 'Paused', canceled: 'Canceled', incomplete: 'Awaiting payment' };

type Panel = 'none' | 'change' | 'cancel';

function periodLine(s: Subscription): string {
  if (s.status === 'canceled') return `Ended on ${day(s.ended_at)}`;
  if (s.cancel_at_period_end) return `Ends on ${day(s.current_period_end)}`;
  if (s.status === 'trialing') return `Trial ends on ${day(s.trial_end)}`;
  return `Renews on ${day(s.current_period_end)}`;
}

/** One subscription, with the actions the portal's configuration offers on it. */
export function SubscriptionCard({ sub, info, changed }: { sub: Subscription; info: Info; changed: (s: Subscription) => void }) {
  const [panel, setPanel] = useState<Panel>('none');
  const [error, setError] = useState<string | null>(null);
  const f = info.features;
  const live = LIVE.has(sub.status) && !sub.cancel_at_period_end;
  const item = sub.items[0];
  const plans = item ? info.plans.filter((p) => p.product === item.price.product) : [];
  const act = async (path: string) => {
    setError(null);
    try { changed(await api<Subscription>('POST', `/v1/portal/subscriptions/${sub.id}/${path}`, {})); } catch (e) { setError(errorText(e)); }
  };
  return (
    <article className="card" data-subscription={sub.id}>
      <header className="card-head">
        <div>
          {sub.items.map((i) => <h3 key={i.id}>{planName(i.price)}{i.quantity > 1 ? ` × ${i.quantity}` : ''}</h3>)}
          <p className="muted">{sub.items.map((i) => priceLabel(i.price, i.quantity)).join(' + ')}</p>
        </div>
        <span className={`badge badge-${sub.cancel_at_period_end ? 'ending' : sub.status}`}>{sub.cancel_at_period_end ? 'Ending' : sub.paused ? 'Paused' : STATUS[sub.status] ?? sub.status}</span>
      </header>
      <p>{periodLine(sub)}</p>
      {sub.discounts.map((d) => <p key={d.id} className="note ok">{d.name ? `${d.name}: ` : ''}{couponLabel(d)}</p>)}
      {sub.cancellation_details?.feedback && <p className="muted">You told us: {REASON_LABELS[sub.cancellation_details.feedback] ?? sub.cancellation_details.feedback}</p>}
      {live && panel === 'none' && (
        <div className="actions">
          {f.subscription_update.enabled && plans.length > 0 && <button onClick={() => setPanel('change')}>Change plan</button>}
          {f.subscription_pause.enabled && (sub.paused
            ? <button className="secondary" onClick={() => void act('resume')}>Resume payments</button>
            : <button className="secondary" onClick={() => void act('pause')}>Pause payments</button>)}
          {f.subscription_cancel.enabled && <button className="quiet" onClick={() => setPanel('cancel')}>Cancel subscription</button>}
        </div>
      )}
      {panel === 'change' && item && <ChangePlan sub={sub} item={item} plans={plans} done={(s) => { setPanel('none'); if (s) changed(s); }} />}
      {panel === 'cancel' && <CancelFlow sub={sub} info={info} done={(s) => { setPanel('none'); if (s) changed(s); }} />}
      {error && <p className="note error" role="alert">{error}</p>}
    </article>
  );
}

function ChangePlan({ sub, item, plans, done }: { sub: Subscription; item: Subscription['items'][number]; plans: Info['plans']; done: (s: Subscription | null) => void }) {
  const [price, setPrice] = useState(plans.find((p) => p.id !== item.price.id)?.id ?? item.price.id);
  const [quantity, setQuantity] = useState(item.quantity);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const body = { item: item.id, price, quantity };
  const run = async (f: () => Promise<void>) => { setBusy(true); setError(null); try { await f(); } catch (e) { setError(errorText(e)); } finally { setBusy(false); } };
  return (
    <section className="panel" aria-label="Change plan">
      <label>New plan
        <select aria-label="New plan" value={price} onChange={(e) => { setPrice(e.target.value); setPreview(null); }}>
          {plans.map((p) => <option key={p.id} value={p.id}>{planName(p)} — {priceLabel(p)}{p.id === item.price.id ? ' (current)' : ''}</option>)}
        </select>
      </label>
      <label>Quantity <input type="number" min={1} max={10000} value={quantity} onChange={(e) => { setQuantity(Math.max(1, Number(e.target.value) || 1)); setPreview(null); }} /></label>
      {preview && (
        <div className="preview" data-testid="proration-preview">
          <table><tbody>
            {preview.lines.map((l, i) => <tr key={i}><td>{l.description}</td><td className="amount">{money(l.amount, preview.currency)}</td></tr>)}
            <tr className="total"><td>{preview.proration_behavior === 'always_invoice' ? 'Charged now' : `Your next invoice, on ${day(sub.current_period_end)}`}</td>
              <td className="amount" data-testid="preview-total">{money(preview.amount_due, preview.currency)}</td></tr>
          </tbody></table>
        </div>
      )}
      <div className="actions">
        {!preview && <button disabled={busy} onClick={() => void run(async () => setPreview(await api<Preview>('POST', `/v1/portal/subscriptions/${sub.id}/preview`, body)))}>See the price</button>}
        {preview && <button disabled={busy} onClick={() => void run(async () => done(await api<Subscription>('POST', `/v1/portal/subscriptions/${sub.id}/update`, body)))}>Confirm change</button>}
        <button className="quiet" onClick={() => done(null)}>Never mind</button>
      </div>
      {error && <p className="note error" role="alert">{error}</p>}
    </section>
  );
}

/** Why are you leaving → (the merchant's offer, when there is one) → canceled, or kept with the discount. */
function CancelFlow({ sub, info, done }: { sub: Subscription; info: Info; done: (s: Subscription | null) => void }) {
  const asked = info.features.subscription_cancel.cancellation_reason;
  const offer = info.retention_coupon && sub.discounts.length === 0 ? info.retention_coupon : null;
  const [step, setStep] = useState<'reason' | 'offer'>(asked.enabled ? 'reason' : offer ? 'offer' : 'reason');
  const [feedback, setFeedback] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const atEnd = info.features.subscription_cancel.mode === 'at_period_end';
  const cancel = async () => {
    setError(null);
    try { done(await api<Subscription>('POST', `/v1/portal/subscriptions/${sub.id}/cancel`, { ...(feedback ? { feedback } : {}), ...(comment.trim() ? { comment } : {}) })); } catch (e) { setError(errorText(e)); }
  };
  const accept = async () => {
    setError(null);
    try { done(await api<Subscription>('POST', `/v1/portal/subscriptions/${sub.id}/accept_retention`, {})); } catch (e) { setError(errorText(e)); }
  };
  return (
    <section className="panel" aria-label="Cancel subscription">
      {step === 'reason' && (
        <>
          {asked.enabled && (
            <fieldset>
              <legend>Why are you cancelling?</legend>
              {asked.options.map((o) => (
                <label key={o} className="choice"><input type="radio" name={`reason-${sub.id}`} value={o} checked={feedback === o} onChange={() => setFeedback(o)} /> {REASON_LABELS[o] ?? o}</label>
              ))}
            </fieldset>
          )}
          <label>Anything else you would like to tell us? (optional)
            <textarea aria-label="Comment" maxLength={500} rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <div className="actions">
            <button className="danger" disabled={asked.enabled && !feedback} onClick={() => (offer ? setStep('offer') : void cancel())}>{offer ? 'Continue' : 'Cancel subscription'}</button>
            <button className="quiet" onClick={() => done(null)}>Keep my subscription</button>
          </div>
        </>
      )}
      {step === 'offer' && offer && (
        <div className="offer" data-testid="retention-offer">
          <h4>Before you go</h4>
          <p>{info.merchant} would like to keep you: <strong>{couponLabel(offer)}</strong>.</p>
          <div className="actions">
            <button onClick={() => void accept()}>Accept the offer</button>
            <button className="danger" onClick={() => void cancel()}>No thanks, cancel</button>
          </div>
        </div>
      )}
      <p className="muted small">{atEnd ? `If you cancel, you keep access until ${day(sub.current_period_end)}.` : 'If you cancel, it ends right away.'}</p>
      {error && <p className="note error" role="alert">{error}</p>}
    </section>
  );
}
