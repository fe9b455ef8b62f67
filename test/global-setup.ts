import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/adapters/postgres/embedded.ts';
import { migrate } from '../src/adapters/postgres/migrate.ts';
import { withDatabase } from '../src/adapters/postgres/pool.ts';
import { ensureWebBuilt } from '../src/web/build.ts';

declare module 'vitest' {
  interface ProvidedContext { pgServerUrl: string; pgTemplate: string }
}

/**
 * One PostgreSQL for the whole run: DATABASE_URL's server when set, otherwise an embedded one in
 * a temporary directory. A template database is migrated once; each test file clones it, so no
 * run depends on what an earlier one left behind.
 */
export default async function setup(project: TestProject) {
  // The server the tests build serves the dashboard from dist/: build it first when stale.
  await ensureWebBuilt();
  let embedded: EmbeddedServer | null = null;
  let dir: string | null = null;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    dir = path.join(os.tmpdir(), `rebill-test-pg-${process.pid}-${Date.now()}`);
    embedded = await startEmbeddedPostgres(dir, { quiet: true });
    serverUrl = embedded.url;
  }
  const template = `rebill_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const tpl = new pg.Pool({ connectionString: withDatabase(serverUrl, template), max: 1 });
  await migrate(tpl);
  await tpl.end();
  project.provide('pgServerUrl', serverUrl);
  project.provide('pgTemplate', template);

  return async () => {
    // Drop this run's databases (clones are named after the template).
    const rows = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${template}%`]);
    for (const r of rows.rows.sort((a, b) => b.datname.length - a.datname.length)) {
      await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
    }
    await admin.end();
    if (embedded) await embedded.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
