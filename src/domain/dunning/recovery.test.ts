import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECLINE_CATEGORIES } from '../declines.ts';
import { CHANNELS_BEFORE, channelBefore, recoveryRate, recoveryReport, type CaseFact, type RecoveredBy } from './recovery.ts';

const recoveredBy: fc.Arbitrary<RecoveredBy> = fc.oneof(
  fc.integer({ min: 1, max: 15 }).map((retry) => ({ retry })),
  fc.constantFrom<RecoveredBy>('new_payment_method', 'manual_payment', 'paid_out_of_band'),
);
const fact: fc.Arbitrary<CaseFact> = fc.record({
  currency: fc.constantFrom('usd', 'eur', 'jpy', 'kwd'),
  amountDue: fc.bigInt({ min: 1n, max: 10n ** 15n }),
  status: fc.constantFrom('active', 'recovered', 'exhausted', 'canceled'),
  firstCategory: fc.constantFrom(...DECLINE_CATEGORIES),
  recoveredBy, channelBefore: fc.constantFrom(...CHANNELS_BEFORE),
}).map((f) => (f.status === 'recovered' ? f : { ...f, recoveredBy: null, channelBefore: null }));

const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe('recovery report', () => {
  it('never adds currencies: each currency\'s failed amount is the sum of its own cases', () => {
    fc.assert(fc.property(fc.array(fact, { maxLength: 60 }), (facts) => {
      const report = recoveryReport(facts);
      expect(report.map((r) => r.currency)).toEqual([...new Set(facts.map((f) => f.currency))].sort());
      for (const r of report) {
        const mine = facts.filter((f) => f.currency === r.currency);
        expect(r.totals.cases).toBe(mine.length);
        expect(r.totals.failed).toBe(sum(mine.map((f) => f.amountDue)));
      }
    }));
  });

  it('the parts add up: recovered + lost + in recovery + canceled = failed, overall and per decline category', () => {
    fc.assert(fc.property(fc.array(fact, { maxLength: 60 }), (facts) => {
      for (const r of recoveryReport(facts)) {
        for (const f of [r.totals, ...r.byCategory]) expect(f.recovered + f.lost + f.inRecovery + f.canceled).toBe(f.failed);
        expect(sum(r.byCategory.map((c) => c.failed))).toBe(r.totals.failed);
        expect(r.byCategory.reduce((n, c) => n + c.cases, 0)).toBe(r.totals.cases);
        // Every recovered case is in exactly one attempt bucket and one channel bucket.
        for (const buckets of [r.byAttempt, r.byChannel]) {
          expect(sum(buckets.map((b) => b.amount))).toBe(r.totals.recovered);
          expect(buckets.reduce((n, b) => n + b.cases, 0)).toBe(facts.filter((f) => f.currency === r.currency && f.status === 'recovered').length);
        }
      }
    }));
  });

  it('the rate is recovered / failed to 4 places, within half a basis point of the exact ratio', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 18n }), fc.bigInt({ min: 0n, max: 10n ** 18n }), (failed, r) => {
      const recovered = r % (failed + 1n);
      const rate = recoveryRate(recovered, failed)!;
      expect(rate).toMatch(/^[01]\.\d{4}$/);
      const bp = BigInt(rate.replace('.', ''));
      // |bp/10000 − recovered/failed| ≤ 1/20000, in integers: |2·bp·failed − 20000·recovered| ≤ failed.
      const diff = 2n * bp * failed - 20_000n * recovered;
      expect(diff <= failed && -diff <= failed).toBe(true);
      // Half up: a tie rounds away from zero (the upper neighbour).
      if (-diff === failed) throw new Error(`rate ${rate} rounded a tie down`);
    }));
    expect(recoveryRate(1n, 3n)).toBe('0.3333');
    expect(recoveryRate(2n, 3n)).toBe('0.6667');
    expect(recoveryRate(1n, 20_000n)).toBe('0.0001');
    expect(recoveryRate(5n, 5n)).toBe('1.0000');
    expect(recoveryRate(0n, 0n)).toBeNull();
  });

  it('orders attempts by retry number, then the other ways, and names the channel before recovery', () => {
    const base = { currency: 'usd', amountDue: 100n, status: 'recovered' as const, firstCategory: 'soft' as const, channelBefore: 'email' as const };
    const r = recoveryReport([
      { ...base, recoveredBy: 'new_payment_method' }, { ...base, recoveredBy: { retry: 10 } }, { ...base, recoveredBy: { retry: 2 } },
      { ...base, recoveredBy: { retry: 2 }, channelBefore: 'none' }, { ...base, recoveredBy: 'manual_payment', channelBefore: 'sms' },
    ])[0]!;
    expect(r.byAttempt.map((b) => [b.key, b.cases])).toEqual([['retry_2', 2], ['retry_10', 1], ['new_payment_method', 1], ['manual_payment', 1]]);
    expect(r.byChannel.map((b) => [b.key, b.amount])).toEqual([['email', 300n], ['sms', 100n], ['none', 100n]]);
    expect([channelBefore(['email']), channelBefore(['sms', 'email']), channelBefore([])]).toEqual(['email', 'email_and_sms', 'none']);
  });
});
