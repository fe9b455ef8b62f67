import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, type Kysely } from 'kysely';
import { typeid } from 'typeid-js';
import type { DB } from '../../postgres/schema.ts';
import { GatewayUnreachableError, type CardDetails, type ChargeLookup, type ChargeOutcome, type ChargeRequest, type PaymentGateway, type RefundLookup, type RefundOutcome, type RefundRequest } from '../../../app/ports.ts';
import { normalizeDecline } from '../../../domain/declines.ts';
import { sandboxRefund, sandboxRefundOf } from './refunds.ts';
import { sandboxTokenOf } from './test-cards.ts';
import { TEST_TOKENS, type TokenBehaviour } from './tokens.ts';

type ChargeRow = { id: string; status: string; decline_code: string | null; token: string };

// The sandbox's books stand in for a remote processor's, not for Rebill's data, so its commit
// does not wait for its WAL to reach the disk (synchronous_commit off, for this one statement's
// transaction). That costs no safety: Rebill's next commit (the settlement) flushes the WAL up
// to and past this record, so it is durable before any answer leaves Rebill. If the database
// crashes in between, the charge is gone from the sandbox as if the request had never arrived;
// the attempt is still open, and recovery charges it again under the same key, once.
const INSERT_CHARGE = `WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true))
  INSERT INTO sandbox.charges (idempotency_key, id, token, amount, currency, status, decline_code, reference)
  SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text, $7::text, $8::text FROM no_flush_wait
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, status, decline_code, token`;

/**
 * An in-process payment processor behind the same interface as real gateways. It keeps its own
 * books (schema `sandbox`, written outside Rebill's transactions, as a remote processor would):
 * a charge is recorded once per idempotency key, and a repeated call with that key answers with
 * the first outcome instead of charging again. `tok_timeout` records the charge and then never
 * answers, like a processor whose response is lost on the wire.
 */
export class SandboxGateway implements PaymentGateway {
  readonly name: string;

  /**
   * `latencyMs`: simulated network time of a charge, half on the way in (before the processor
   * records it) and half on the way back (after), as a remote processor would take. Crash tests
   * use it to widen both windows a crash can fall into.
   */
  constructor(private readonly db: Kysely<DB>, private readonly opts: { noAnswerDelayMs?: number; latencyMs?: number; name?: string } = {}) {
    // A configured sandbox gateway (gw_…) answers to its own id; the built-in one is `sandbox`.
    this.name = opts.name ?? 'sandbox';
  }

  async inspectToken(token: string): Promise<CardDetails | null> {
    return TEST_TOKENS[token]?.card ?? null;
  }

  async tokenizeTestCard(cardNumber: string): Promise<string | null> {
    return sandboxTokenOf(cardNumber);
  }

  async charge(req: ChargeRequest): Promise<ChargeOutcome> {
    const t = TEST_TOKENS[req.token];
    if (!t) return declined(null, 'invalid_token', 'No such token.');
    if (req.amount <= 0n) return declined(null, 'invalid_amount', 'Amount must be positive.');
    const b = behaviourOf(t.behaviour, req.attemptNumber);
    const wire = (this.opts.latencyMs ?? 0) / 2;
    if (wire) await sleep(wire);
    // A processor's hot path: fixed SQL text, no query building per charge.
    const inserted = (await this.db.executeQuery<ChargeRow>(CompiledQuery.raw(INSERT_CHARGE, [
      req.idempotencyKey, typeid('ch').toString(), req.token, req.amount.toString(), req.currency,
      initialStatus(b), b.kind === 'decline' ? b.code : null, req.reference,
    ]))).rows[0];
    const row = inserted ?? await this.find(req.idempotencyKey);
    if (!row) throw new Error('sandbox charge vanished');
    if (inserted && b.kind === 'no_answer') {
      if (this.opts.noAnswerDelayMs) await sleep(this.opts.noAnswerDelayMs);
      throw new GatewayUnreachableError('sandbox: no answer (tok_timeout)');
    }
    if (wire) await sleep(wire);
    return outcome(row);
  }

  // The sandbox's keys never expire, so the key alone finds every charge. A debit still
  // `processing` clears when it is asked about, as a bank's would some time after the charge.
  async retrieve(lookup: ChargeLookup): Promise<ChargeOutcome | null> {
    const row = (await this.db.updateTable('sandbox.charges').set({ status: 'succeeded' })
      .where('idempotency_key', '=', lookup.idempotencyKey).where('status', '=', 'processing')
      .returning(['id', 'status', 'decline_code', 'token']).executeTakeFirst()) ?? await this.find(lookup.idempotencyKey);
    return row ? outcome(row) : null;
  }

  /** The customer completes (or fails) 3-D Secure for a charge waiting in `requires_action`; false if none was waiting. */
  async authenticate(chargeId: string, ok: boolean): Promise<boolean> {
    const done = await this.db.updateTable('sandbox.charges')
      .set({ status: ok ? 'succeeded' : 'failed', decline_code: ok ? null : 'authentication_required' })
      .where('id', '=', chargeId).where('status', '=', 'requires_action').executeTakeFirst();
    return done.numUpdatedRows === 1n;
  }

  /** A charge waiting for authentication is given up as the customer's failure; any other stands as it is. */
  async cancel(charge: { chargeId: string }): Promise<ChargeOutcome> {
    await this.authenticate(charge.chargeId, false);
    const row = await this.db.selectFrom('sandbox.charges').select(['id', 'status', 'decline_code', 'token']).where('id', '=', charge.chargeId).executeTakeFirstOrThrow();
    return outcome(row);
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    return await sandboxRefund(this.db, req);
  }

  async retrieveRefund(lookup: RefundLookup): Promise<RefundOutcome | null> {
    return await sandboxRefundOf(this.db, lookup.idempotencyKey);
  }

  private async find(key: string): Promise<ChargeRow | undefined> {
    return await this.db.selectFrom('sandbox.charges').select(['id', 'status', 'decline_code', 'token']).where('idempotency_key', '=', key).executeTakeFirst();
  }
}

/** What a token does on an invoice's n-th attempt (the processor sees the attempt number, as issue 16 wants). */
function behaviourOf(b: TokenBehaviour, attemptNumber: number): TokenBehaviour {
  if (b.kind !== 'decline_then_succeed') return b;
  return attemptNumber <= b.declines ? { kind: 'decline', code: b.code, message: b.message } : { kind: 'succeed' };
}

const initialStatus = (b: TokenBehaviour) =>
  b.kind === 'decline' ? 'failed' : b.kind === 'processing' || b.kind === 'requires_action' ? b.kind : 'succeeded';

/** Where a sandbox customer would authenticate; nothing listens there, it only has to be a URL to pass on. */
const actionUrlOf = (chargeId: string) => `https://sandbox.rebill.invalid/authenticate/${chargeId}`;

function outcome(row: ChargeRow): ChargeOutcome {
  if (row.status === 'succeeded') return { status: 'succeeded', chargeId: row.id };
  if (row.status === 'processing') return { status: 'processing', chargeId: row.id };
  if (row.status === 'requires_action') return { status: 'requires_action', chargeId: row.id, actionUrl: actionUrlOf(row.id) };
  if (row.decline_code === 'authentication_required') return declined(row.id, 'authentication_required', 'The customer did not complete authentication.');
  const b = TEST_TOKENS[row.token]?.behaviour;
  const d = b && (b.kind === 'decline' || b.kind === 'decline_then_succeed') ? b : { code: row.decline_code ?? 'generic_decline', message: 'Your card was declined.' };
  return declined(row.id, d.code, d.message);
}

function declined(chargeId: string | null, code: string, message: string): ChargeOutcome {
  return { status: 'failed', chargeId, decline: normalizeDecline('sandbox', { code, network: 'visa' }), gatewayCode: code, message };
}
