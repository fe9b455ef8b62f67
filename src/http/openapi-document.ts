import type { Deps } from '../app/ports.ts';
import { buildServer } from './server.ts';

/**
 * The OpenAPI document without a running server or database, for generating the typed client.
 * Routes reach their dependencies only while serving a request, and none is served here.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = await buildServer({} as Deps, { logLevel: 'silent' });
  try {
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
