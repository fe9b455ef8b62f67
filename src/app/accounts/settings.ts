import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../adapters/postgres/schema.ts';
import { notFound } from '../errors.ts';
import type { Actor, Deps } from '../ports.ts';
import type { AddressObject } from '../resources.ts';
import { command } from '../unit-of-work.ts';
import { accountView } from '../views.ts';

export type AddressInput = { [K in keyof AddressObject]?: AddressObject[K] | undefined };
export type AccountInput = {
  name?: string | undefined; email?: string | null | undefined;
  address?: AddressInput | null | undefined; tax_id?: string | null | undefined;
  renewal_reminder_days?: number | null | undefined;
  late_usage_policy?: 'next_invoice' | 'credit_note' | undefined;
};

const FIELDS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

export async function loadAccount(db: Kysely<DB> | Transaction<DB>, accountId: string) {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  // Only reachable with a key of a deleted account; say so the same way as any missing object.
  if (!row) throw notFound('account', accountId);
  return accountView(row);
}

export async function getAccount(deps: Deps, accountId: string) {
  return await loadAccount(deps.db, accountId);
}

/** Changes the merchant's details; an address is replaced whole (fields not given become null). */
export async function updateAccount(deps: Deps, actor: Actor, input: AccountInput) {
  return await command(deps, actor, async (u) => {
    const before = await u.tx.selectFrom('accounts').selectAll().where('id', '=', u.accountId).forUpdate().executeTakeFirst();
    if (!before) throw notFound('account', u.accountId);
    const address = input.address === undefined ? undefined
      : input.address === null ? null
      : Object.fromEntries(FIELDS.map((f) => [f, input.address?.[f] ?? null]));
    const now = deps.clock.now();
    const row = await u.tx.updateTable('accounts').set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(address !== undefined ? { address: address === null ? null : JSON.stringify(address) } : {}),
      ...(input.tax_id !== undefined ? { tax_id: input.tax_id } : {}),
      ...(input.renewal_reminder_days !== undefined ? { renewal_reminder_days: input.renewal_reminder_days } : {}),
      ...(input.late_usage_policy !== undefined ? { late_usage_policy: input.late_usage_policy } : {}),
      updated_at: now,
    }).where('id', '=', u.accountId).returningAll().executeTakeFirstOrThrow();
    const view = accountView(row);
    u.audit('account.updated', 'account', row.id, accountView(before), view, now);
    u.emit('account.updated', row.id, view, now);
    return view;
  });
}
