// Secrets at rest (webhook signing secrets, gateway credentials): AES-256-GCM under a key from
// REBILL_SECRET_KEY. Each value gets a fresh 96-bit nonce; the authentication tag makes a
// changed ciphertext (or another key) fail loudly instead of decrypting to garbage.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  /** `key`: 32 bytes, given as 64 hex digits or base64. */
  constructor(key: string) {
    const bytes = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
    if (bytes.length !== 32) throw new Error('REBILL_SECRET_KEY must be 32 bytes (64 hex digits or base64)');
    this.key = bytes;
  }

  /** A new random key in the form the constructor takes. */
  static newKey(): string {
    return randomBytes(32).toString('hex');
  }

  seal(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, nonce.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [version, nonce, tag, body] = sealed.split(':');
    if (version !== VERSION || !nonce || !tag || body === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
