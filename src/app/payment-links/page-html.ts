import { createHash } from 'node:crypto';

/**
 * The hosted card-update page's HTML: plain markup, one inline style sheet, no script, so it
 * works without JavaScript and its Content-Security-Policy can forbid every script and frame.
 * Every value from the database is escaped; nothing the customer typed is ever echoed back.
 */
const CSS = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2433;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:10px;padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.35rem;margin:0 0 .25rem}p.who{color:#5b6475;margin:0 0 1.5rem}
table{width:100%;border-collapse:collapse;margin:0 0 1.5rem}td{padding:.4rem 0;border-bottom:1px solid #e6e8ec}td.amt{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;border-bottom:0}label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input{box-sizing:border-box;width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #c5cad3;border-radius:6px}
button{margin-top:1.4rem;width:100%;font:inherit;font-weight:600;padding:.75rem;border:0;border-radius:6px;background:#2d5bd7;color:#fff;cursor:pointer}
.error{background:#fdecec;color:#8a1c1c;padding:.7rem .9rem;border-radius:6px}.ok{background:#e8f6ec;color:#185c2c;padding:.7rem .9rem;border-radius:6px}
.hint{color:#5b6475;font-size:.85rem}`;

/** The page's Content-Security-Policy: only its own style sheet (by hash), forms back to itself, no frames. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; `
  + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

export type Owed = { number: string; amount: string };
export type PageFacts = { merchant: string; customer: string; owed: Owed[]; totals: string[]; testCards: boolean };

function owedTable(owed: Owed[], totals: string[]): string {
  if (owed.length === 0) return '<p>Nothing is owed right now; the card will be used for future payments.</p>';
  const rows = owed.map((o) => `<tr><td>Invoice ${esc(o.number)}</td><td class="amt">${esc(o.amount)}</td></tr>`).join('');
  return `<table><tbody>${rows}<tr class="total"><td>Total due</td><td class="amt">${totals.map(esc).join(' + ')}</td></tr></tbody></table>`;
}

/** The form: the card number and expiry, posted back to the same signed address (no action attribute needed). */
export function formPage(f: PageFacts, error: string | null): string {
  return layout(`Update your card – ${f.merchant}`, `<h1>${esc(f.merchant)}</h1><p class="who">Update the card for ${esc(f.customer)}</p>`
    + owedTable(f.owed, f.totals)
    + (error ? `<p class="error" role="alert">${esc(error)}</p>` : '')
    + `<form method="post"><label for="card_number">Card number</label>`
    + `<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" required maxlength="23">`
    + `<label for="expiry">Expiry (MM/YY)</label><input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM/YY" required maxlength="7">`
    + `<button type="submit">${f.owed.length ? `Save card and pay ${f.totals.map(esc).join(' + ')}` : 'Save card'}</button></form>`
    + (f.testCards ? '<p class="hint">Test mode: use a test card such as 4242 4242 4242 4242 with any future expiry.</p>' : ''));
}

export function donePage(f: Pick<PageFacts, 'merchant'>, paid: Owed[], pending: string[], returnUrl: string | null): string {
  const lines = paid.map((p) => `<tr><td>Invoice ${esc(p.number)}</td><td class="amt">${esc(p.amount)} paid</td></tr>`).join('');
  return layout(`Card updated – ${f.merchant}`, `<h1>${esc(f.merchant)}</h1>`
    + `<p class="ok" role="status">Thank you: your card is saved${paid.length ? ' and your payment went through' : ''}.</p>`
    + (lines ? `<table><tbody>${lines}</tbody></table>` : '')
    + pending.map((p) => `<p>${esc(p)}</p>`).join('')
    + (returnUrl ? `<p><a href="${esc(returnUrl)}">Back to ${esc(f.merchant)}</a></p>` : '<p>You can close this page.</p>'));
}

/** A link that is forged, edited, used or expired: says so in plain words and nothing else. */
export function invalidPage(message: string): string {
  return layout('Link not valid', `<h1>This link is not valid</h1><p>${esc(message)}</p><p>Ask the sender for a new link.</p>`);
}
