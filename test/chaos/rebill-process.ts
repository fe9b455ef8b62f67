import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';

const children = new Set<ChildProcess>();
afterAll(() => { for (const c of children) c.kill('SIGKILL'); });

/**
 * `rebill start` (API and worker in one process) against `url` on `port`, with `env` added;
 * resolves once its API listens. Every process started is SIGKILLed when the file's tests end.
 */
export async function startRebill(url: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/rebill.js', 'start'], {
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), LOG_LEVEL: 'fatal', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stderr?.on('data', (d) => process.stderr.write(`[rebill ${child.pid}] ${d}`));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => { out += String(d); if (out.includes('listening on')) resolve(); });
    child.once('exit', (code) => reject(new Error(`rebill start exited with ${code} before listening: ${out}`)));
  });
  return child;
}
