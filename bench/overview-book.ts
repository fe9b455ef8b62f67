import type pg from 'pg';
import { to as copyToStdout } from 'pg-copy-streams';
import { copyRows } from '../src/adapters/postgres/copy.ts';

/**
 * Part (i)'s book: a template built by the engine itself (`rebill demo`'s generator, through the
 * API on test clocks), then copied in SQL until it holds the subscriptions the benchmark wants.
 * Building 10,000 subscriptions through the API takes hours; a copy takes seconds, and it has the
 * engine's shapes by construction, because every row of it is a row the engine wrote, with the
 * ids of the customer's objects renamed. A check after the copy (in run.ts) holds the copied book
 * to that: every report figure must be exactly (copies + 1) times the template's.
 */

// Tables of the account itself (catalog, settings, keys, clocks, rates) are shared by every copy;
// the outbox (`events`) and the job queue are left out: the dashboard never reads the outbox, and
// a copied event or job would be sent or run by the server while it is being measured.
const SHARED = new Set([
  'accounts', 'api_keys', 'users', 'sessions', 'login_attempts', 'products', 'prices', 'coupons', 'promotion_codes', 'tax_rates', 'exchange_rates',
  'test_clocks', 'gateways', 'routing_rules', 'dunning_policies', 'features', 'product_features', 'meters', 'webhook_endpoints', 'webhook_deliveries',
  'notification_templates', 'payment_links', 'idempotency_keys', 'jobs', 'events', 'schema_migrations',
]);

// The prefixes of ids (src/domain/ids.ts) of what belongs to a customer, and so is copied with
// it; `ch` is the sandbox gateway's charge. Ids of shared rows (prices, coupons, clocks, events) stay.
const COPIED_IDS = ['cus', 'pm', 'sub', 'si', 'srev', 'in', 'il', 'ii', 'cbtxn', 'di', 'pay', 'cn', 're', 'dp', 'dcase', 'ntf', 'bfail', 'aud', 'ch',
  'entov', 'cgr', 'cgrtxn', 'alrt', 'ubl', 'mea'];
// An id is a prefix, '_' and 26 base32 characters: a millisecond's time, then random bits that
// count up within it. A copy's ids differ from the original's in the four characters after the
// time's, which encode the copy's number; the rest, the last characters that count up included, stay.
const ID = new RegExp(`(?<![0-9a-z])((?:${COPIED_IDS.join('|')})_[0-9a-z]{12})[0-9a-z]{4}(?=[0-9a-z]{10}(?![0-9a-z]))`, 'g');
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const tagOf = (n: number) => [15, 10, 5, 0].map((shift) => ALPHABET[(n >> shift) & 31]).join('');

// A customer's invoice prefix is unique in the account, and its invoices' numbers start with it:
// a copy's end with its tag instead of their last four characters.
const PREFIXED: Record<string, { column: string; edit: (v: string, tag: string) => string }> = {
  'public.customers': { column: 'invoice_prefix', edit: (v, tag) => (v === '\\N' ? v : v.slice(0, -4) + tag) },
  'public.invoices': { column: 'number', edit: (v, tag) => v.replace(/^([^-]*)[^-]{4}-/, `$1${tag}-`) },
  'public.credit_notes': { column: 'number', edit: (v, tag) => v.replace(/^([^-]*)[^-]{4}-/, `$1${tag}-`) },
};

/** Rows in COPY's text format as copy `n` has them: every id renamed, in columns and inside JSON alike. */
function copyOf(table: string, columns: string[], text: string, n: number): string {
  const tag = tagOf(n);
  const renamed = text.replace(ID, `$1${tag}`);
  const prefixed = PREFIXED[table];
  const at = prefixed ? columns.indexOf(prefixed.column) : -1;
  if (at < 0) return renamed;
  return renamed.split('\n').map((line) => {
    if (!line) return line;
    const cells = line.split('\t');
    cells[at] = prefixed!.edit(cells[at]!, tag.toUpperCase());
    return cells.join('\t');
  }).join('\n');
}

/**
 * Adds `copies` copies of everything account `accountId`'s customers own, in one transaction;
 * returns the rows added per table.
 */
export async function copyBook(pool: pg.Pool, accountId: string, copies: number): Promise<Map<string, number>> {
  const tables = (await pool.query<{ schema: string; table: string; own: boolean; columns: string[] }>(`
    SELECT table_schema AS schema, table_name AS table, bool_or(column_name = 'account_id') AS own,
           array_agg(column_name::text ORDER BY ordinal_position) FILTER (WHERE is_identity = 'NO' AND is_generated = 'NEVER') AS columns
      FROM information_schema.columns
     WHERE table_schema IN ('public', 'sandbox') AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')
     GROUP BY 1, 2 ORDER BY 1, 2`)).rows;
  const added = new Map<string, number>();
  const client = await pool.connect();
  const t0 = performance.now();
  try {
    await client.query('BEGIN');
    // Foreign keys run both ways between some tables (a subscription's latest invoice, an
    // invoice's subscription); each copy is whole, so its references hold once every table is in.
    // As replica, the session skips the checks while it inserts (a superuser's setting, as the bench's).
    await client.query('SET LOCAL session_replication_role = replica');
    for (const { schema, table, own, columns } of tables) {
      // The sandbox gateway's charges carry the account in their idempotency key only.
      const where = schema === 'sandbox' && table === 'charges' ? `idempotency_key LIKE 'rebill:${accountId}:%'` : own ? `account_id = '${accountId}'` : null;
      if (where === null || SHARED.has(table) || (schema === 'sandbox' && table !== 'charges')) continue;
      const name = `${schema}.${table}`;
      // Identity columns are left out: they are numbered anew for every copy.
      const list = columns.map((c) => `"${c}"`).join(', ');
      const text = await copyOut(client, `COPY (SELECT ${list} FROM ${name} WHERE ${where}) TO STDOUT`);
      if (!text) continue;
      let rows = 0;
      for (let n = 1; n <= copies; n++) rows += await copyRows(client, `COPY ${name} (${list}) FROM STDIN`, Buffer.from(copyOf(name, columns, text, n)));
      added.set(name, rows);
      if (process.env.BENCH_TRACE) console.log(`  copied ${name}: ${rows} rows at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
  return added;
}

/** What `statement` (a `COPY … TO STDOUT` in text format) sends, whole. */
async function copyOut(client: pg.PoolClient, statement: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyToStdout(statement))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
