import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../app/ports.ts';
import * as R from '../../app/resources.ts';
import { changeOwnPassword } from '../../app/users/own-password.ts';
import { currentSession, SESSION_TTL_MS, signIn, signOut } from '../../app/users/sessions.ts';
import { DomainError } from '../../domain/errors.ts';
import { PASSWORD_MAX } from '../../domain/password.ts';
import { actorOf } from '../auth.ts';
import { ref } from '../components.ts';
import { replies } from '../schemas.ts';
import { clearSessionCookie, cookieIsSecure, setSessionCookie } from '../session-cookie.ts';
import type { App } from './types.ts';
import { Password } from './users.ts';

/** The session the request was made with; an API key has none. */
function sessionOf(req: FastifyRequest) {
  const s = req.principal?.session;
  if (!s) throw new DomainError('session_required', 'This request was made with an API key, not a dashboard session.');
  return s;
}

/** Dashboard sign-in and sign-out: the session travels in the rebill_session cookie (see docs/api.md, "Users and sessions"). */
export function sessionRoutes(app: App, deps: Deps) {
  const tags = ['sessions'];
  app.post('/v1/sessions', {
    // No key: the email and password are the credential. Failures are throttled (login-throttle.ts).
    config: { public: true },
    schema: {
      tags, summary: 'Sign in with email and password; sets the rebill_session cookie', response: replies(ref('Session')), security: [],
      body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { token, session } = await signIn(deps, req.body, req.ip, String(req.id));
    setSessionCookie(reply, token, SESSION_TTL_MS / 1000, cookieIsSecure(req, deps.publicUrl));
    return session;
  });

  app.get('/v1/sessions/current', { schema: { tags, summary: 'Who is signed in, with the session\'s CSRF token', response: replies(ref('Session')) } },
    async (req) => await currentSession(deps, sessionOf(req)));

  app.delete('/v1/sessions/current', { schema: { tags, summary: 'Sign out: the session cookie stops working', response: replies(R.DeletedObject) } }, async (req, reply) => {
    const result = await signOut(deps, actorOf(req), sessionOf(req).sessionId);
    clearSessionCookie(reply, cookieIsSecure(req, deps.publicUrl));
    return result;
  });

  // Any role may change its own password: the session is the permission, the current password the proof.
  app.post('/v1/sessions/current/password', {
    config: { secretFields: ['current_password', 'password'] },
    schema: {
      tags, response: replies(ref('User')),
      summary: 'Change the signed-in user\'s own password; ends their other sessions, replaces this one (a new cookie)',
      body: Type.Object({
        current_password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }), password: Password,
      }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { token, user } = await changeOwnPassword(deps, actorOf(req), sessionOf(req), req.body, req.ip);
    setSessionCookie(reply, token, SESSION_TTL_MS / 1000, cookieIsSecure(req, deps.publicUrl));
    return user;
  });
}
