import { DomainError, invalid } from '../../domain/errors.ts';
import { hashPassword, verifyPassword } from '../../domain/password.ts';
import type { Actor, Deps } from '../ports.ts';
import type { UserObject } from '../resources.ts';
import { command } from '../unit-of-work.ts';
import { iso, userView } from '../views.ts';
import { reserveAttempt, succeeded } from './login-throttle.ts';
import { openSession, type SessionPrincipal } from './sessions.ts';
import { revokeSessions } from './users.ts';

export type OwnPasswordChange = { current_password: string; password: string };

/**
 * A signed-in user changes their own password (issue 19). The current password is checked like a
 * sign-in and counted by the same throttle (this email, this address), so a stolen session cannot
 * be used to guess it any faster than the sign-in form allows.
 *
 * On success every session of the user ends, the one making the request included, and a new one
 * is opened in its place: the caller gets its token for a new cookie. Rotating rather than keeping
 * the current session means a copy of the old cookie, wherever it went, is worth nothing once the
 * password has changed (OWASP: renew the session id on a password change), while the user stays
 * signed in. Answers the new session's token and the user's view.
 */
export async function changeOwnPassword(
  deps: Deps, actor: Actor, session: SessionPrincipal, input: OwnPasswordChange, ip: string,
): Promise<{ token: string; user: UserObject }> {
  const now = deps.clock.now();
  const user = await deps.db.selectFrom('users').selectAll()
    .where('account_id', '=', session.accountId).where('id', '=', session.userId).executeTakeFirstOrThrow();
  const attempt = await reserveAttempt(deps.db, { email: user.email, ip }, now);
  if (!await verifyPassword(input.current_password, user.password_hash)) {
    throw invalid('current_password_incorrect', 'The current password is not right.', 'current_password');
  }
  await succeeded(deps.db, attempt, user.email);
  // Compared as scrypt sees them (NFC), so the same password typed in another normal form is no change either.
  if (input.password.normalize('NFC') === input.current_password.normalize('NFC')) {
    throw invalid('password_unchanged', 'The new password is the current one; choose another.', 'password');
  }
  const password_hash = await hashPassword(input.password);
  return await command(deps, actor, async (u) => {
    const before = await u.tx.selectFrom('users').selectAll()
      .where('account_id', '=', u.accountId).where('id', '=', user.id).forUpdate().executeTakeFirstOrThrow();
    // Changed since it was checked (by an admin, or by this user in another tab): the check no longer holds.
    if (before.password_hash !== user.password_hash) {
      throw new DomainError('conflict', 'The password changed while this request was checking it; try again.');
    }
    const after = await u.tx.updateTable('users').set({ password_hash, updated_at: now, version: before.version + 1 })
      .where('account_id', '=', u.accountId).where('id', '=', user.id).returningAll().executeTakeFirstOrThrow();
    const ended = await revokeSessions(u, user.id, now);
    const { token, session: opened } = await openSession(u, user.id, now);
    const view = userView(after);
    // sessions_ended counts the one replaced; never the password nor a hash.
    const changed = { ...view, sessions_ended: ended, session: opened.id };
    u.audit('user.password_changed', 'user', user.id, userView(before), changed, now);
    const created = { user: user.id, ip, expires_at: iso(opened.expires_at), replaces: session.sessionId };
    u.audit('session.created', 'session', opened.id, null, created, now);
    return { token, user: view };
  });
}
