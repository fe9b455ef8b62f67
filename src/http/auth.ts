import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';
import { authenticate, type Principal, type Role } from '../app/accounts/accounts.ts';
import type { Actor } from '../app/ports.ts';
import { DomainError } from '../domain/errors.ts';

/** What a route needs: reading, day-to-day writes, catalog changes, or collecting money. */
export type Permission = 'read' | 'write' | 'catalog' | 'billing';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'write', 'catalog', 'billing'],
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
    /** The body carries its own idempotency keys (meter event identifiers): the Idempotency-Key header is ignored, no row is kept. */
    ownIdempotency?: boolean;
  }
}

export function authHook(db: Kysely<DB>) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    if (req.routeOptions.config.public) return;
    const header = req.headers.authorization;
    if (!header) throw new DomainError('api_key_missing', 'Provide your API key as "Authorization: Bearer <key>".');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = m ? await authenticate(db, m[1]!) : null;
    if (!principal) throw new DomainError('api_key_invalid', 'The API key is not valid.');
    req.principal = principal;
    const need = req.routeOptions.config.permission ?? 'read';
    if (!GRANTS[principal.role].includes(need)) {
      throw new DomainError('insufficient_role', `A '${principal.role}' key cannot do this (needs '${need}' permission).`);
    }
  };
}

export function actorOf(req: FastifyRequest): Actor {
  const p = req.principal;
  if (!p) throw new Error('route reached without authentication');
  return { accountId: p.accountId, actor: `api_key:${p.keyId}`, requestId: String(req.id) };
}
