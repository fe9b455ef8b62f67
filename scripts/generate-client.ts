import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { openApiDocument } from '../src/http/openapi-document.ts';

/** Where the generated types live; committed, and checked by a test to match the server. */
export const CLIENT_TYPES = fileURLToPath(new URL('../src/client/openapi.ts', import.meta.url));

/** TypeScript types for every path of the API, generated from the server's OpenAPI document. */
export async function clientTypesSource(): Promise<string> {
  const doc = await openApiDocument();
  const ast = await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0], { alphabetize: true, silent: true });
  return `${COMMENT_HEADER.replace('openapi-typescript.', 'openapi-typescript from /v1/openapi.json: run `npm run client:generate`.')}${astToString(ast)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(CLIENT_TYPES, await clientTypesSource());
  console.log(`wrote ${CLIENT_TYPES}`);
}
