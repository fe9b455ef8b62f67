import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

// int8 comes back as bigint (money is never a JS float); numeric stays a string for decimal.js.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));

export type Database = { db: Kysely<DB>; pool: pg.Pool; close: () => Promise<void> };

/** Named prepared statements on the pool: the name is a digest of the text, so equal text shares one plan. */
export function preparedRunner(pool: pg.Pool) {
  const names = new Map<string, string>();
  return async (text: string, values: unknown[]): Promise<void> => {
    let name = names.get(text);
    if (!name) {
      name = `rb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      if (names.size < 1000) names.set(text, name);
    }
    await pool.query({ name, text, values });
  };
}

export function connect(url: string, opts: { max?: number; applicationName?: string } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'rebill',
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool, close: () => db.destroy() };
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
