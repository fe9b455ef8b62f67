import { describe, expect, it } from 'vitest';
import { checkAddress, checkTaxIds, isCountry } from './customer-tax.ts';
import { matchRegistered } from './line-tax.ts';

describe('customer tax details', () => {
  it('know the ISO 3166-1 countries and nothing else', () => {
    for (const c of ['DE', 'US', 'IN', 'JP', 'KW', 'XK']) expect(isCountry(c)).toBe(true);
    for (const c of ['XX', 'EU', 'UK', 'ZZ', 'de']) expect(isCountry(c)).toBe(false);
  });

  it('store an address whole, country upper-cased, blanks as null', () => {
    expect(checkAddress({ city: ' Pune ', country: 'in', line1: '' }, 'address'))
      .toEqual({ line1: null, line2: null, city: 'Pune', state: null, postal_code: null, country: 'IN' });
    expect(() => checkAddress({ country: 'xx' }, 'address')).toThrow(expect.objectContaining({ code: 'country_invalid', param: 'address[country]' }));
  });

  it('accept tax ids of their type\'s shape, spaces ignored', () => {
    const good = [['eu_vat', 'DE 123 456 789'], ['gb_vat', 'GB123456789'], ['in_gst', '27AAPFU0939F1ZV'], ['us_ein', '12-3456789'],
      ['au_abn', '51 824 753 556'], ['ca_gst_hst', '123456789RT0001'], ['ch_vat', 'CHE-123.456.789 MWST']] as const;
    expect(checkTaxIds(good.map(([type, value]) => ({ type, value })), 'tax_ids')).toHaveLength(good.length);
    for (const [type, value] of [['in_gst', '27AAPFU0939F1Z'], ['us_ein', '123'], ['au_abn', '5182475355'], ['eu_vat', '123456789']] as const) {
      expect(() => checkTaxIds([{ type, value }], 'tax_ids'), `${type} ${value}`).toThrow(expect.objectContaining({ code: 'tax_id_invalid' }));
    }
  });
});

describe('the rules table of automatic tax', () => {
  const rates = [
    { id: 'de', country: 'DE', state: null, active: true },
    { id: 'de_old', country: 'DE', state: null, active: false },
    { id: 'us_ny', country: 'US', state: 'NY', active: true },
    { id: 'us_nyc', country: 'US', state: 'ny', active: true },
    { id: 'us_ca', country: 'US', state: 'CA', active: true },
    { id: 'us_fed', country: 'US', state: null, active: true },
    { id: 'none', country: null, state: null, active: true },
  ];
  const at = (country: string | null, state: string | null = null) =>
    matchRegistered(country === null ? null : { line1: null, line2: null, city: null, postal_code: null, country, state }, rates);

  it('applies the active country rates without a state, plus those of the customer\'s state', () => {
    expect(at('DE')).toEqual({ status: 'complete', rates: ['de'] });
    expect(at('US', 'NY')).toEqual({ status: 'complete', rates: ['us_ny', 'us_nyc', 'us_fed'] });
    expect(at('US')).toEqual({ status: 'complete', rates: ['us_fed'] });
    expect(at('FR')).toEqual({ status: 'complete', rates: [] });
  });

  it('asks for a location when the customer has no country', () => {
    expect(at(null)).toEqual({ status: 'requires_location_input', rates: [] });
  });
});
