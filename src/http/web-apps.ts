import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { WEB_APPS, webDist } from '../web/build.ts';

/**
 * Serves the built browser apps from the API's own process: /dashboard/ and /portal/ with their
 * assets. The pages call the /v1 API (the portal its customer-scoped /v1/portal part), so they add
 * no route of their own that could skip a check. An app not built yet answers 503 saying how to build it.
 */
export async function serveWebApps(app: FastifyInstance): Promise<void> {
  for (const name of WEB_APPS) {
    const dir = webDist(name);
    const config = { public: true };
    app.get(`/${name}`, { config, schema: { hide: true } }, async (_req, reply) => reply.redirect(`/${name}/`));
    if (!existsSync(dir)) {
      app.get(`/${name}/*`, { config, schema: { hide: true } }, async (_req, reply) =>
        reply.code(503).type('text/plain').send(`The ${name} is not built yet: run \`npm run build:web\` (npm start does it for you).\n`));
      continue;
    }
    // Files are public (the sign-in page must load without a key); the plugin takes no route
    // config, so its routes get it as they are added, in a scope of their own.
    await app.register(async (scope) => {
      scope.addHook('onRoute', (route) => { route.config = { ...(route.config as object | undefined), public: true }; });
      await scope.register(fastifyStatic, {
        root: dir, prefix: `/${name}/`, decorateReply: false, index: ['index.html'], schemaHide: true,
        // Hashed asset names never change content; the page itself is always revalidated.
        setHeaders: (reply, file) => {
          reply.header('cache-control', file.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
          // The portal acts for a customer with one click: never inside another site's frame, never telling where it was.
          if (name === 'portal') reply.header('x-frame-options', 'DENY').header('content-security-policy', "frame-ancestors 'none'").header('referrer-policy', 'no-referrer');
        },
      });
    });
  }
}
