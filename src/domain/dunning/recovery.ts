// Recovery analytics (issue 17, point 6): what failed, what came back and how, per currency.
// Plain arithmetic over one fact per dunning case; the app reads the facts, this adds them up.
import { DECLINE_CATEGORIES, type DeclineCategory } from '../declines.ts';
import { rate } from '../analytics/rates.ts';

export type CaseStatus = 'active' | 'recovered' | 'exhausted' | 'canceled';

/**
 * How a recovered case got its money: the dunning duty's n-th retry (on the card that failed),
 * a charge on a payment method other than the one that first failed (the customer's new card,
 * whoever charged it), a payment someone made by hand on the old card, or no charge at all (the
 * invoice was paid out of band).
 */
export type RecoveredBy = { retry: number } | 'new_payment_method' | 'manual_payment' | 'paid_out_of_band';

/** The channel of the last message sent about the invoice before it was recovered. */
export const CHANNELS_BEFORE = ['email', 'sms', 'email_and_sms', 'none'] as const;
export type ChannelBefore = (typeof CHANNELS_BEFORE)[number];

export type CaseFact = {
  currency: string;
  /** The invoice's amount due, in minor units. */
  amountDue: bigint;
  status: CaseStatus;
  /** The category of the decline that opened the case. */
  firstCategory: DeclineCategory;
  /** Set for recovered cases only. */
  recoveredBy: RecoveredBy | null;
  channelBefore: ChannelBefore | null;
};

export type Figures = {
  cases: number; failed: bigint; recovered: bigint; lost: bigint; inRecovery: bigint; canceled: bigint;
  /** recovered / failed, 4 decimals, half up ("0.6667"); null when nothing failed. */
  rate: string | null;
};
export type Bucket = { key: string; cases: number; amount: bigint };
export type CurrencyReport = {
  currency: string; totals: Figures;
  byCategory: (Figures & { category: DeclineCategory })[];
  /** Recovered cases only: retry_1, retry_2, …, then the other ways in RecoveredBy's order. */
  byAttempt: Bucket[];
  /** Recovered cases only, in CHANNELS_BEFORE order. */
  byChannel: Bucket[];
};

/**
 * recovered / failed as a decimal string of 4 places, rounded half up once. The exact ratio is
 * rarely a finite decimal (1/3); 4 places is a basis point of the failed amount.
 */
export function recoveryRate(recovered: bigint, failed: bigint): string | null {
  return rate(recovered, failed);
}

export const attemptKey = (by: RecoveredBy): string => (typeof by === 'object' ? `retry_${by.retry}` : by);

const OTHER_WAYS = ['new_payment_method', 'manual_payment', 'paid_out_of_band'];
const attemptOrder = (key: string) => (key.startsWith('retry_') ? Number(key.slice(6)) : 1e9 + OTHER_WAYS.indexOf(key));

function figuresOf(facts: readonly CaseFact[]): Figures {
  const sum = (status?: CaseStatus) => facts.reduce((t, f) => (status === undefined || f.status === status ? t + f.amountDue : t), 0n);
  const failed = sum();
  const recovered = sum('recovered');
  return {
    cases: facts.length, failed, recovered, lost: sum('exhausted'), inRecovery: sum('active'), canceled: sum('canceled'),
    rate: recoveryRate(recovered, failed),
  };
}

function bucketsOf(facts: readonly CaseFact[], keyOf: (f: CaseFact) => string, order: (key: string) => number): Bucket[] {
  const buckets = new Map<string, Bucket>();
  for (const f of facts) {
    const key = keyOf(f);
    const b = buckets.get(key) ?? { key, cases: 0, amount: 0n };
    buckets.set(key, { key, cases: b.cases + 1, amount: b.amount + f.amountDue });
  }
  return [...buckets.values()].sort((a, b) => order(a.key) - order(b.key));
}

/** The report, one entry per currency (alphabetical): amounts of different currencies are never added. */
export function recoveryReport(facts: readonly CaseFact[]): CurrencyReport[] {
  const currencies = [...new Set(facts.map((f) => f.currency))].sort();
  return currencies.map((currency) => {
    const mine = facts.filter((f) => f.currency === currency);
    const recovered = mine.filter((f) => f.status === 'recovered');
    return {
      currency, totals: figuresOf(mine),
      byCategory: DECLINE_CATEGORIES.filter((c) => mine.some((f) => f.firstCategory === c))
        .map((category) => ({ category, ...figuresOf(mine.filter((f) => f.firstCategory === category)) })),
      byAttempt: bucketsOf(recovered, (f) => attemptKey(f.recoveredBy ?? 'paid_out_of_band'), attemptOrder),
      byChannel: bucketsOf(recovered, (f) => f.channelBefore ?? 'none', (k) => CHANNELS_BEFORE.indexOf(k as ChannelBefore)),
    };
  });
}

/**
 * The channel that preceded a recovery, from the channels of the messages sent about the invoice
 * at the latest business time before it: both when one event went out by email and by SMS.
 */
export function channelBefore(lastSent: readonly ('email' | 'sms')[]): ChannelBefore {
  const has = (c: 'email' | 'sms') => lastSent.includes(c);
  return has('email') && has('sms') ? 'email_and_sms' : has('email') ? 'email' : has('sms') ? 'sms' : 'none';
}
