import { describe, expect, it } from 'vitest';
import { isRealInstant } from './timestamp.ts';

describe('timestamps name real instants', () => {
  it('accepts RFC 3339 timestamps that Date reads', () => {
    for (const t of ['2027-06-30T23:59:59Z', '2028-02-29T00:00:00Z', '2000-02-29T12:00:00.5Z', '2027-01-01T00:00:00.123456789Z',
      '2027-01-01T05:30:00+05:30', '2027-01-01T00:00:00-23:59', '2027-01-01t00:00:00z']) {
      expect(isRealInstant(t), t).toBe(true);
    }
  });

  it('refuses what is not one real instant (issue 12: a leap second became a null frozen_time)', () => {
    for (const t of ['2027-06-30T23:59:60Z', '2027-02-30T00:00:00Z', '2027-02-29T00:00:00Z', '1900-02-29T00:00:00Z',
      '2027-04-31T00:00:00Z', '2027-01-01T24:00:00Z', '2027-01-01T23:60:00Z', '2027-13-01T00:00:00Z', '2027-00-10T00:00:00Z',
      '2027-01-00T00:00:00Z', '2027-01-01T00:00:00', '2027-01-01T00:00:00+02', '2027-01-01T00:00:00+0200',
      '2027-01-01T00:00:00+24:00', '2027-01-01 00:00:00Z', '2027-01-01', ' 2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z\n',
      '+002027-01-01T00:00:00Z', '2027-1-1T0:0:0Z', '２０２７-01-01T00:00:00Z', 'yesterday', '']) {
      expect(isRealInstant(t), JSON.stringify(t)).toBe(false);
    }
  });
});
