import { sql } from 'kysely';
import { reattemptAllowed } from '../../domain/declines-network.ts';
import { OPEN_ATTEMPT_STATUSES } from '../../domain/payment-attempt-status.ts';
import { attemptRow, sendAttempts, type PendingCharge } from '../payments/collect.ts';
import { systemActor, type Deps } from '../ports.ts';
import { clockTimes, type Db } from '../time.ts';
import { command, StaleWriteError, UnitOfWork } from '../unit-of-work.ts';
import { paymentAttemptView, type Row } from '../views.ts';
import { closeCase, exhaust, recordSettled, writeCase, type SettledPayment } from './cases.ts';
import { cardDeclinesAt, loadPlanInputs } from './plan-inputs.ts';
import { declinesOf, dunningCaseView } from './view.ts';

/** How long a retry waits when a payment of its invoice is still in flight: its settlement replans the case anyway. */
const IN_FLIGHT_WAIT_MS = 3_600_000;
/**
 * A stepped case is due again after this long unless its retry's outcome is recorded first (at
 * once, by the batch that sent it). Should the process die in between, the case comes back, finds
 * its retry settled and records it, or still in flight and waits: never a second charge.
 */
const RECORD_LEASE_MS = 15 * 60_000;

type PaymentMethodRef = { id: string; gateway_token: string; gateway: string; gateway_customer: string | null };

/** Each case's invoice's latest payment, the open one first (there is at most one). */
async function latestPayments(db: Db, accountId: string, invoiceIds: string[]) {
  const rows = await db.selectFrom('payment_attempts').distinctOn('invoice_id').select(['id', 'invoice_id', 'status']).where('account_id', '=', accountId)
    .where('invoice_id', 'in', invoiceIds)
    .orderBy('invoice_id').orderBy(sql`status IN (${sql.join(OPEN_ATTEMPT_STATUSES.map((s) => sql.lit(s)))})`, 'desc').orderBy('created_at', 'desc').orderBy('id', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.invoice_id, r]));
}

/** The payment method each case would charge: the subscription's default, else the customer's. */
async function paymentMethods(db: Db, accountId: string, caseIds: string[]): Promise<Map<string, PaymentMethodRef>> {
  const rows = await db.selectFrom('dunning_cases as dc')
    .innerJoin('customers as cu', (j) => j.onRef('cu.account_id', '=', 'dc.account_id').onRef('cu.id', '=', 'dc.customer_id'))
    .leftJoin('subscriptions as s', (j) => j.onRef('s.account_id', '=', 'dc.account_id').onRef('s.id', '=', 'dc.subscription_id'))
    .innerJoin('payment_methods as pm', (j) => j.onRef('pm.account_id', '=', 'dc.account_id')
      .on((eb) => eb('pm.id', '=', eb.fn.coalesce('s.default_payment_method_id', 'cu.default_payment_method_id'))))
    .select(['dc.id as case_id', 'pm.id', 'pm.gateway_token', 'pm.gateway', 'pm.gateway_customer'])
    .where('dc.account_id', '=', accountId).where('dc.id', 'in', caseIds).execute();
  return new Map(rows.map((r) => [r.case_id, { id: r.id, gateway_token: r.gateway_token, gateway: r.gateway, gateway_customer: r.gateway_customer }]));
}

/**
 * Steps one account's due cases in the caller's transaction, reading per batch: a retry opens a
 * payment attempt on the invoice's current payment method, checked once more against the card
 * networks' limits; a case that was waiting for a new card or the merchant until its deadline is
 * exhausted; a payment of the invoice settled but not yet in its case (a crash came between) is
 * recorded now. Returns the charges to send after commit.
 */
async function stepCases(deps: Deps, u: UnitOfWork, cases: Row<'dunning_cases'>[]): Promise<PendingCharge[]> {
  const invoiceIds = cases.map((c) => c.invoice_id);
  const [invoices, latest, pms] = await Promise.all([
    u.tx.selectFrom('invoices').selectAll().where('account_id', '=', u.accountId).where('id', 'in', invoiceIds).orderBy('id').forUpdate().execute(),
    latestPayments(u.tx, u.accountId, invoiceIds),
    paymentMethods(u.tx, u.accountId, cases.map((c) => c.id)),
  ]);
  const invoiceOf = new Map(invoices.map((i) => [i.id, i]));
  const timeOf = await clockTimes(u.tx, deps.clock.now(), cases);
  const earliest = new Date(Math.min(...cases.map((c) => timeOf(c).getTime())));
  const inputs = await loadPlanInputs(u.tx, u.accountId, [], [...pms.values()].map((p) => p.id), earliest);
  const pending: PendingCharge[] = [];
  const unrecorded: SettledPayment[] = [];
  for (const c of cases) {
    const invoice = invoiceOf.get(c.invoice_id)!;
    const now = timeOf(c);
    const write = (after: Row<'dunning_cases'>) => {
      writeCase(u, { ...after, updated_at: now }, c);
      u.audit('dunning_case.updated', 'dunning_case', c.id, dunningCaseView(c), dunningCaseView(after), now);
      u.emit(after.status === 'active' ? 'dunning_case.updated' : 'dunning_case.closed', c.id, dunningCaseView(after), now);
    };
    if (invoice.status !== 'open') {
      closeCase(u, c, invoice.status === 'paid' ? 'recovered' : 'canceled', invoice.status === 'paid' ? 'paid' : `invoice_${invoice.status}`, now);
      continue;
    }
    const last = latest.get(c.invoice_id);
    if (last && (OPEN_ATTEMPT_STATUSES as readonly string[]).includes(last.status)) {
      write({ ...c, next_attempt_at: new Date(now.getTime() + IN_FLIGHT_WAIT_MS) });
      continue;
    }
    if (last?.status === 'failed' && !declinesOf(c).some((d) => d.payment === last.id)) {
      unrecorded.push({ invoiceId: c.invoice_id, paymentId: last.id });
      continue;
    }
    if (c.awaiting !== 'retry') {
      write(await exhaust(deps, u, c, c.awaiting === 'merchant' ? 'merchant_did_not_act' : 'no_new_payment_method', now));
      continue;
    }
    const pm = pms.get(c.id);
    if (!pm) {
      write({ ...c, awaiting: 'new_payment_method', next_attempt_at: c.grace_ends_at > now ? c.grace_ends_at : now });
      continue;
    }
    // Declines of other invoices on this card may have used up the networks' allowance meanwhile.
    const verdict = reattemptAllowed(cardDeclinesAt(inputs, pm.id, now), now);
    if (!verdict.allowed) {
      write(verdict.nextAllowedAt ? { ...c, next_attempt_at: verdict.nextAllowedAt } : { ...c, awaiting: 'new_payment_method' });
      continue;
    }
    write({ ...c, retries: c.retries + 1, next_attempt_at: new Date(now.getTime() + RECORD_LEASE_MS) });
    const attempt = attemptRow(deps, invoice, pm, c.test_clock_id, now);
    u.insertLater('payment_attempts', [attempt]);
    u.updateLater('invoices', [{ account_id: invoice.account_id, id: invoice.id, attempt_count: invoice.attempt_count + 1, updated_at: now }]);
    u.audit('payment.created', 'payment', attempt.id, null, paymentAttemptView(attempt), now);
    pending.push({ attempt, token: pm.gateway_token, gatewayCustomer: pm.gateway_customer, recordedByCaller: true });
  }
  await recordSettled(deps, u, unrecorded);
  return pending;
}

/**
 * The retries just sent, recorded in their cases at once: one transaction for the batch, or one
 * per payment when the batch's write finds a case moved meanwhile (a new card, say). A payment
 * left unrecorded by a failure here is recorded when its case's lease runs out.
 */
async function recordSent(deps: Deps, sent: PendingCharge[]): Promise<void> {
  const byAccount = new Map<string, SettledPayment[]>();
  for (const p of sent) byAccount.set(p.attempt.account_id, [...(byAccount.get(p.attempt.account_id) ?? []), { invoiceId: p.attempt.invoice_id, paymentId: p.attempt.id }]);
  try {
    await deps.db.transaction().execute(async (tx) => {
      for (const [accountId, items] of byAccount) {
        const u = new UnitOfWork(tx, systemActor(accountId, deps.workerId));
        await recordSettled(deps, u, items);
        await u.flush();
      }
    });
  } catch (err) {
    if (!(err instanceof StaleWriteError)) throw err;
    for (const [accountId, items] of byAccount) {
      for (const item of items) {
        await command(deps, systemActor(accountId, deps.workerId), async (u) => { await recordSettled(deps, u, [item]); })
          .catch((e: unknown) => deps.log.warn({ err: (e as Error).message, payment: item.paymentId }, 'dunning retry left for its lease to record'));
      }
    }
  }
}

async function sendAndRecord(deps: Deps, pending: PendingCharge[]): Promise<void> {
  if (pending.length === 0) return;
  await sendAttempts(deps, systemActor(pending[0]!.attempt.account_id, deps.workerId), pending);
  await recordSent(deps, pending);
}

// Cases stepped per transaction: enough to amortize the commit, few enough to keep locks short.
const BATCH = 25;

/** Real time: steps due cases of real-time customers, a batch at a time; answers how many. */
export async function retryDueCases(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const pending: PendingCharge[] = [];
  const stepped = await deps.db.transaction().execute(async (tx) => {
    const due = await tx.selectFrom('dunning_cases').selectAll().where('status', '=', 'active').where('test_clock_id', 'is', null)
      .where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(BATCH).forUpdate().skipLocked().execute();
    const byAccount = new Map<string, Row<'dunning_cases'>[]>();
    for (const c of due) byAccount.set(c.account_id, [...(byAccount.get(c.account_id) ?? []), c]);
    for (const [accountId, cases] of byAccount) {
      const u = new UnitOfWork(tx, systemActor(accountId, deps.workerId));
      pending.push(...await stepCases(deps, u, cases));
      await u.flush();
    }
    return due.length;
  });
  await sendAndRecord(deps, pending);
  return stepped;
}

/** Test clocks: steps one named case if it is still due at its clock's time. */
export async function retryCase(deps: Deps, accountId: string, caseId: string): Promise<void> {
  const pending = await command(deps, systemActor(accountId, deps.workerId), async (u) => {
    const c = await u.tx.selectFrom('dunning_cases').selectAll().where('account_id', '=', accountId).where('id', '=', caseId).forUpdate().executeTakeFirst();
    if (!c || c.status !== 'active' || !c.next_attempt_at) return [];
    if (c.next_attempt_at > (await clockTimes(u.tx, deps.clock.now(), [c]))(c)) return [];
    return await stepCases(deps, u, [c]);
  });
  await sendAndRecord(deps, pending);
}
