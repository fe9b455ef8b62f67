import { DomainError } from '../../domain/errors.ts';
import { formatMoney } from '../../domain/format-money.ts';
import { attachPaymentMethod } from '../customers/payment-methods.ts';
import { CardDeclinedError, payInvoice } from '../invoicing/invoices.ts';
import type { Actor, Deps } from '../ports.ts';
import { nowFor } from '../time.ts';
import { command } from '../unit-of-work.ts';
import { linkRow, linkStatus, openLinkToken, paymentLinkView } from './links.ts';
import { donePage, formPage, invalidPage, type Owed, type PageFacts } from './page-html.ts';

/** What the page route sends: an HTTP status and a whole HTML document. */
export type Page = { status: number; html: string };

const invalidLink = () => new DomainError('payment_link_invalid', 'This link was not made by us, or it was changed on the way.');
const goneLink = (why: 'used' | 'expired') =>
  new DomainError('payment_link_gone', why === 'used' ? 'This link was used already: the card was saved.' : 'This link has expired.');

/**
 * Everything the page shows, read fresh on every request; throws a DomainError for a token Rebill
 * did not sign (404) or a link used or expired in the customer's business time (410).
 */
async function pageContext(deps: Deps, token: string) {
  const opened = openLinkToken(deps.notifications, token);
  const r = opened ? await linkRow(deps, deps.db, opened.accountId, opened.linkId) : null;
  if (!opened || !r) throw invalidLink();
  const status = linkStatus(r.link, r.now);
  if (status !== 'active') throw goneLink(status);
  const { accountId } = opened;
  const account = await deps.db.selectFrom('accounts').select('name').where('id', '=', accountId).executeTakeFirstOrThrow();
  const customer = await deps.db.selectFrom('customers').select(['id', 'name', 'email']).where('account_id', '=', accountId).where('id', '=', r.link.customer_id).executeTakeFirstOrThrow();
  const invoices = await deps.db.selectFrom('invoices').select(['id', 'number', 'currency', 'amount_remaining']).where('account_id', '=', accountId)
    .where('customer_id', '=', customer.id).where('status', '=', 'open').where('amount_remaining', '>', 0n).orderBy('created_at').orderBy('id').execute();
  const owed: Owed[] = invoices.map((i) => ({ number: i.number ?? i.id, amount: formatMoney(BigInt(i.amount_remaining), i.currency) }));
  const sums = new Map<string, bigint>();
  for (const i of invoices) sums.set(i.currency, (sums.get(i.currency) ?? 0n) + BigInt(i.amount_remaining));
  const facts: PageFacts = {
    merchant: account.name, customer: customer.name ?? customer.email ?? 'your account', owed,
    totals: [...sums].map(([cur, amount]) => formatMoney(amount, cur)), testCards: deps.gateway.tokenizeTestCard !== undefined,
  };
  // The customer acts for themself, through this link: the audit trail says both.
  const actor: Actor = { accountId, actor: `customer:${customer.id}/payment_link:${r.link.id}`, requestId: null };
  return { ...r, accountId, customer, invoices, facts, actor };
}

/** Renders a page-level refusal as HTML instead of the API's JSON; anything else is a fault and goes on up. */
async function asPage(run: () => Promise<Page>): Promise<Page> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DomainError && (err.code === 'payment_link_invalid' || err.code === 'payment_link_gone')) return { status: err.status, html: invalidPage(err.message) };
    throw err;
  }
}

export const showUpdatePage = (deps: Deps, token: string) => asPage(async () => ({ status: 200, html: formPage((await pageContext(deps, token)).facts, null) }));

/** MM/YY (or MM/YYYY) that is not before the current month; null when it is not. */
function expiryProblem(expiry: string, now: Date): string | null {
  const m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(expiry);
  const month = m ? Number(m[1]) : 0;
  const year = m ? (m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2])) : 0;
  if (!m || month < 1 || month > 12) return 'Enter the expiry as MM/YY.';
  if (year * 12 + month < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1) return 'This card has expired; use another card.';
  return null;
}

/**
 * The form posted back: the test card is tokenized at once (the number goes no further than the
 * sandbox's lookup), attached as the customer's default (which moves their dunning cases to retry)
 * and every open invoice is paid with it. A decline shows the form again and leaves the link
 * usable; otherwise the link is spent and the page shows what was paid.
 */
export const submitUpdatePage = (deps: Deps, token: string, form: { card_number?: string; expiry?: string }) => asPage(async () => {
  const ctx = await pageContext(deps, token);
  const again = (status: number, message: string): Page => ({ status, html: formPage(ctx.facts, message) });
  const problem = expiryProblem(form.expiry ?? '', ctx.now);
  if (problem) return again(400, problem);
  const tokenize = deps.gateway.tokenizeTestCard;
  const cardToken = tokenize && form.card_number ? await tokenize.call(deps.gateway, form.card_number) : null;
  if (!cardToken) return again(400, 'This card number is not one of the test cards this page accepts.');
  const pm = await attachPaymentMethod(deps, ctx.actor, { customer: ctx.customer.id, token: cardToken, set_default: true });
  const paid: Owed[] = [];
  const pending: string[] = [];
  for (const inv of ctx.invoices) {
    const number = inv.number ?? inv.id;
    try {
      const after = await payInvoice(deps, ctx.actor, inv.id, { payment_method: pm.id });
      if (after.status === 'paid') paid.push({ number, amount: formatMoney(BigInt(after.amount_paid), after.currency) });
      else pending.push(`The payment of invoice ${number} is being processed.`);
    } catch (err) {
      if (err instanceof CardDeclinedError) return again(402, `The card was declined: ${err.message} Try another card.`);
      // Paid meanwhile (a dunning retry with the new card), or a payment of it still in flight: not this page's to redo.
      if (err instanceof DomainError && (err.code === 'invoice_not_open' || err.code === 'payment_in_progress')) { pending.push(`Invoice ${number} needs nothing more from you.`); continue; }
      throw err;
    }
  }
  await markUsed(deps, ctx.actor, ctx.link.id, ctx.link.customer_id);
  return { status: 200, html: donePage(ctx.facts, paid, pending, ctx.link.return_url) };
});

/** Spends the link; a second submit finds it used and is refused before anything is written. */
async function markUsed(deps: Deps, actor: Actor, linkId: string, customerId: string) {
  await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('customers').select('test_clock_id').where('account_id', '=', u.accountId).where('id', '=', customerId).executeTakeFirstOrThrow();
    const now = await nowFor(deps, u.tx, u.accountId, c.test_clock_id);
    const used = await u.tx.updateTable('payment_links').set({ used_at: now, updated_at: now }).where('account_id', '=', u.accountId).where('id', '=', linkId)
      .where('used_at', 'is', null).returningAll().executeTakeFirst();
    if (!used) return;
    // Without its URL, as at creation: a spent link opens nothing, but the stream never carries one.
    const view = paymentLinkView(undefined, used, c.test_clock_id, now);
    u.audit('payment_link.used', 'payment_link', linkId, { status: 'active', used_at: null }, { status: 'used', used_at: view.used_at }, now);
    u.emit('payment_link.used', linkId, view, now);
  });
}
