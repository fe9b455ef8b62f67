import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { SecretBox } from './secret-box.ts';

/**
 * The key that seals secrets when REBILL_SECRET_KEY is not set: generated once into the data
 * directory (readable by its owner only) and read from there afterwards. Every process that
 * shares a database must use the same key: set REBILL_SECRET_KEY when they run on several hosts.
 */
export async function loadSecretKey(dataDir: string, log: Logger): Promise<string> {
  const file = path.join(dataDir, 'secret.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const key = SecretBox.newKey();
  // `wx`: of two processes starting at once, one writes and the other reads what it wrote.
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    log.warn({ file }, 'REBILL_SECRET_KEY is not set: generated a key for sealing secrets into the data directory');
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readFile(file, 'utf8')).trim();
  }
}
