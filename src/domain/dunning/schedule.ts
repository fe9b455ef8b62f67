// When, in the customer's own calendar, the n-th retry of a dunning schedule falls.
import { DateTime } from 'luxon';

/** Whether `zone` is an IANA time zone this runtime knows ("Europe/Paris"; not "CET+1"). */
export function isTimeZone(zone: string): boolean {
  return typeof zone === 'string' && zone.includes('/') && DateTime.local().setZone(zone).isValid;
}

/**
 * The instant `days` calendar days after `from` in `zone` (UTC when null or unknown), at `hour`
 * o'clock there, or at `from`'s own time of day when `hour` is null. Calendar days, not 24-hour
 * steps: across a daylight-saving change "10:00, three days later" stays 10:00. An hour that does
 * not exist that day (clocks jump from 02:00 to 03:00) becomes the first one that does.
 */
export function retryInstant(from: Date, days: number, hour: number | null, zone: string | null): Date {
  const tz = zone && isTimeZone(zone) ? zone : 'UTC';
  const start = DateTime.fromJSDate(from, { zone: tz });
  let at = start.plus({ days });
  if (hour !== null) at = at.set({ hour, minute: 0, second: 0, millisecond: 0 });
  return at.toJSDate();
}
