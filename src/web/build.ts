import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The browser apps (React, built by Vite) live in web/ and are served built from dist/<app>/.
// A build is stamped with a digest of its sources and of the libraries it bundles, so a start
// rebuilds only when something changed, and a fresh clone builds once on its first start.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_APPS = ['dashboard', 'portal'] as const;
export type WebApp = (typeof WEB_APPS)[number];
export const webDist = (app: WebApp) => path.join(ROOT, 'dist', app);
const STAMP = '.source-hash';
const BUNDLED = ['react', 'react-dom', 'echarts', 'vite', '@vitejs/plugin-react'];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)])).sort();
}

export function sourceHash(app: WebApp): string {
  const h = createHash('sha256');
  for (const f of [...filesUnder(path.join(ROOT, 'web', app)), ...filesUnder(path.join(ROOT, 'web', 'shared')), path.join(ROOT, 'web', 'tsconfig.json')]) {
    h.update(path.relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  for (const lib of BUNDLED) h.update(`${lib}@${(JSON.parse(readFileSync(path.join(ROOT, 'node_modules', lib, 'package.json'), 'utf8')) as { version: string }).version}\0`);
  return h.digest('hex');
}

export const isBuilt = (app: WebApp) => {
  const stamp = path.join(webDist(app), STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === sourceHash(app);
};

/** Builds one app into a fresh directory, then swaps it in whole: a server never serves half a build. */
export async function buildWebApp(app: WebApp): Promise<void> {
  const { build } = await import('vite');
  const react = (await import('@vitejs/plugin-react')).default;
  const hash = sourceHash(app);
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const tmp = path.join(ROOT, 'dist', `.${app}-${process.pid}`);
  await build({
    configFile: false, root: path.join(ROOT, 'web', app), base: `/${app}/`, logLevel: 'warn', plugins: [react()],
    build: { outDir: tmp, emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  });
  writeFileSync(path.join(tmp, STAMP), hash);
  rmSync(webDist(app), { recursive: true, force: true });
  renameSync(tmp, webDist(app));
}

/** Builds every app whose build is missing or stale; answers the ones it built. */
export async function ensureWebBuilt(): Promise<WebApp[]> {
  const stale = WEB_APPS.filter((a) => !isBuilt(a));
  for (const app of stale) await buildWebApp(app);
  return stale;
}
