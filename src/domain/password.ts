import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with Node's built-in scrypt (memory-hard; no dependency). The parameters are
 * OWASP's for scrypt: N = 2^15, r = 8, p = 3, which takes 128·N·r = 32 MiB per hash. They are
 * written into the hash string, PHC-style, so they can be raised later and old hashes still check:
 *
 *   $scrypt$ln=15,r=8,p=3$<salt, base64>$<32-byte key, base64>
 */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 3 } as const;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
type Params = { ln: number; r: number; p: number };

function derive(password: string, salt: Buffer, { ln, r, p }: Params, length = KEY_LENGTH): Promise<Buffer> {
  // maxmem above the 128·N·r the parameters need (Node's default is exactly 32 MiB, too tight).
  const options: ScryptOptions = { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new hash of `password` with a fresh random salt and the current parameters. */
export async function hashPassword(password: string, params: Params = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The parts of a stored hash, or null when it is not one this module wrote. */
export function parseHash(stored: string): { params: Params; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds keep a tampered row from asking for gigabytes (or from checking with nothing).
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  const key = Buffer.from(m[5]!, 'base64');
  return key.length >= 16 ? { params, salt: Buffer.from(m[4]!, 'base64'), key } : null;
}

/** Whether `password` is the one `stored` was made from; the comparison takes constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made with weaker parameters than today's (rehash it at the next sign-in). */
export function needsRehash(stored: string): boolean {
  const p = parseHash(stored)?.params;
  return !p || p.ln < SCRYPT_PARAMS.ln || p.r < SCRYPT_PARAMS.r || p.p < SCRYPT_PARAMS.p;
}

let dummy: Promise<string> | null = null;
/**
 * A hash of no one's password, checked when the email is unknown so that a failed sign-in takes
 * the same time whether or not the account exists.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}
