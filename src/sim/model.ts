// The synthetic book of failing renewals that `rebill simulate dunning` runs every strategy
// against (issue 17, point 2). Pure: a book is a function of its size, seed and start, and so is
// every answer the simulated processor gives. docs/simulation.md describes the model in words.
import { DateTime } from 'luxon';
import { draw, drawInt, pick } from './random.ts';

/** Why a customer's renewal fails, and so what can bring the money back. */
export type Profile = 'insufficient_funds' | 'soft_decline' | 'hard_decline' | 'expired_card';
export const PROFILES: readonly Profile[] = ['insufficient_funds', 'soft_decline', 'hard_decline', 'expired_card'];

export type Renewal = {
  index: number;
  profile: Profile;
  /** What the card on file answers while it cannot pay. */
  declineCode: string;
  timeZone: string;
  currency: string;
  /** The plan's price in minor units: what the renewal invoice asks. */
  amount: bigint;
  /** When the renewal is charged (the trial's end), and first fails. */
  renewalAt: Date;
  card: { expMonth: number; expYear: number };
  /** Insufficient funds: how many days the money lasts once a pay day brought some. */
  fundsDays: number;
  /** Days after the first payment-failed email at which the customer adds a new card; null: never. */
  updatesCardAfterDays: number | null;
};

/** The model's parameters; the defaults are the documented ones. */
export type Model = {
  shares: Readonly<Record<Profile, number>>;
  /** Chance that a given pay day brings money to an insufficient-funds customer. */
  paidOnPayDay: number;
  /** Chance that one retry of a generic soft decline goes through. */
  softRecoveryPerAttempt: number;
  /** Chance, by profile, that the customer adds a new card after the payment-failed email. */
  updateProbability: Readonly<Record<Profile, number>>;
  /** The new card comes this many days after the email: a whole number in [min, max]. */
  updateDelayDays: readonly [number, number];
  /** Renewals fall this many days from the book's start. */
  spreadDays: number;
};

export const DEFAULT_MODEL: Model = {
  shares: { insufficient_funds: 0.4, soft_decline: 0.3, hard_decline: 0.15, expired_card: 0.15 },
  paidOnPayDay: 0.8,
  softRecoveryPerAttempt: 0.3,
  updateProbability: { insufficient_funds: 0.15, soft_decline: 0.15, hard_decline: 0.5, expired_card: 0.6 },
  updateDelayDays: [1, 5],
  spreadDays: 28,
};

const ZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Paris', 'Asia/Kolkata', 'Australia/Sydney'] as const;
/** Plans by currency, in minor units (JPY has none): a couple of currencies so the figures are per currency. */
const PLANS: readonly (readonly [readonly [string, bigint], number])[] = [
  [['usd', 900n], 0.2], [['usd', 1900n], 0.25], [['usd', 4900n], 0.15],
  [['eur', 900n], 0.15], [['eur', 1900n], 0.15],
  [['jpy', 1200n], 0.05], [['jpy', 2900n], 0.05],
];
const DECLINES: Readonly<Record<Profile, readonly (readonly [string, number])[]>> = {
  insufficient_funds: [['insufficient_funds', 1]],
  soft_decline: [['do_not_honor', 0.6], ['try_again_later', 0.4]],
  hard_decline: [['stolen_card', 0.5], ['lost_card', 0.5]],
  expired_card: [['expired_card', 1]],
};

/** The book: `count` renewals of one seed, falling over `model.spreadDays` days from `start`. */
export function generateBook(count: number, seed: number, start: Date, model: Model = DEFAULT_MODEL): Renewal[] {
  const book: Renewal[] = [];
  for (let i = 0; i < count; i++) {
    const profile = pick(PROFILES.map((p) => [p, model.shares[p]] as const), seed, i, 'profile');
    const [currency, amount] = pick(PLANS, seed, i, 'plan');
    const renewalAt = new Date(start.getTime() + drawInt(0, model.spreadDays * 24 - 1, seed, i, 'hour') * 3_600_000);
    // An expired card ran out the month before the renewal; any other has years left.
    const startDate = DateTime.fromJSDate(start, { zone: 'UTC' });
    const exp = profile === 'expired_card' ? startDate.minus({ months: 1 }) : startDate.plus({ years: drawInt(1, 4, seed, i, 'exp') });
    const updates = draw(seed, i, 'updates') < model.updateProbability[profile];
    book.push({
      index: i, profile, declineCode: pick(DECLINES[profile], seed, i, 'decline'), timeZone: pick(ZONES.map((z) => [z, 1] as const), seed, i, 'zone'),
      currency, amount, renewalAt, card: { expMonth: exp.month, expYear: exp.year }, fundsDays: drawInt(2, 6, seed, i, 'funds'),
      updatesCardAfterDays: updates ? drawInt(model.updateDelayDays[0], model.updateDelayDays[1], seed, i, 'update_delay') : null,
    });
  }
  return book;
}

/** The pay day (1st or 15th) on or before `at`'s date in `zone`, as a local date. */
export function payDayOnOrBefore(at: Date, zone: string): DateTime {
  const d = DateTime.fromJSDate(at, { zone }).startOf('day');
  return d.set({ day: d.day >= 15 ? 15 : 1 });
}

export type Answer = { ok: true } | { ok: false; code: string };

/**
 * What the customer's bank answers to a charge of the renewal: `card` 0 is the card on file, 1
 * the new one they add after an email (it always pays); `attemptNumber` counts the invoice's
 * attempts from 1; `at` is the business time of the charge.
 * - insufficient funds: money comes on a pay day after the failure (with chance `paidOnPayDay`,
 *   drawn per pay day) and lasts `fundsDays` days from that date in the customer's zone;
 * - generic soft declines: each retry goes through with chance `softRecoveryPerAttempt`;
 * - stolen, lost or expired cards never pay again.
 */
export function chargeAnswer(r: Renewal, seed: number, card: number, attemptNumber: number, at: Date, model: Model = DEFAULT_MODEL): Answer {
  if (card > 0) return { ok: true };
  const no = { ok: false as const, code: r.declineCode };
  if (attemptNumber <= 1) return no;
  if (r.profile === 'insufficient_funds') {
    const payDay = payDayOnOrBefore(at, r.timeZone);
    const failedOn = DateTime.fromJSDate(r.renewalAt, { zone: r.timeZone }).startOf('day');
    const inWindow = payDay > failedOn && DateTime.fromJSDate(at, { zone: r.timeZone }) < payDay.plus({ days: r.fundsDays });
    return inWindow && draw(seed, r.index, 'paid', payDay.toISODate()!) < model.paidOnPayDay ? { ok: true } : no;
  }
  if (r.profile === 'soft_decline') return draw(seed, r.index, 'soft', attemptNumber) < model.softRecoveryPerAttempt ? { ok: true } : no;
  return no;
}
