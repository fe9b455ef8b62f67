import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { chargeAnswer, DEFAULT_MODEL, generateBook, payDayOnOrBefore, PROFILES, type Renewal } from './model.ts';
import { draw } from './random.ts';

const START = new Date('2027-03-01T00:00:00Z');
const DAY = 86_400_000;

describe('the synthetic book', () => {
  it('is a function of its seed: the same seed gives the same book, another seed another one', () => {
    expect(generateBook(50, 7, START)).toEqual(generateBook(50, 7, START));
    expect(generateBook(50, 8, START)).not.toEqual(generateBook(50, 7, START));
    // A longer book begins with the shorter one: each renewal's draws are named by its index.
    expect(generateBook(80, 7, START).slice(0, 50)).toEqual(generateBook(50, 7, START));
  });

  it('keeps to the model: shares near the documented ones, renewals within the spread, amounts exact in minor units', () => {
    const book = generateBook(4000, 3, START);
    for (const p of PROFILES) expect(book.filter((r) => r.profile === p).length / book.length).toBeCloseTo(DEFAULT_MODEL.shares[p], 1);
    for (const r of book) {
      expect(r.renewalAt.getTime()).toBeGreaterThanOrEqual(START.getTime());
      expect(r.renewalAt.getTime()).toBeLessThan(START.getTime() + DEFAULT_MODEL.spreadDays * DAY);
      expect(typeof r.amount).toBe('bigint');
      expect(['usd', 'eur', 'jpy']).toContain(r.currency);
      if (r.updatesCardAfterDays !== null) expect(r.updatesCardAfterDays).toBeGreaterThanOrEqual(1);
      // An expired card expired before the book began; others are valid for years.
      const expiry = DateTime.fromObject({ year: r.card.expYear, month: r.card.expMonth }, { zone: 'UTC' }).endOf('month').toJSDate();
      expect(expiry < START).toBe(r.profile === 'expired_card');
    }
    expect(new Set(book.map((r) => r.declineCode))).toEqual(new Set(['insufficient_funds', 'do_not_honor', 'try_again_later', 'stolen_card', 'lost_card', 'expired_card']));
  });

  it('draws are numbers in [0, 1), the same for the same names', () => {
    fc.assert(fc.property(fc.integer(), fc.array(fc.oneof(fc.string(), fc.integer())), (seed, keys) => {
      const x = draw(seed, ...keys);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      expect(draw(seed, ...keys)).toBe(x);
    }));
  });
});

describe('what the simulated bank answers', () => {
  const book = generateBook(400, 11, START);
  const renewal = fc.constantFrom(...book);
  const later = (r: Renewal) => fc.integer({ min: 0, max: 40 * 24 }).map((h) => new Date(r.renewalAt.getTime() + h * 3_600_000));

  it('the first attempt always fails with the profile\'s code; a new card always pays', () => {
    fc.assert(fc.property(renewal.chain((r) => fc.tuple(fc.constant(r), later(r), fc.integer({ min: 2, max: 20 }))), ([r, at, n]) => {
      expect(chargeAnswer(r, 11, 0, 1, r.renewalAt)).toEqual({ ok: false, code: r.declineCode });
      expect(chargeAnswer(r, 11, 1, n, at)).toEqual({ ok: true });
    }));
  });

  it('a stolen, lost or expired card never pays again, whenever and however often it is tried', () => {
    const gone = fc.constantFrom(...book.filter((r) => r.profile === 'hard_decline' || r.profile === 'expired_card'));
    fc.assert(fc.property(gone.chain((r) => fc.tuple(fc.constant(r), later(r), fc.integer({ min: 1, max: 30 }))), ([r, at, n]) => {
      expect(chargeAnswer(r, 11, 0, n, at).ok).toBe(false);
    }));
  });

  it('insufficient funds pay only within the funds window of a pay day after the failure, and the same window gives the same answer', () => {
    const broke = fc.constantFrom(...book.filter((r) => r.profile === 'insufficient_funds'));
    fc.assert(fc.property(broke.chain((r) => fc.tuple(fc.constant(r), later(r), fc.integer({ min: 2, max: 9 }))), ([r, at, n]) => {
      const a = chargeAnswer(r, 11, 0, n, at);
      const payDay = payDayOnOrBefore(at, r.timeZone);
      const failedOn = DateTime.fromJSDate(r.renewalAt, { zone: r.timeZone }).startOf('day');
      if (a.ok) {
        expect(payDay > failedOn).toBe(true);
        expect(DateTime.fromJSDate(at, { zone: r.timeZone }) < payDay.plus({ days: r.fundsDays })).toBe(true);
      }
      // Which attempt it is does not matter, only when.
      expect(chargeAnswer(r, 11, 0, n + 1, at)).toEqual(a);
    }));
  });

  it('generic soft declines recover per attempt, whatever the time', () => {
    const soft = book.filter((r) => r.profile === 'soft_decline');
    const rate = soft.flatMap((r) => [2, 3, 4, 5].map((n) => chargeAnswer(r, 11, 0, n, r.renewalAt).ok)).filter(Boolean).length / (soft.length * 4);
    expect(rate).toBeCloseTo(DEFAULT_MODEL.softRecoveryPerAttempt, 1);
    for (const r of soft) expect(chargeAnswer(r, 11, 0, 3, new Date(r.renewalAt.getTime() + 9 * DAY))).toEqual(chargeAnswer(r, 11, 0, 3, r.renewalAt));
  });
});
