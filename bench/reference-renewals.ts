import type pg from 'pg';
import { typeid } from 'typeid-js';
import { newId } from '../src/domain/ids.ts';
import { buildInvoice } from '../src/domain/invoice-builder.ts';
import { assignInvoiceNumbers } from '../src/domain/invoice-number.ts';
import { nextBoundaryAfter } from '../src/domain/calendar.ts';
import { recurringOf, subscriptionDraftLines } from '../src/app/invoicing/plan-invoice.ts';
import { invoiceView, paymentAttemptView, subscriptionItemView, subscriptionView, type Row } from '../src/app/views.ts';

/**
 * The raw-SQL reference for the billing-run benchmark: the same transactions writing the same
 * rows as the engine's worker (claim a batch and lock its customers, reading their balances;
 * read the batch's pending invoice items; invoices + lines + attempts + subscription update +
 * customers' invoice sequences + audit + events; one gateway write per charge; then attempts +
 * invoices + audit + events),
 * hand-written and pipelined — each transaction is one to three multi-statement round trips with
 * literals inlined, where the engine goes through Kysely one statement at a time.
 * Amounts and event payloads use the same pure functions as the engine so the rows are equal.
 */
const BATCH = 25;
const PARALLEL = 8;

/**
 * The gateway's write, word for word the statement of the engine's sandbox gateway
 * (INSERT_CHARGE in src/adapters/gateways/sandbox/gateway.ts), sent the same way (a named
 * prepared statement): the same row, and the same commit that does not wait for the WAL flush.
 * renewals.ts checks before every run that the two texts are still the same.
 */
export const REFERENCE_INSERT_CHARGE = `WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true))
  INSERT INTO sandbox.charges (idempotency_key, id, token, amount, currency, status, decline_code, reference)
  SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text, $7::text, $8::text FROM no_flush_wait
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, status, decline_code, token`;

type Claimed = Row<'subscriptions'> & {
  pm_id: string; gateway_token: string; invoice_prefix: string; next_invoice_sequence: number; balance: bigint; balance_currency: string | null;
  items: { item: Record<string, unknown>; price: Record<string, unknown> }[];
};

function lit(client: pg.PoolClient, v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (typeof v === 'bigint' || typeof v === 'number') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'object') return client.escapeLiteral(JSON.stringify(v));
  return client.escapeLiteral(String(v));
}
const rowsOf = (c: pg.PoolClient, rows: unknown[][]) => rows.map((r) => `(${r.map((v) => lit(c, v)).join(', ')})`).join(',\n');

function priceRow(p: Record<string, unknown>): Row<'prices'> {
  return { ...(p as unknown as Row<'prices'>), unit_amount: p.unit_amount === null ? null : BigInt(p.unit_amount as number),
    created_at: new Date(p.created_at as string) };
}

/** One batch; returns how many subscriptions it renewed (0 when nothing is due). */
export async function referenceBatch(pool: pg.Pool): Promise<number> {
  const now = new Date();
  const c = await pool.connect();
  let charges: { sub: Claimed; inv: Row<'invoices'>; lines: Row<'invoice_lines'>[]; attempt: Row<'payment_attempts'> }[] = [];
  try {
    const claim = await c.query(`BEGIN;
      WITH due AS (SELECT * FROM subscriptions WHERE next_action_at <= ${lit(c, now)} AND test_clock_id IS NULL
        ORDER BY next_action_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
      SELECT due.*, pm.id AS pm_id, pm.gateway_token, cu.invoice_prefix, cu.next_invoice_sequence, cu.balance, cu.balance_currency,
        (SELECT json_agg(json_build_object('item', to_jsonb(si), 'price', to_jsonb(p)) ORDER BY si.id)
           FROM subscription_items si JOIN prices p ON p.account_id = si.account_id AND p.id = si.price_id
          WHERE si.account_id = due.account_id AND si.subscription_id = due.id) AS items
      FROM due JOIN customers cu ON cu.account_id = due.account_id AND cu.id = due.customer_id
      JOIN payment_methods pm ON pm.account_id = due.account_id AND pm.id = COALESCE(due.default_payment_method_id, cu.default_payment_method_id)
      ORDER BY cu.account_id, cu.id FOR NO KEY UPDATE OF cu`) as unknown as pg.QueryResult[];
    const subs = claim[1]!.rows as Claimed[];
    if (subs.length === 0) { await c.query('ROLLBACK'); return 0; }
    // The engine's read of the batch's pending invoice items (loadPendingItems): one query, by
    // the same partial index. The benchmark's book has neither pending items nor balances, so
    // the reference need not write what they would make; it stops rather than ignore them.
    const pending = await c.query(`SELECT * FROM invoice_items WHERE account_id IN (${[...new Set(subs.map((s) => lit(c, s.account_id)))].join(', ')})
      AND customer_id IN (${[...new Set(subs.map((s) => lit(c, s.customer_id)))].join(', ')}) AND invoice_id IS NULL ORDER BY created_at, id`);
    const owing = subs.filter((s) => s.balance !== 0n);
    if (pending.rows.length || owing.length) {
      throw new Error(`the reference writes no pending items or balances, but found ${pending.rows.length} pending items and ${owing.length} customers with a balance`);
    }
    const inv: unknown[][] = []; const lines: unknown[][] = []; const atts: unknown[][] = []; const upd: unknown[][] = [];
    const audit: unknown[][] = []; const events: unknown[][] = []; const revisions: unknown[][] = [];
    const numbering = assignInvoiceNumbers(subs, (s) => `${s.account_id}/${s.customer_id}`, (s) => ({ prefix: s.invoice_prefix, next: s.next_invoice_sequence }));
    const seq = [...numbering.next].map(([key, next]) => [...key.split('/'), next]);
    for (const [i, s] of subs.entries()) {
      const items = s.items.map((x) => ({ item: { ...(x.item as unknown as Row<'subscription_items'>), created_at: new Date(x.item.created_at as string) }, price: priceRow(x.price) }));
      const start = s.current_period_end;
      const end = nextBoundaryAfter(s.billing_cycle_anchor, recurringOf(s), start);
      const built = buildInvoice(s.currency, subscriptionDraftLines(s, items, [], start, end));
      const invoice: Row<'invoices'> = { account_id: s.account_id, id: newId('invoice'), customer_id: s.customer_id, subscription_id: s.id, number: numbering.numbers[i]!, status: 'open',
        billing_reason: 'subscription_cycle', currency: built.currency, subtotal: built.subtotal, total: built.total, amount_due: built.total,
        amount_paid: 0n, amount_remaining: built.total, period_start: start, period_end: end, attempt_count: 1, finalized_at: now,
        paid_at: null, voided_at: null, collection_method: 'charge_automatically', days_until_due: null, due_date: null, auto_advance: true,
        description: null, tax: built.tax, total_excluding_tax: built.total_excluding_tax, total_taxes: [], discounts: [], total_discount_amounts: [], starting_balance: 0n, ending_balance: 0n, marked_uncollectible_at: null, test_clock_id: null, created_at: now, updated_at: now, version: 1,
        automatic_tax: { enabled: false, status: null }, customer_name: null, customer_address: null, customer_tax_ids: null, customer_tax_exempt: null, open_disputes: 0, credit_grants_applied: 0n };
      const lineRows: Row<'invoice_lines'>[] = built.lines.map((l, position) => ({ account_id: s.account_id, id: newId('invoiceLine'), invoice_id: invoice.id,
        price_id: l.price_id, description: l.description, quantity: l.quantity, quantity_decimal: null, amount: l.amount, unit_amount_decimal: l.unit_amount_decimal,
        period_start: l.period_start, period_end: l.period_end, kind: l.kind, proration: false, subscription_item_id: l.subscription_item, invoice_item_id: null, position, tax_amounts: [], discount_amounts: [] }));
      const aid = newId('paymentAttempt');
      const attempt: Row<'payment_attempts'> = { account_id: s.account_id, id: aid, invoice_id: invoice.id, customer_id: s.customer_id, payment_method_id: s.pm_id,
        test_clock_id: null, gateway: 'sandbox', idempotency_key: `rebill:${s.account_id}:${aid}`, amount: built.total, currency: built.currency,
        status: 'pending', decline_code: null, failure_message: null, gateway_charge_id: null, gateway_decline_code: null, decline_category: null, do_not_retry: false, network_advice: null, action_url: null, lookups: 0, attempt_number: 1,
        gateway_called_at: null, gateway_ms: null, gateway_result: null, failover_of: null,
        recover_at: new Date(now.getTime() + 60_000), rescue_at: null, created_at: now, updated_at: now };
      inv.push([invoice.account_id, invoice.id, invoice.customer_id, invoice.subscription_id, invoice.number, 'open', 'subscription_cycle', invoice.currency, invoice.subtotal,
        invoice.total, invoice.total_excluding_tax, invoice.amount_due, 0, invoice.amount_remaining, start, end, 1, now, 0, 0, now, now]);
      for (const l of lineRows) lines.push([l.account_id, l.id, l.invoice_id, l.price_id, l.description, l.quantity, l.amount, l.unit_amount_decimal, l.period_start, l.period_end, l.kind, l.subscription_item_id, l.position]);
      atts.push([attempt.account_id, attempt.id, attempt.invoice_id, attempt.customer_id, attempt.payment_method_id, 'sandbox', attempt.idempotency_key,
        attempt.amount, attempt.currency, 'pending', attempt.recover_at, now, now]);
      const after = { ...s, current_period_start: start, current_period_end: end, next_action_at: end, latest_invoice_id: invoice.id, updated_at: now, version: s.version + 1 };
      upd.push([s.account_id, s.id, start, end, end, invoice.id, now, after.version]);
      const view = invoiceView(invoice, lineRows);
      const prev = { status: s.status, current_period_start: s.current_period_start, current_period_end: s.current_period_end };
      audit.push([s.account_id, newId('audit'), 'system:billing', 'invoice.finalized', 'invoice', invoice.id, null, view, now]);
      audit.push([s.account_id, newId('audit'), 'system:billing', 'payment.created', 'payment', aid, null, paymentAttemptView(attempt), now]);
      audit.push([s.account_id, newId('audit'), 'system:billing', 'subscription.renewed', 'subscription', s.id, prev,
        { status: s.status, current_period_start: start, current_period_end: end, ended_at: null }, now]);
      events.push([s.account_id, newId('event'), 'invoice.created', invoice.id, { object: view }, now]);
      events.push([s.account_id, newId('event'), 'invoice.finalized', invoice.id, { object: view }, now]);
      events.push([s.account_id, newId('event'), 'subscription.updated', s.id,
        { object: subscriptionView(after, items.map((x) => subscriptionItemView(x.item, x.price))), previous_attributes: prev }, now]);
      // The engine's revenue history: a revision of the subscription with each of its events.
      revisions.push([s.account_id, newId('subscriptionRevision'), s.id, s.customer_id, now, s.status, s.currency,
        items.map((x) => ({ price: x.item.price_id, quantity: x.item.quantity })), `{${((s as { discount_ids?: string[] }).discount_ids ?? []).join(',')}}`]);
      charges.push({ sub: s, inv: invoice, lines: lineRows, attempt });
    }
    await c.query(`
      WITH inv AS (INSERT INTO invoices (account_id, id, customer_id, subscription_id, number, status, billing_reason, currency, subtotal, total,
          total_excluding_tax, amount_due, amount_paid, amount_remaining, period_start, period_end, attempt_count, finalized_at, starting_balance, ending_balance, created_at, updated_at)
        VALUES ${rowsOf(c, inv)}
        ON CONFLICT (account_id, subscription_id, period_start) WHERE subscription_id IS NOT NULL AND billing_reason IN ('subscription_create', 'subscription_cycle') DO NOTHING RETURNING id),
      l AS (INSERT INTO invoice_lines (account_id, id, invoice_id, price_id, description, quantity, amount, unit_amount_decimal, period_start, period_end, kind, subscription_item_id, position)
        SELECT v.a, v.b, v.c, v.d, v.e, v.f::int, v.g::bigint, v.h::numeric, v.i::timestamptz, v.j::timestamptz, v.k, v.l, v.m::int
        FROM (VALUES ${rowsOf(c, lines)}) v(a, b, c, d, e, f, g, h, i, j, k, l, m) JOIN inv ON inv.id = v.c)
      INSERT INTO payment_attempts (account_id, id, invoice_id, customer_id, payment_method_id, gateway, idempotency_key, amount, currency, status, recover_at, created_at, updated_at)
        SELECT v.a, v.b, v.c, v.d, v.e, v.f, v.g, v.h::bigint, v.i, v.j, v.k::timestamptz, v.l::timestamptz, v.m::timestamptz
        FROM (VALUES ${rowsOf(c, atts)}) v(a, b, c, d, e, f, g, h, i, j, k, l, m) JOIN inv ON inv.id = v.c;
      UPDATE subscriptions s SET current_period_start = v.b::timestamptz, current_period_end = v.c::timestamptz, next_action_at = v.d::timestamptz,
          latest_invoice_id = v.e, updated_at = v.f::timestamptz, version = v.g::int
        FROM (VALUES ${rowsOf(c, upd.map(([acc, id, ...r]) => [acc, id, ...r]))}) v(acc, id, b, c, d, e, f, g)
        WHERE s.account_id = v.acc AND s.id = v.id;
      UPDATE customers cu SET next_invoice_sequence = v.n::int FROM (VALUES ${rowsOf(c, seq)}) v(a, id, n)
        WHERE cu.account_id = v.a AND cu.id = v.id;
      INSERT INTO audit_log (account_id, id, actor, action, object_type, object_id, before, after, at) VALUES ${rowsOf(c, audit)};
      INSERT INTO events (account_id, id, type, object_id, data, created_at) VALUES ${rowsOf(c, events)};
      INSERT INTO subscription_revisions (account_id, id, subscription_id, customer_id, at, status, currency, items, discount_ids) VALUES ${rowsOf(c, revisions)};
      COMMIT;`);
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }

  // The gateway: the engine's sandbox write per charge, side by side.
  let next = 0;
  const chargeIds = new Map<string, string>();
  await Promise.all(Array.from({ length: Math.min(PARALLEL, charges.length) }, async () => {
    while (next < charges.length) {
      const { sub, attempt } = charges[next++]!;
      const r = await pool.query<{ id: string }>({ name: 'bench_reference_insert_charge', text: REFERENCE_INSERT_CHARGE, values: [
        attempt.idempotency_key, typeid('ch').toString(), sub.gateway_token, attempt.amount.toString(), attempt.currency, 'succeeded', null, attempt.invoice_id] });
      chargeIds.set(attempt.id, r.rows[0]!.id);
    }
  }));

  const c2 = await pool.connect();
  try {
    const done = new Date();
    const attRows: unknown[][] = []; const invRows: unknown[][] = []; const audit: unknown[][] = []; const events: unknown[][] = [];
    for (const { inv, lines, attempt } of charges) {
      const settled = { ...attempt, status: 'succeeded', gateway_charge_id: chargeIds.get(attempt.id)!, recover_at: null, updated_at: done };
      const paid = { ...inv, status: 'paid', amount_paid: inv.amount_due, amount_remaining: 0n, paid_at: done, updated_at: done, version: 2 };
      attRows.push([attempt.account_id, attempt.id, settled.gateway_charge_id, done]);
      invRows.push([inv.account_id, inv.id, inv.amount_due, done, 2]);
      audit.push([inv.account_id, newId('audit'), 'system:billing', 'payment.succeeded', 'payment', attempt.id, null, paymentAttemptView(settled), done]);
      audit.push([inv.account_id, newId('audit'), 'system:billing', 'invoice.paid', 'invoice', inv.id, { status: 'open', amount_paid: 0 }, { status: 'paid', amount_paid: Number(inv.amount_due) }, done]);
      events.push([inv.account_id, newId('event'), 'payment.succeeded', attempt.id, { object: paymentAttemptView(settled) }, done]);
      events.push([inv.account_id, newId('event'), 'invoice.paid', inv.id, { object: invoiceView(paid, lines) }, done]);
    }
    await c2.query(`BEGIN;
      UPDATE payment_attempts pa SET status = 'succeeded', gateway_charge_id = v.c, recover_at = NULL, updated_at = v.d::timestamptz
        FROM (VALUES ${rowsOf(c2, attRows)}) v(a, b, c, d) WHERE pa.account_id = v.a AND pa.id = v.b AND pa.status IN ('pending', 'unknown');
      UPDATE invoices i SET status = 'paid', amount_paid = v.c::bigint, amount_remaining = 0, paid_at = v.d::timestamptz, updated_at = v.d::timestamptz, version = v.e::int
        FROM (VALUES ${rowsOf(c2, invRows)}) v(a, b, c, d, e) WHERE i.account_id = v.a AND i.id = v.b AND i.status = 'open';
      SELECT 1 FROM subscriptions WHERE account_id IN (${[...new Set(charges.map((x) => x.sub.account_id))].map((a) => lit(c2, a)).join(', ')})
        AND id IN (${charges.map((x) => lit(c2, x.sub.id)).join(', ')}) FOR UPDATE;
      INSERT INTO audit_log (account_id, id, actor, action, object_type, object_id, before, after, at) VALUES ${rowsOf(c2, audit)};
      INSERT INTO events (account_id, id, type, object_id, data, created_at) VALUES ${rowsOf(c2, events)};
      COMMIT;`);
  } catch (err) {
    await c2.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c2.release();
  }
  return charges.length;
}
