// Who an invoice is addressed to, as tax sees it: where the customer is, whether it is exempt
// (or pays the tax itself under the reverse-charge rule) and its tax ids. Pure checks of what the
// API accepts; the schema has already bounded every string.
import { invalid } from './errors.ts';

export const TAX_EXEMPT = ['none', 'exempt', 'reverse'] as const;
export type TaxExempt = (typeof TAX_EXEMPT)[number];

export type Address = {
  line1: string | null; line2: string | null; city: string | null; state: string | null; postal_code: string | null; country: string | null;
};
export type TaxId = { type: TaxIdType; value: string };

/** What an invoice records about its customer at finalization, and what its tax depends on. */
export type CustomerTax = { name: string | null; address: Address | null; tax_exempt: TaxExempt; tax_ids: TaxId[] };

// ISO 3166-1 alpha-2, the officially assigned codes, plus XK (Kosovo), which tax authorities use.
const COUNTRIES = new Set((
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS ' +
  'BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE ' +
  'EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM ' +
  'HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC ' +
  'LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ' +
  'NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO ' +
  'TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW').split(' '));

export const isCountry = (code: string) => COUNTRIES.has(code);

/**
 * The tax id types accepted, each with the shape of its number (spaces ignored). Loose on
 * purpose: a check digit is for the tax authority to verify, a typo of shape is ours to catch.
 */
export const TAX_ID_SHAPES = {
  eu_vat: /^[A-Z]{2}[0-9A-Z+*]{2,13}$/,
  gb_vat: /^(GB)?(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
  ch_vat: /^CHE-?\d{3}\.?\d{3}\.?\d{3}(MWST|TVA|IVA)?$/,
  no_vat: /^\d{9}(MVA)?$/,
  in_gst: /^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/,
  us_ein: /^\d{2}-?\d{7}$/,
  au_abn: /^\d{11}$/,
  nz_gst: /^\d{8,9}$/,
  ca_bn: /^\d{9}$/,
  ca_gst_hst: /^\d{9}RT\d{4}$/,
  jp_cn: /^\d{13}$/,
  sg_gst: /^[0-9A-Z]{9,10}$/,
} as const;
export type TaxIdType = keyof typeof TAX_ID_SHAPES;
export const TAX_ID_TYPES = Object.keys(TAX_ID_SHAPES) as TaxIdType[];

const FIELDS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

/** The address as stored (fields not given are null, the country upper-case), or refused. */
export function checkAddress(input: Partial<Record<(typeof FIELDS)[number], string | null | undefined>>, param: string): Address {
  const a = Object.fromEntries(FIELDS.map((f) => [f, input[f]?.trim() || null])) as Address;
  if (a.country !== null) {
    a.country = a.country.toUpperCase();
    if (!isCountry(a.country)) throw invalid('country_invalid', `'${input.country}' is not an ISO 3166-1 alpha-2 country code`, `${param}[country]`);
  }
  return a;
}

/** The tax ids as stored: values trimmed, each of the shape its type requires, none twice. */
export function checkTaxIds(ids: readonly TaxId[], param: string): TaxId[] {
  const seen = new Set<string>();
  return ids.map((t, i) => {
    const value = t.value.trim();
    const bare = value.replace(/\s/g, '').toUpperCase();
    if (!TAX_ID_SHAPES[t.type].test(bare)) throw invalid('tax_id_invalid', `'${t.value}' is not a valid ${t.type} number`, `${param}[${i}][value]`);
    // Written with or without separators, it is the same number.
    const key = `${t.type}:${bare.replace(/[.-]/g, '')}`;
    if (seen.has(key)) throw invalid('parameter_invalid', `tax id ${t.type} '${t.value}' appears twice`, `${param}[${i}]`);
    seen.add(key);
    return { type: t.type, value };
  });
}
