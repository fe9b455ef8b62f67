import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

// int8 comes back as bigint (money is never a JS float); numeric stays a string for decimal.js.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));
// A date is a calendar day ("2027-01-31"), not an instant: the driver would make it local midnight.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type Database = { db: Kysely<DB>; pool: pg.Pool; close: () => Promise<void> };

const names = new Map<string, string>();
// Distinct statement texts are few (each query shape is one text); the cap guards against a
// caller that inlines values into SQL, which would otherwise grow every backend's cache.
const MAX_NAMED = 2000;

/** A prepared-statement name for a SQL text: a digest, so equal text shares one plan per connection. */
function statementName(text: string): string | undefined {
  const known = names.get(text);
  if (known || names.size >= MAX_NAMED) return known;
  const name = `rb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
  names.set(text, name);
  return name;
}

/** Runs one statement as a named prepared statement on the pool (for statements built outside Kysely). */
export function preparedRunner(pool: pg.Pool) {
  return async (text: string, values: unknown[]): Promise<void> => {
    await pool.query({ name: statementName(text), text, values });
  };
}

/**
 * The pool as Kysely sees it, with every parameterized query sent as a named prepared
 * statement: PostgreSQL parses and plans each query shape once per connection instead of on
 * every call, which is most of the server-side cost of the short reads an API request makes.
 * Queries without parameters stay on the simple protocol, which allows several statements.
 */
function namedStatementPool(pool: pg.Pool): PostgresPool {
  // One wrapper per pg client, so Kysely (which keys its connections by client) reuses its own.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    release: () => client.release(),
    query: ((textOrCursor: unknown, values?: unknown[]) => {
      if (typeof textOrCursor === 'string' && values && values.length > 0) {
        return client.query({ name: statementName(textOrCursor), text: textOrCursor, values });
      }
      return client.query(textOrCursor as string, values);
    }) as unknown as PostgresPoolClient['query'],
  });
  return {
    end: () => pool.end(),
    connect: async () => {
      const client = await pool.connect();
      let wrapped = wrappers.get(client);
      if (!wrapped) { wrapped = wrap(client); wrappers.set(client, wrapped); }
      return wrapped;
    },
  };
}

export function connect(url: string, opts: { max?: number; applicationName?: string } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'rebill',
    // Keep connections once opened: each carries its prepared statements and warm catalog
    // caches, and a burst that has to open new ones pays for all of that again.
    idleTimeoutMillis: 0,
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: namedStatementPool(pool) }) });
  // Kysely ends the pool only if it ever used it; a command that ran raw SQL alone must end it too.
  const close = async () => { await db.destroy(); if (!pool.ending) await pool.end(); };
  return { db, pool, close };
}

/** Replaces the database name in a connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
