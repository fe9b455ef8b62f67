import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECLINE_CATEGORIES, DECLINE_CODE_LIST, DECLINE_CODES, normalizeDecline, type DeclineCategory } from './declines.ts';
import {
  MASTERCARD_ADVICE_CODES, MASTERCARD_MAX_DECLINES_24H, MASTERCARD_MAX_DECLINES_30D, reattemptAllowed, VISA_MAX_ATTEMPTS_30D,
  VISA_RESPONSE_CODES, visaCategoryOf, WINDOW_24H_MS, WINDOW_30D_MS, type DeclineRecord,
} from './declines-network.ts';

const t0 = new Date('2027-01-01T00:00:00Z').getTime();
const H = 3_600_000;
const D = 24 * H;
const at = (ms: number) => new Date(t0 + ms);
const soft = (ms: number, network: string | null = 'visa', networkCode: string | null = '51'): DeclineRecord => ({ at: at(ms), category: 'soft', network, networkCode });

describe('Visa response codes', () => {
  it('puts every listed code in a category and maps it to a decline code of the vocabulary', () => {
    for (const [code, v] of Object.entries(VISA_RESPONSE_CODES)) {
      expect([1, 2, 3, 4], code).toContain(v.category);
      expect(DECLINE_CODE_LIST, code).toContain(v.declineCode);
      const d = normalizeDecline('custom_http', { code: 'generic_decline', network: 'visa', networkCode: code });
      expect(DECLINE_CATEGORIES).toContain(d.category);
      expect(d.network?.visaCategory, code).toBe(v.category);
    }
  });

  it('knows every Visa response code of the published category lists', () => {
    const published = '03 04 07 12 14 15 19 39 41 43 46 51 52 53 54 55 57 59 61 62 65 75 78 82 86 91 93 96 1A 5C 6P 9G N3 N4 N7 R0 R1 R3'.split(' ');
    for (const code of published) expect(VISA_RESPONSE_CODES[code], code).toBeDefined();
  });

  it('knows the category 1 codes, and none of them may be retried', () => {
    for (const code of ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3']) {
      expect(visaCategoryOf(code), code).toBe(1);
      const d = normalizeDecline('stripe', { code: 'card_declined', network: 'visa', networkCode: code });
      expect([code, d.doNotRetry, d.category]).toEqual([code, true, 'hard']);
    }
  });

  it('knows categories 2 and 3, and calls every other code generic', () => {
    for (const code of ['03', '19', '51', '59', '61', '62', '65', '75', '78', '91', '93', '96', '5C', '9G', 'N3', 'N4']) expect(visaCategoryOf(code), code).toBe(2);
    for (const code of ['54', '55', '82', 'N7', '1A', '6P']) expect(visaCategoryOf(code), code).toBe(3);
    for (const code of ['05', '01', 'Z9', 'xx', '']) expect(visaCategoryOf(code), code).toBe(4);
    expect(visaCategoryOf(' r1 ')).toBe(1);
  });

  it('gives every normalized decline a default Visa category', () => {
    for (const code of DECLINE_CODE_LIST) expect([1, 2, 3, 4]).toContain(DECLINE_CODES[code].visa);
    // A decline whose default is "never approves" is hard already: the default cannot make a retryable decline final.
    for (const code of DECLINE_CODE_LIST) if (DECLINE_CODES[code].visa === 1) expect(DECLINE_CODES[code].category, code).toBe('hard');
  });
});

describe('Mastercard merchant advice codes', () => {
  it('reads 03 and 21 as never, 01 as update the card, 24 to 30 as waits', () => {
    expect(MASTERCARD_ADVICE_CODES['03']!.verdict).toBe('never');
    expect(MASTERCARD_ADVICE_CODES['21']!.verdict).toBe('never');
    expect(MASTERCARD_ADVICE_CODES['01']!.verdict).toBe('update');
    expect(['24', '25', '26', '27', '28', '29', '30'].map((c) => MASTERCARD_ADVICE_CODES[c]!.retryAfterMs! / H)).toEqual([1, 24, 48, 96, 144, 192, 240]);
    expect(normalizeDecline('stripe', { code: 'card_declined', declineCode: 'insufficient_funds', network: 'mastercard', adviceCode: '3' })).toMatchObject({ doNotRetry: true, category: 'hard' });
    expect(normalizeDecline('stripe', { code: 'card_declined', declineCode: 'insufficient_funds', network: 'mastercard', adviceCode: '04' }).category).toBe('config');
  });
});

describe('reattempt rules', () => {
  it('allows a first retry and forbids any after a hard, fraud or do-not-retry decline', () => {
    expect(reattemptAllowed([], at(0))).toEqual({ allowed: true, reason: null });
    expect(reattemptAllowed([soft(0)], at(D))).toEqual({ allowed: true, reason: null });
    expect(reattemptAllowed([soft(0), { at: at(H), category: 'hard', network: null }], at(60 * D))).toEqual({ allowed: false, reason: 'hard_decline' });
    expect(reattemptAllowed([{ at: at(0), category: 'fraud' }], at(400 * D)).reason).toBe('fraud_decline');
    expect(reattemptAllowed([{ at: at(0), category: 'soft', doNotRetry: true }], at(D)).reason).toBe('do_not_retry');
  });

  it('forbids any reattempt after a Visa category 1 code or Mastercard 03 or 21, even filed as soft', () => {
    expect(reattemptAllowed([soft(0, 'visa', '43')], at(90 * D))).toEqual({ allowed: false, reason: 'visa_category_1' });
    expect(reattemptAllowed([{ at: at(0), category: 'soft', network: 'Visa', networkCode: '05', adviceCode: '1' }], at(D)).reason).toBe('visa_category_1');
    expect(reattemptAllowed([{ at: at(0), category: 'soft', network: 'mastercard', adviceCode: '21' }], at(D)).reason).toBe('mastercard_do_not_try_again');
  });

  it('caps Visa at 15 attempts in any 30 days and says when the next one may go', () => {
    const fourteen = Array.from({ length: VISA_MAX_ATTEMPTS_30D - 1 }, (_, i) => soft(i * D));
    expect(reattemptAllowed(fourteen, at(14 * D)).allowed).toBe(true);
    const fifteen = [...fourteen, soft(14 * D)];
    expect(reattemptAllowed(fifteen, at(15 * D))).toEqual({ allowed: false, reason: 'visa_reattempt_limit', nextAllowedAt: at(WINDOW_30D_MS) });
    expect(reattemptAllowed(fifteen, at(WINDOW_30D_MS)).allowed).toBe(true);
  });

  it('caps Mastercard at 10 declines in 24 hours and 35 in 30 days, and honours its waits', () => {
    const ten = Array.from({ length: MASTERCARD_MAX_DECLINES_24H }, (_, i) => soft(i * H, 'mastercard', '51'));
    expect(reattemptAllowed(ten, at(10 * H))).toEqual({ allowed: false, reason: 'mastercard_daily_limit', nextAllowedAt: at(WINDOW_24H_MS) });
    const monthly = Array.from({ length: MASTERCARD_MAX_DECLINES_30D }, (_, i) => soft(i * 20 * H, 'mastercard', '51'));
    expect(reattemptAllowed(monthly, at(35 * 20 * H)).reason).toBe('mastercard_monthly_limit');
    const wait = { at: at(0), category: 'soft' as const, network: 'mastercard', networkCode: '51', adviceCode: '27' };
    expect(reattemptAllowed([wait], at(3 * D))).toEqual({ allowed: false, reason: 'mastercard_retry_after', nextAllowedAt: at(4 * D) });
    expect(reattemptAllowed([wait], at(4 * D)).allowed).toBe(true);
  });

  it('holds an unknown network to every cap at once', () => {
    const ten = Array.from({ length: 10 }, (_, i) => soft(i * H, null, null));
    expect(reattemptAllowed(ten, at(10 * H)).reason).toBe('mastercard_daily_limit');
    const fifteen = Array.from({ length: 15 }, (_, i) => soft(i * D, 'amex', '05'));
    expect(reattemptAllowed(fifteen, at(15 * D)).reason).toBe('visa_reattempt_limit');
  });
});

const network = fc.constantFrom('visa', 'mastercard', 'amex', null);
const retryableVisaCode = fc.constantFrom('51', '05', '91', '54', '61', 'Z9', null);
const gaps = fc.array(fc.integer({ min: 0, max: 3 * D }), { minLength: 1, maxLength: 120, size: 'max' });

/** Tries at each time the schedule proposes; every attempt the rules allow is declined again. */
function simulate(net: string | null, code: string | null, schedule: number[]): number[] {
  const history: DeclineRecord[] = [];
  let t = 0;
  for (const gap of schedule) {
    t += gap;
    if (reattemptAllowed(history, at(t)).allowed) history.push(soft(t, net, code));
  }
  return history.map((d) => d.at.getTime() - t0);
}

const maxInWindow = (times: number[], windowMs: number) => Math.max(0, ...times.map((end) => times.filter((x) => x > end - windowMs && x <= end).length));

describe('reattempt rules (properties)', () => {
  it('never lets more attempts through than a network allows in any window', () => {
    fc.assert(fc.property(network, retryableVisaCode, gaps, (net, code, schedule) => {
      const times = simulate(net, net === 'visa' ? code : null, schedule);
      if (net !== 'mastercard') expect(maxInWindow(times, WINDOW_30D_MS)).toBeLessThanOrEqual(VISA_MAX_ATTEMPTS_30D);
      if (net !== 'visa') {
        expect(maxInWindow(times, WINDOW_24H_MS)).toBeLessThanOrEqual(MASTERCARD_MAX_DECLINES_24H);
        expect(maxInWindow(times, WINDOW_30D_MS)).toBeLessThanOrEqual(MASTERCARD_MAX_DECLINES_30D);
      }
    }), { numRuns: 300 });
  });

  it('never allows anything after a Visa category 1 or a hard or fraud decline', () => {
    const final = fc.oneof(
      fc.record({ category: fc.constant<DeclineCategory>('soft'), network: fc.constant('visa'), networkCode: fc.constantFrom('04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3') }),
      fc.record({ category: fc.constantFrom<DeclineCategory>('hard', 'fraud'), network, networkCode: retryableVisaCode }),
    );
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60 * D }), { maxLength: 20 }), final, fc.integer({ min: 0, max: 60 * D }), fc.integer({ min: 0, max: 400 * D }), (earlier, last, lastAt, later) => {
      const history = [...earlier.map((ms) => soft(ms)), { ...last, at: at(lastAt) }];
      expect(reattemptAllowed(history, at(lastAt + later)).allowed).toBe(false);
    }), { numRuns: 500 });
  });

  it('allows the attempt at the time it names', () => {
    const record = fc.record({ ms: fc.integer({ min: 0, max: 40 * D }), net: network, advice: fc.constantFrom(null, '02', '24', '25', '30') });
    fc.assert(fc.property(fc.array(record, { maxLength: 60, size: 'max' }), fc.integer({ min: 0, max: 45 * D }), (recs, now) => {
      const history = recs.map((r) => ({ ...soft(r.ms, r.net, r.net === 'visa' ? '51' : null), adviceCode: r.advice }));
      const v = reattemptAllowed(history, at(now));
      if (!v.allowed) {
        expect(v.nextAllowedAt!.getTime()).toBeGreaterThan(t0 + now);
        expect(reattemptAllowed(history, v.nextAllowedAt!).allowed).toBe(true);
      }
    }), { numRuns: 500 });
  });

  it('never throws on odd records', () => {
    const odd = fc.record({
      at: fc.oneof(fc.date(), fc.constant(new Date(Number.NaN))), category: fc.constantFrom(...DECLINE_CATEGORIES),
      network: fc.option(fc.string(), { nil: null }), networkCode: fc.option(fc.string(), { nil: null }), adviceCode: fc.option(fc.string(), { nil: null }),
    });
    fc.assert(fc.property(fc.array(odd, { maxLength: 30 }), fc.date({ noInvalidDate: true }), (history, now) => {
      const v = reattemptAllowed(history, now);
      expect(typeof v.allowed).toBe('boolean');
    }), { numRuns: 500 });
  });
});
