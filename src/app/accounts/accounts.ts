import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import type { SessionPrincipal } from '../users/sessions.ts';

export const ROLES = ['admin', 'finance', 'support', 'read_only', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request acts as: `actor` is `api_key:<id>` or `user:<id>` (a dashboard session, see src/app/users/sessions.ts). */
export type Principal = { accountId: string; role: Role; actor: string; session?: SessionPrincipal };

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
const hint = (secret: string) => `${secret.slice(0, 8)}…${secret.slice(-4)}`;

export function generateSecret(): string {
  return `rk_live_${randomBytes(24).toString('base64url')}`;
}

export function parseRole(role: unknown): Role {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw invalid('parameter_invalid', `role must be one of ${ROLES.join(', ')}`, 'role');
  }
  return role as Role;
}

/** Creates an API key; the secret is returned once and only its hash is kept. */
export async function createApiKey(db: Kysely<DB>, accountId: string, role: Role, secret = generateSecret()) {
  if (secret.length < 20) throw invalid('parameter_invalid', 'an API key secret needs at least 20 characters', 'secret');
  const account = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!account) throw new DomainError('resource_missing', `No such account: '${accountId}'`, 'account');
  const id = newId('apiKey');
  await db.insertInto('api_keys').values({ account_id: accountId, id, role, secret_hash: hash(secret), secret_hint: hint(secret), revoked_at: null }).execute();
  return { id, account: accountId, role, secret };
}

export async function createAccount(db: Kysely<DB>, name: string, secret?: string) {
  if (!name.trim()) throw invalid('parameter_missing', 'an account needs a name', 'name');
  const id = newId('account');
  await db.insertInto('accounts').values({ id, name }).execute();
  const key = await createApiKey(db, id, 'admin', secret);
  return { account: { id, name }, key };
}

/**
 * The default account used by `rebill start`: created on first start. A bootstrap secret, when
 * given, becomes (or already is) one of its admin keys, so scripts can know it in advance.
 */
export async function ensureDefaultAccount(db: Kysely<DB>, bootstrapSecret?: string) {
  const existing = await db.selectFrom('accounts').select(['id', 'name']).orderBy('id').limit(1).executeTakeFirst();
  if (!existing) return { created: true, ...(await createAccount(db, 'Default account', bootstrapSecret)) };
  let key: { id: string; secret: string } | null = null;
  if (bootstrapSecret) {
    const known = await db.selectFrom('api_keys').select('id').where('secret_hash', '=', hash(bootstrapSecret)).executeTakeFirst();
    if (!known) key = await createApiKey(db, existing.id, 'admin', bootstrapSecret);
  }
  return { created: false, account: existing, key };
}

export async function authenticate(db: Kysely<DB>, secret: string): Promise<Principal | null> {
  const h = hash(secret);
  const row = await db.selectFrom('api_keys').select(['account_id', 'id', 'role', 'secret_hash'])
    .where('secret_hash', '=', h).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(h))) return null;
  return { accountId: row.account_id, role: row.role as Role, actor: `api_key:${row.id}` };
}
