// The choice of when to retry a failed renewal, behind one interface, so that strategies can be
// compared on the same book of failures (`rebill simulate dunning`) and a smarter one swapped in.
import type { DeclineCategory } from '../declines.ts';
import type { DunningPolicy } from './policy.ts';
import { retryInstant } from './schedule.ts';

/** One declined attempt of a dunning case, as its payment recorded it. */
export type CaseDecline = {
  at: Date;
  declineCode: string;
  category: DeclineCategory;
  doNotRetry: boolean;
  network: string | null;
  networkCode: string | null;
  adviceCode: string | null;
};

/** What a strategy may know about a case when it picks the next attempt's time. */
export type CaseFacts = {
  /** When the renewal first failed: the schedule counts from here. */
  firstFailureAt: Date;
  /** This case's declines, oldest first, the first failure included. */
  declines: readonly CaseDecline[];
  /** Retries already made (attempts after the first failure). */
  retriesSoFar: number;
  /** The customer's IANA time zone, when known. */
  timeZone: string | null;
  /** Expiry of the card on file, when known. */
  card: { expMonth: number; expYear: number } | null;
  /** How the customer's earlier invoices went: paid at the first try, recovered by retries, lost. */
  history: { paidFirstTry: number; recovered: number; lost: number };
  /** The case's business time now (its test clock's for clock customers). */
  now: Date;
};

export interface RetryStrategy {
  readonly name: string;
  /**
   * When to try the card again, or null when this strategy would not. Asked only for a soft
   * decline with retries left; card-network limits are applied afterwards, whatever it answers.
   */
  nextAttemptAt(facts: CaseFacts, policy: DunningPolicy): Date | null;
}

/** The policy's schedule as written: the n-th retry on its day after the first failure, at the preferred hour. */
export const fixedSchedule: RetryStrategy = {
  name: 'fixed_schedule',
  nextAttemptAt(facts, policy) {
    const day = policy.retryScheduleDays[facts.retriesSoFar];
    return day === undefined ? null : retryInstant(facts.firstFailureAt, day, policy.preferredHour, facts.timeZone);
  },
};
