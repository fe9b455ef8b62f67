/**
 * Whether a string is an RFC 3339 timestamp that names one real instant JavaScript can hold.
 *
 * RFC 3339 itself allows a leap second (`23:59:60`), and JSON Schema's `date-time` format
 * follows it, but `Date` cannot represent one: `new Date('2027-06-30T23:59:60Z')` is an
 * Invalid Date, which used to reach the database as `null` and fail the request with a 500
 * (issue 12). `Date.parse` on its own is no guard either: it rolls `T24:00:00` over to the next
 * day and accepts forms RFC 3339 does not (`+0200`). So the fields are checked one by one, and
 * the string must also be one `Date.parse` reads.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

type Fields = [
  year: number, month: number, day: number, hour: number, minute: number, second: number, offsetHours: number, offsetMinutes: number,
];

export function isRealInstant(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const fields = m.slice(1).map((x) => Number(x ?? 0)) as Fields;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = fields;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  if (offsetHours > 23 || offsetMinutes > 59) return false;
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : DAYS[month - 1]!;
  if (day < 1 || day > daysInMonth) return false;
  return !Number.isNaN(Date.parse(text));
}
