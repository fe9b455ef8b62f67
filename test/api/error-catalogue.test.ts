import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERRORS, type ErrorCode } from '../../src/domain/error-catalogue.ts';
import { openApiDocument } from '../../src/http/openapi-document.ts';

/** How the API guide's Errors table (docs/api.md) shows a code: the catalogue entry, cell by cell. */
const rowOf = (code: ErrorCode) => {
  const e = ERRORS[code];
  return `| \`${code}\` | ${e.status} | \`${e.type}\` | ${e.message} |`;
};

/** The API guide's Errors table (docs/api.md), its rows by the code in their first cell. */
async function readmeRows(): Promise<Map<string, string>> {
  const readme = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const section = /^## Errors\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (!section) throw new Error('docs/api.md has no "## Errors" section');
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return new Map(rows.map((line) => [/^\| `([^`]*)`/.exec(line)![1]!, line]));
}

describe('the error catalogue', () => {
  it('is the API guide\'s Errors table, row for row (the message lists the rows to paste)', async () => {
    const rows = await readmeRows();
    const wrong = ERROR_CODES.filter((code) => rows.get(code) !== rowOf(code));
    expect(wrong, `docs/api.md rows to write:\n${wrong.map(rowOf).join('\n')}`).toEqual([]);
    const unknown = [...rows.keys()].filter((code) => !Object.hasOwn(ERRORS, code));
    expect(unknown, 'docs/api.md lists codes the catalogue does not have').toEqual([]);
  });

  it('is published in the OpenAPI document, on the Error schema', async () => {
    const doc = await openApiDocument() as { components: { schemas: Record<string, Record<string, unknown>> } };
    expect(doc.components.schemas.Error!['x-error-codes']).toEqual(ERRORS);
  });
});
