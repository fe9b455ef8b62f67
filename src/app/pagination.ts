import type { SelectQueryBuilder } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';

export type Page = { limit: number; starting_after?: string | undefined };
export type ListResult<T> = { object: 'list'; data: T[]; has_more: boolean };

/** Newest first by id (ids sort by creation time); fetches one extra row to learn has_more. */
export async function paginate<TB extends keyof DB, R extends { id: string }, V>(
  q: SelectQueryBuilder<DB, TB, R>, idColumn: string, page: Page, view: (r: R) => V | Promise<V>,
): Promise<ListResult<V>> {
  let query = q as unknown as SelectQueryBuilder<DB, TB, R>;
  if (page.starting_after) query = query.where(idColumn as never, '<', page.starting_after as never);
  const rows = await query.orderBy(idColumn as never, 'desc').limit(page.limit + 1).execute();
  const has_more = rows.length > page.limit;
  const data = await Promise.all(rows.slice(0, page.limit).map(view));
  return { object: 'list', data, has_more };
}
