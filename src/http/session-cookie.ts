import type { FastifyReply, FastifyRequest } from 'fastify';

/** The dashboard's session cookie (src/app/users/sessions.ts holds what it opens). */
export const SESSION_COOKIE = 'rebill_session';
export const CSRF_HEADER = 'x-csrf-token';

/** The session cookie's value, or null. Only this cookie is read; a malformed header is no cookie. */
export function sessionCookieOf(req: FastifyRequest): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,200}$/.test(value) ? value : null;
    }
  }
  return null;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

/**
 * Whether the cookie is marked Secure (sent over https only). It is, unless the configured public
 * URL (REBILL_PUBLIC_URL) is plain http:// — an installation served without TLS, where a Secure
 * cookie would never come back — or the request itself came over plain HTTP to a loopback host
 * (a developer's machine, and the tests). Browsers treat http://localhost as secure anyway.
 */
export function cookieIsSecure(req: FastifyRequest, publicUrl: string | undefined): boolean {
  if (publicUrl?.startsWith('http://')) return false;
  return !(req.protocol === 'http' && LOOPBACK.test(req.headers.host ?? ''));
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), the whole API's path. */
/** `maxAge`: seconds; relative, so the browser's clock and the server's (test) clock need not agree. */
export function setSessionCookie(reply: FastifyReply, token: string, maxAge: number, secure: boolean): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`);
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`);
}
