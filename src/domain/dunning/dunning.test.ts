import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { reattemptAllowed, type DeclineRecord } from '../declines-network.ts';
import { DEFAULT_POLICY, policyProblem, type DunningPolicy } from './policy.ts';
import { planNextRetry } from './next-retry.ts';
import { isTimeZone, retryInstant } from './schedule.ts';
import { fixedSchedule, type CaseDecline, type CaseFacts } from './strategy.ts';

const DAY = 86_400_000;
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Kathmandu'];

const soft = (at: Date, network: string | null = 'visa'): CaseDecline =>
  ({ at, declineCode: 'insufficient_funds', category: 'soft', doNotRetry: false, network, networkCode: null, adviceCode: null });
const record = (d: CaseDecline): DeclineRecord => ({ at: d.at, category: d.category, doNotRetry: d.doNotRetry, network: d.network, networkCode: d.networkCode, adviceCode: d.adviceCode });

function facts(first: Date, over: Partial<CaseFacts> = {}): CaseFacts {
  return { firstFailureAt: first, declines: [soft(first)], retriesSoFar: 0, timeZone: null, card: null, history: { paidFirstTry: 0, recovered: 0, lost: 0 }, now: first, ...over };
}

describe('dunning schedule in the customer\'s calendar', () => {
  it('retries on the schedule\'s days at the preferred hour of the customer\'s zone, across a DST change', () => {
    // 2027-03-26 14:30 in Paris (CET, UTC+1); clocks go to CEST (UTC+2) on 2027-03-28.
    const first = new Date('2027-03-26T13:30:00Z');
    const policy = { ...DEFAULT_POLICY, retryScheduleDays: [1, 3, 5, 7], preferredHour: 10 };
    const at = policy.retryScheduleDays.map((_, n) => fixedSchedule.nextAttemptAt(facts(first, { retriesSoFar: n, timeZone: 'Europe/Paris' }), policy)!.toISOString());
    expect(at).toEqual(['2027-03-27T09:00:00.000Z', '2027-03-29T08:00:00.000Z', '2027-03-31T08:00:00.000Z', '2027-04-02T08:00:00.000Z']);
  });

  it('keeps the failure\'s time of day without a preferred hour, and reads an unknown zone as UTC', () => {
    const first = new Date('2027-01-10T17:45:12Z');
    expect(retryInstant(first, 3, null, 'Europe/Paris').toISOString()).toBe('2027-01-13T17:45:12.000Z');
    expect(retryInstant(first, 1, 9, 'Not/AZone').toISOString()).toBe('2027-01-11T09:00:00.000Z');
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('CET+1')).toBe(false);
  });

  it('property: each retry is on its calendar day, at the preferred local hour, later than the one before', () => {
    fc.assert(fc.property(
      fc.date({ min: new Date('2026-01-01Z'), max: new Date('2030-12-31Z'), noInvalidDate: true }),
      fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 15 }).map((a) => a.sort((x, y) => x - y)),
      fc.integer({ min: 4, max: 23 }), fc.constantFrom(...ZONES),
      (first, days, hour, zone) => {
        const policy = { ...DEFAULT_POLICY, retryScheduleDays: days, preferredHour: hour, maxRetries: days.length };
        let previous = first.getTime();
        days.forEach((day, n) => {
          const at = fixedSchedule.nextAttemptAt(facts(first, { retriesSoFar: n, timeZone: zone }), policy)!;
          const local = DateTime.fromJSDate(at, { zone });
          expect(local.hour).toBe(hour);
          expect(local.startOf('day').diff(DateTime.fromJSDate(first, { zone }).startOf('day'), 'days').days).toBe(day);
          expect(at.getTime()).toBeGreaterThan(previous);
          previous = at.getTime();
        });
      }));
  });
});

describe('the next step of a case', () => {
  const first = new Date('2027-05-03T08:00:00Z');

  it('follows the schedule for a soft decline, and stops at the maximum of retries or the schedule\'s end', () => {
    const policy: DunningPolicy = { ...DEFAULT_POLICY, preferredHour: null, retryScheduleDays: [1, 3, 5, 7], maxRetries: 3 };
    expect(planNextRetry(policy, fixedSchedule, facts(first), [])).toEqual({ kind: 'retry', at: new Date(first.getTime() + DAY), delayedBy: null });
    expect(planNextRetry(policy, fixedSchedule, facts(first, { retriesSoFar: 3 }), [])).toEqual({ kind: 'exhausted', reason: 'max_retries' });
    expect(planNextRetry({ ...policy, maxRetries: 9 }, fixedSchedule, facts(first, { retriesSoFar: 4 }), [])).toEqual({ kind: 'exhausted', reason: 'schedule_done' });
  });

  it('asks for a new card after a hard or fraud decline, or a soft one the network said never to retry; alerts the merchant for config', () => {
    const hard: CaseDecline = { ...soft(first), declineCode: 'stolen_card', category: 'hard', doNotRetry: true };
    expect(planNextRetry(DEFAULT_POLICY, fixedSchedule, facts(first, { declines: [hard] }), [record(hard)])).toEqual({ kind: 'request_new_card', reason: 'hard_decline' });
    const never: CaseDecline = { ...soft(first), doNotRetry: true };
    expect(planNextRetry(DEFAULT_POLICY, fixedSchedule, facts(first, { declines: [never] }), [record(never)])).toEqual({ kind: 'request_new_card', reason: 'do_not_retry' });
    const config: CaseDecline = { ...soft(first), declineCode: 'currency_not_supported', category: 'config' };
    expect(planNextRetry(DEFAULT_POLICY, fixedSchedule, facts(first, { declines: [config] }), [record(config)])).toEqual({ kind: 'alert_merchant', reason: 'config_decline' });
  });

  it('moves a retry past a Visa card\'s 15 attempts in 30 days, whatever the policy asks', () => {
    // 15 declines on this card in the last 30 days, one every other day, the last one just now.
    const card = Array.from({ length: 15 }, (_, i) => record(soft(new Date(first.getTime() - (14 - i) * 2 * DAY))));
    const policy = { ...DEFAULT_POLICY, preferredHour: null, retryScheduleDays: [1] };
    const plan = planNextRetry(policy, fixedSchedule, facts(first), card);
    // The oldest decline leaves the 30-day window 30 days after it was made.
    expect(plan).toEqual({ kind: 'retry', at: new Date(first.getTime() - 28 * DAY + 30 * DAY), delayedBy: 'visa_reattempt_limit' });
  });

  it('property: a planned retry is never before now, never past the maximum, always allowed by the card networks', () => {
    const decline = fc.record({
      ago: fc.integer({ min: 0, max: 40 * DAY }),
      network: fc.constantFrom('visa', 'mastercard', 'amex', null),
      adviceCode: fc.constantFrom(null, '01', '02', '03', '21', '24', '25', '30'),
      networkCode: fc.constantFrom(null, '51', '05', '14', '04', '91'),
    });
    fc.assert(fc.property(
      fc.array(decline, { minLength: 0, maxLength: 60 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 15 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 15 }).map((a) => a.sort((x, y) => x - y)),
      fc.option(fc.integer({ min: 0, max: 23 })), fc.constantFrom(...ZONES), fc.integer({ min: 0, max: 70 * DAY }),
      (earlier, retriesSoFar, maxRetries, days, hour, zone, elapsed) => {
        const now = new Date(first.getTime() + elapsed);
        const card = earlier.map((d) => ({ at: new Date(now.getTime() - d.ago), category: 'soft' as const, doNotRetry: false, network: d.network, networkCode: d.networkCode, adviceCode: d.adviceCode }));
        const policy: DunningPolicy = { ...DEFAULT_POLICY, retryScheduleDays: days, preferredHour: hour, maxRetries };
        const plan = planNextRetry(policy, fixedSchedule, facts(first, { retriesSoFar, timeZone: zone, now }), card);
        if (retriesSoFar >= maxRetries) expect(plan.kind).not.toBe('retry');
        if (plan.kind !== 'retry') return;
        expect(plan.at.getTime()).toBeGreaterThanOrEqual(now.getTime());
        expect(reattemptAllowed(card, plan.at).allowed).toBe(true);
      }), { numRuns: 300 });
  });
});

describe('policy checks', () => {
  it('accepts the default and names the field of the first problem', () => {
    expect(policyProblem(DEFAULT_POLICY)).toBeNull();
    const cases: Array<[Partial<DunningPolicy>, string]> = [
      [{ retryScheduleDays: [] }, 'retry_schedule_days'],
      [{ retryScheduleDays: [3, 1] }, 'retry_schedule_days'],
      [{ retryScheduleDays: [1.5] }, 'retry_schedule_days'],
      [{ retryScheduleDays: [0] }, 'retry_schedule_days'],
      [{ retryScheduleDays: [61] }, 'retry_schedule_days'],
      [{ preferredHour: 24 }, 'preferred_hour'],
      [{ maxRetries: -1 }, 'max_retries'],
      [{ maxRetries: 16 }, 'max_retries'],
      [{ categoryActions: { ...DEFAULT_POLICY.categoryActions, hard: 'follow_schedule' } }, 'category_actions[hard]'],
      [{ categoryActions: { ...DEFAULT_POLICY.categoryActions, fraud: 'follow_schedule' } }, 'category_actions[fraud]'],
      [{ gracePeriodDays: 91 }, 'grace_period_days'],
      [{ endAction: 'delete' as never }, 'end_action'],
    ];
    for (const [change, param] of cases) expect(policyProblem({ ...DEFAULT_POLICY, ...change })?.param, JSON.stringify(change)).toBe(param);
  });
});
