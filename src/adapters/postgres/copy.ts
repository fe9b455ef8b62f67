import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';

/** One value in COPY's text format: `\N` for null; backslash, tab, newline and carriage return escaped. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/**
 * Runs `statement` (a `COPY … FROM STDIN` in text format) on `client`, sending `data` whole;
 * resolves with the rows the server copied. A failure (a unique violation, say) rejects with
 * the server's error, and the client is ready for its next statement.
 */
export async function copyRows(client: pg.ClientBase, statement: string, data: Buffer): Promise<number> {
  const stream = client.query(copyFromStdin(statement));
  await pipeline(Readable.from([data]), stream);
  return stream.rowCount;
}
