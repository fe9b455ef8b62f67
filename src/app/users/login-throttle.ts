import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { DomainError } from '../../domain/errors.ts';

/** How many failed sign-ins are allowed, per email and per client address, within the window. */
export const LOGIN_LIMITS = { windowMs: 15 * 60_000, perEmail: 5, perIp: 20 } as const;

/** A sign-in refused by the throttle; `retryAfter` seconds until the window lets one through. */
export class LoginRateLimited extends DomainError {
  constructor(readonly retryAfter: number) {
    super('login_rate_limited', `Too many failed sign-ins; try again in ${retryAfter} seconds.`);
  }
}

export const emailKey = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

/**
 * Reserves one attempt before the password is checked: the attempt is stored as a failure at
 * once, then the failures before it are counted. Stored in PostgreSQL, so every process counts
 * the same rows; two attempts racing each see the other, which can only refuse more, never less.
 * Refused: the reservation is taken back (a refused attempt checks no password, so it is not a
 * failure and does not push the end of the block further away). Answers the attempt's id, which
 * `succeeded` removes again.
 */
export async function reserveAttempt(db: Kysely<DB>, who: { email: string; ip: string }, now: Date): Promise<bigint> {
  const since = new Date(now.getTime() - LOGIN_LIMITS.windowMs);
  const email_hash = emailKey(who.email);
  await db.deleteFrom('login_attempts').where('at', '<=', since).execute();
  const { id } = await db.insertInto('login_attempts').values({ email_hash, ip: who.ip, at: now }).returning('id').executeTakeFirstOrThrow();
  // The failure that, once it leaves the window, lets the next attempt through: the limit-th most recent before this one.
  const oldestBlocking = async (column: 'email_hash' | 'ip', value: string, limit: number) => (await db.selectFrom('login_attempts').select('at')
    .where(column, '=', value).where('at', '>', since).where('id', '<>', id)
    .orderBy('at', 'desc').offset(limit - 1).limit(1).executeTakeFirst())?.at;
  const blockers = [await oldestBlocking('email_hash', email_hash, LOGIN_LIMITS.perEmail), await oldestBlocking('ip', who.ip, LOGIN_LIMITS.perIp)]
    .filter((t): t is Date => t !== undefined);
  if (blockers.length > 0) {
    await db.deleteFrom('login_attempts').where('id', '=', id).execute();
    const until = Math.max(...blockers.map((t) => t.getTime())) + LOGIN_LIMITS.windowMs;
    throw new LoginRateLimited(Math.max(1, Math.ceil((until - now.getTime()) / 1000)));
  }
  return id;
}

/**
 * The attempt signed in: it was no failure, and the email's earlier failures are forgiven. The
 * address's are not, so signing in to one's own account between guesses at others buys nothing.
 */
export async function succeeded(db: Kysely<DB>, attemptId: bigint, email: string): Promise<void> {
  await db.deleteFrom('login_attempts').where((eb) => eb.or([eb('id', '=', attemptId), eb('email_hash', '=', emailKey(email))])).execute();
}
