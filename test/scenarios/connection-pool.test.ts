import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/postgres/pool.ts';
import { testDatabase } from '../support.ts';

describe('the connection pool', async () => {
  const d = await testDatabase({ max: 1 });

  it('sends parameterized queries as prepared statements, parsed once per connection', async () => {
    const read = (id: string) => d.db.selectFrom('accounts').select('name').where('id', '=', id).execute();
    await read('acct_a');
    await read('acct_b');
    // One connection (max 1), so the catalog query below sees that connection's statements.
    const prepared = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`.execute(d.db);
    const mine = prepared.rows.filter((r) => r.statement.includes('from "accounts"'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.statement).toContain('"id" = $1');
  });

  it('runs statements without parameters unprepared (the simple protocol allows several in one)', async () => {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM products`.execute(d.db);
    expect(r.rows).toEqual([{ n: 0 }]);
    const prepared = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE '%FROM products%'`.execute(d.db);
    expect(prepared.rows[0]!.n).toBe(0);
  });

  it('is ended by close even when only raw SQL used it', async () => {
    const own = connect(d.url, { max: 1 });
    await own.pool.query('SELECT 1');
    await own.close();
    expect(own.pool.ending).toBe(true);
    expect(own.pool.totalCount).toBe(0);
  });
});
