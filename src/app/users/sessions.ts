import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../accounts/accounts.ts';
import { DomainError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../../domain/password.ts';
import type { Actor, Deps } from '../ports.ts';
import { command, type UnitOfWork } from '../unit-of-work.ts';
import { iso, userView, type Row } from '../views.ts';
import type { SessionObject } from '../resources.ts';
import { reserveAttempt, succeeded } from './login-throttle.ts';

/** A session lasts this long from sign-in, however active it is. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** last_seen_at is written at most this often, not on every request. */
const SEEN_EVERY_MS = 60_000;

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
/** The CSRF token is derived from the session token: nothing more to store, nothing to leak from the table. */
export const csrfTokenOf = (token: string) => createHmac('sha256', token).update('rebill:csrf').digest('base64url');

/** Whether `given` is the session's CSRF token, compared in constant time. */
export function csrfMatches(token: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const want = Buffer.from(csrfTokenOf(token));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Who a valid session cookie signs in as. */
export type SessionPrincipal = { accountId: string; sessionId: string; userId: string; role: Role; csrfToken: string; createdAt: Date; expiresAt: Date };

const failed = () => new DomainError('credentials_invalid', 'The email or password is not right.');

function sessionView(s: { id: string; createdAt: Date; expiresAt: Date }, user: Row<'users'>, csrfToken: string): SessionObject {
  const view = userView(user);
  return { id: s.id, object: 'session', user: view, role: view.role, csrf_token: csrfToken, created: iso(s.createdAt), expires_at: iso(s.expiresAt) };
}

/**
 * A new session of the user, lasting SESSION_TTL_MS from `now`, and its token (for the cookie):
 * 32 random bytes, of which only the sha256 is stored.
 */
export async function openSession(u: UnitOfWork, userId: string, now: Date) {
  const token = randomBytes(32).toString('base64url');
  const session = await u.tx.insertInto('sessions').values({
    account_id: u.accountId, id: newId('session'), user_id: userId, token_hash: tokenHash(token),
    created_at: now, expires_at: new Date(now.getTime() + SESSION_TTL_MS), last_seen_at: now,
  }).returningAll().executeTakeFirstOrThrow();
  return { token, session };
}

/**
 * Signs a user in by email and password; answers a new session and its token (for the cookie).
 * The token is always new: whatever cookie came with the request is ignored, so a value planted
 * by someone else before sign-in can never become a session (fixation). An unknown email, a wrong
 * password and a disabled user fail alike, after a password check of the same cost.
 */
export async function signIn(deps: Deps, input: { email: string; password: string }, ip: string, requestId: string) {
  const now = deps.clock.now();
  const email = input.email.trim().toLowerCase();
  const attempt = await reserveAttempt(deps.db, { email, ip }, now);
  const user = await deps.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  const right = await verifyPassword(input.password, user?.password_hash ?? await dummyHash());
  if (!user || !right || user.disabled) throw failed();
  await succeeded(deps.db, attempt, email);
  // Parameters raised since this hash was made: keep the stronger one from now on.
  const rehashed = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;
  const actor: Actor = { accountId: user.account_id, actor: `user:${user.id}`, requestId };
  return await command(deps, actor, async (u) => {
    const { token, session } = await openSession(u, user.id, now);
    const signedIn = await u.tx.updateTable('users').set({ last_sign_in_at: now, ...(rehashed ? { password_hash: rehashed } : {}) })
      .where('account_id', '=', user.account_id).where('id', '=', user.id).returningAll().executeTakeFirstOrThrow();
    u.audit('session.created', 'session', session.id, null, { user: user.id, ip, expires_at: iso(session.expires_at) }, now);
    return { token, session: sessionView({ id: session.id, createdAt: session.created_at, expiresAt: session.expires_at }, signedIn, csrfTokenOf(token)) };
  });
}

/**
 * The session a cookie's token opens, or null: unknown, signed out, expired, or its user disabled
 * (checked here, on every request, so disabling takes effect at once). The role is the user's
 * current one.
 */
export async function sessionFor(deps: Deps, token: string): Promise<SessionPrincipal | null> {
  if (token.length < 20 || token.length > 100) return null;
  const now = deps.clock.now();
  const row = await deps.db.selectFrom('sessions as s').innerJoin('users as u', (j) => j.onRef('u.account_id', '=', 's.account_id').onRef('u.id', '=', 's.user_id'))
    .select(['s.account_id', 's.id', 's.user_id', 's.created_at', 's.expires_at', 's.last_seen_at', 'u.role'])
    .where('s.token_hash', '=', tokenHash(token)).where('s.revoked_at', 'is', null).where('s.expires_at', '>', now).where('u.disabled', '=', false)
    .executeTakeFirst();
  if (!row) return null;
  if (now.getTime() - row.last_seen_at.getTime() >= SEEN_EVERY_MS) {
    await deps.db.updateTable('sessions').set({ last_seen_at: now }).where('account_id', '=', row.account_id).where('id', '=', row.id).execute();
  }
  return {
    accountId: row.account_id, sessionId: row.id, userId: row.user_id, role: row.role as Role, csrfToken: csrfTokenOf(token),
    createdAt: row.created_at, expiresAt: row.expires_at,
  };
}

/** The signed-in session, as GET /v1/sessions/current shows it. */
export async function currentSession(deps: Deps, s: SessionPrincipal): Promise<SessionObject> {
  const user = await deps.db.selectFrom('users').selectAll().where('account_id', '=', s.accountId).where('id', '=', s.userId).executeTakeFirstOrThrow();
  return sessionView({ id: s.sessionId, createdAt: s.createdAt, expiresAt: s.expiresAt }, user, s.csrfToken);
}

/** Signs out: the session's token is refused from now on. */
export async function signOut(deps: Deps, actor: Actor, sessionId: string) {
  const now = deps.clock.now();
  return await command(deps, actor, async (u) => {
    await u.tx.updateTable('sessions').set({ revoked_at: now }).where('account_id', '=', u.accountId).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
    u.audit('session.revoked', 'session', sessionId, null, { revoked_at: iso(now) }, now);
    return { id: sessionId, object: 'session', deleted: true as const };
  });
}
