import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, type Principal, type Role } from '../app/accounts/accounts.ts';
import type { Actor, Deps } from '../app/ports.ts';
import { csrfMatches, sessionFor } from '../app/users/sessions.ts';
import { DomainError } from '../domain/errors.ts';
import { CSRF_HEADER, sessionCookieOf } from './session-cookie.ts';

/** What a route needs: reading, day-to-day writes, catalog changes, collecting money, or managing the dashboard's users. */
export type Permission = 'read' | 'write' | 'catalog' | 'billing' | 'users';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'write', 'catalog', 'billing', 'users'],
  finance: ['read', 'write', 'catalog', 'billing'],
  support: ['read', 'write'],
  read_only: ['read'],
  // Automated agents read; their changes go through human approval (a later capability).
  agent: ['read'],
};

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
  interface FastifyContextConfig {
    permission?: Permission; public?: boolean;
    /** The answer carries a secret: the idempotency store keeps it sealed, not in clear. */
    secretInAnswer?: boolean;
    /** Body fields holding a password: left out of the stored Idempotency-Key fingerprint. */
    secretFields?: readonly string[];
    /** The body carries its own idempotency keys (meter event identifiers): the Idempotency-Key header is ignored, no row is kept. */
    ownIdempotency?: boolean;
  }
}

/**
 * Authenticates every non-public request: by the API key in the Authorization header, or, when
 * there is none, by the dashboard's session cookie. A cookie-authenticated request other than a
 * GET must also carry the session's CSRF token in x-csrf-token: another site can make a browser
 * send the cookie (SameSite=Strict already stops that in current browsers) but cannot read the
 * token. Either way the role's grants are the same.
 */
export function authHook(deps: Deps) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    if (req.routeOptions.config.public) return;
    const principal = req.headers.authorization !== undefined ? await byApiKey(deps, req.headers.authorization) : await bySession(deps, req);
    req.principal = principal;
    const need = req.routeOptions.config.permission ?? 'read';
    if (!GRANTS[principal.role].includes(need)) {
      const who = principal.session ? 'user' : 'key';
      throw new DomainError('insufficient_role', `A '${principal.role}' ${who} cannot do this (needs '${need}' permission).`);
    }
  };
}

async function byApiKey(deps: Deps, header: string): Promise<Principal> {
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const principal = m ? await authenticate(deps.db, m[1]!) : null;
  if (!principal) throw new DomainError('api_key_invalid', 'The API key is not valid.');
  return principal;
}

async function bySession(deps: Deps, req: FastifyRequest): Promise<Principal> {
  const token = sessionCookieOf(req);
  if (token === null) throw new DomainError('api_key_missing', 'Provide your API key as "Authorization: Bearer <key>", or sign in (POST /v1/sessions).');
  const session = await sessionFor(deps, token);
  if (!session) throw new DomainError('session_invalid', 'The session has ended (signed out, expired, or its user was disabled); sign in again.');
  if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfMatches(token, req.headers[CSRF_HEADER])) {
    throw new DomainError('csrf_token_invalid', `A request made with the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header.`, CSRF_HEADER);
  }
  return { accountId: session.accountId, role: session.role, actor: `user:${session.userId}`, session };
}

export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  if (!p) throw new Error('route reached without authentication');
  return { accountId: p.accountId, actor: p.actor, requestId: String(req.id) };
}
