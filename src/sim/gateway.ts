// The simulated processor: the gateway port, in-process, answering each charge as the model says
// for that customer, that card and the charge's business time (the test clock's now). It keeps
// its charges by idempotency key like a real processor, so the engine's replays and recovery
// lookups get the first answer back, never a second charge.
import type { CardDetails, ChargeLookup, ChargeOutcome, ChargeRequest, PaymentGateway, RefundLookup, RefundOutcome } from '../app/ports.ts';
import { normalizeDecline } from '../domain/declines.ts';
import { chargeAnswer, type Model, type Renewal } from './model.ts';

/** `simtok_<renewal>_<card>`: card 0 is the one on file at the renewal, 1 the replacement. */
export const simToken = (r: Renewal, card: number) => `simtok_${r.index}_${card}`;
const tokenRe = /^simtok_(\d+)_(\d+)$/;

export class SimulationGateway implements PaymentGateway {
  readonly name = 'sandbox';
  private readonly charges = new Map<string, ChargeOutcome>();
  private serial = 0;

  constructor(private readonly book: readonly Renewal[], private readonly seed: number, private readonly model: Model) {}

  private renewalOf(token: string): { r: Renewal; card: number } | null {
    const m = tokenRe.exec(token);
    const r = m ? this.book[Number(m[1])] : undefined;
    return r && m ? { r, card: Number(m[2]) } : null;
  }

  async inspectToken(token: string): Promise<CardDetails | null> {
    const t = this.renewalOf(token);
    if (!t) return null;
    // The replacement card is a fresh one, valid for years.
    const exp = t.card === 0 ? t.r.card : { expMonth: t.r.card.expMonth, expYear: t.r.renewalAt.getUTCFullYear() + 3 };
    return { brand: 'visa', last4: String(4000 + t.r.index * 10 + t.card).slice(-4), exp_month: exp.expMonth, exp_year: exp.expYear, country: 'US' };
  }

  async charge(req: ChargeRequest): Promise<ChargeOutcome> {
    const seen = this.charges.get(req.idempotencyKey);
    if (seen) return seen;
    const chargeId = `simch_${++this.serial}`;
    const t = this.renewalOf(req.token);
    let outcome: ChargeOutcome;
    if (!t) outcome = declined(chargeId, 'invalid_payment_method', 'No such card.');
    else {
      const a = chargeAnswer(t.r, this.seed, t.card, req.attemptNumber, req.attemptedAt, this.model);
      outcome = a.ok ? { status: 'succeeded', chargeId } : declined(chargeId, a.code, 'Declined by the simulated bank.');
    }
    this.charges.set(req.idempotencyKey, outcome);
    return outcome;
  }

  async retrieve(lookup: ChargeLookup): Promise<ChargeOutcome | null> {
    return this.charges.get(lookup.idempotencyKey) ?? null;
  }

  async refund(): Promise<RefundOutcome> {
    return { status: 'failed', refundId: null, code: 'not_supported', message: 'The simulation makes no refunds.' };
  }

  async retrieveRefund(_lookup: RefundLookup): Promise<RefundOutcome | null> {
    return null;
  }
}

/** The simulated bank speaks Rebill's own decline vocabulary (as a custom gateway may), on Visa cards. */
function declined(chargeId: string, code: string, message: string): ChargeOutcome {
  return { status: 'failed', chargeId, decline: normalizeDecline('custom_http', { code, network: 'visa' }), gatewayCode: code, message };
}
