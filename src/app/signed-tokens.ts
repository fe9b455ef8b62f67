import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationDeps } from './ports.ts';

/**
 * Tokens that let a customer in without an API key: `<account id>.<object id>.<signature>`, the
 * signature an HMAC under a key derived from the one that signs unsubscribe links (itself derived
 * from REBILL_SECRET_KEY). One secret to keep; each kind has its own derived key, so a token of one
 * kind never opens another. Tokens are derived again whenever needed and never stored: the row
 * they name decides whether they still work (used, expired, revoked).
 */
export type TokenKind = { keyLabel: string; macLabel: string; idPrefix: string };

export const PAYMENT_LINK_TOKEN: TokenKind = { keyLabel: 'rebill:payment-links', macLabel: 'payment-link', idPrefix: 'plink' };
export const PORTAL_SESSION_TOKEN: TokenKind = { keyLabel: 'rebill:billing-portal', macLabel: 'billing-portal-session', idPrefix: 'bps' };

const keyOf = (n: NotificationDeps, kind: TokenKind) => createHmac('sha256', n.signingKey).update(kind.keyLabel).digest();
const mac = (n: NotificationDeps, kind: TokenKind, body: string) => createHmac('sha256', keyOf(n, kind)).update(`${kind.macLabel}:${body}`).digest('base64url');

export function signToken(n: NotificationDeps, kind: TokenKind, accountId: string, id: string): string {
  const body = `${accountId}.${id}`;
  return `${body}.${mac(n, kind, body)}`;
}

/** The account and object a token names, or null for anything Rebill did not sign (forged, edited, cut short, another kind). */
export function openToken(n: NotificationDeps | undefined, kind: TokenKind, token: string): { accountId: string; id: string } | null {
  if (!n) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^acct_[0-9a-z]{1,60}$/.test(parts[0]!) || !new RegExp(`^${kind.idPrefix}_[0-9a-z]{1,60}$`).test(parts[1]!)) return null;
  const want = Buffer.from(mac(n, kind, `${parts[0]}.${parts[1]}`));
  const got = Buffer.from(parts[2]!);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  return { accountId: parts[0]!, id: parts[1]! };
}
