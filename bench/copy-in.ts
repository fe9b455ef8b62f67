import type pg from 'pg';

/** The part of pg's Connection that a COPY FROM STDIN talks to (not in @types/pg). */
type CopyConnection = { query: (text: string) => void; sendCopyFromChunk: (chunk: Buffer) => void; endCopyFrom: () => void; sendCopyFail: (why: string) => void };

/**
 * Runs `COPY … FROM STDIN` on `client`, sending `data` (COPY text format) whole, and resolves
 * with the rows the server says it copied. pg has no COPY of its own; it hands the protocol's
 * copy-in messages to any query object with `submit` and these handlers, which is all this is.
 */
export function copyIn(client: pg.Client | pg.PoolClient, statement: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let failed: Error | null = null;
    const submittable = {
      submit: (connection: CopyConnection) => { connection.query(statement); },
      handleCopyInResponse: (connection: CopyConnection) => {
        connection.sendCopyFromChunk(data);
        connection.endCopyFrom();
      },
      handleCommandComplete: (msg: { text: string }) => { rows = Number(/^COPY (\d+)/.exec(msg.text)?.[1] ?? NaN); },
      handleError: (err: Error) => { failed = err; },
      // The server's last word on the statement, after success or failure alike.
      handleReadyForQuery: () => (failed ? reject(failed) : resolve(rows)),
      handleRowDescription: () => undefined,
      handleDataRow: () => undefined,
      handleEmptyQuery: () => undefined,
      handleCopyData: () => undefined,
    };
    client.query(submittable as unknown as pg.QueryConfig);
  });
}

/** One value in COPY's text format: `\N` for null; backslash, tab, newline and carriage return escaped. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
