import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.ts';

describe('sealed secrets (AES-256-GCM)', () => {
  const box = new SecretBox(SecretBox.newKey());

  it('open to what was sealed, never show the plaintext, and differ each time', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 200 }), (secret) => {
      const sealed = box.seal(secret);
      expect(box.open(sealed)).toBe(secret);
      if (secret.length >= 8) expect(sealed).not.toContain(secret);
      expect(box.seal(secret)).not.toBe(sealed);
    }));
  });

  it('refuse a changed ciphertext, another key, and a malformed value', () => {
    const sealed = box.seal('whsec_c2VjcmV0LXNpZ25pbmcta2V5LWJ5dGVzLTEyMzQ=');
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3]!, 'base64');
    body[0] = body[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 3), body.toString('base64')].join(':'))).toThrow();
    expect(() => new SecretBox(SecretBox.newKey()).open(sealed)).toThrow();
    expect(() => box.open('plain text')).toThrow();
  });

  it('take a key of 32 bytes only, as hex or base64', () => {
    expect(() => new SecretBox('abcd')).toThrow();
    expect(new SecretBox(Buffer.alloc(32, 9).toString('base64')).open(new SecretBox('09'.repeat(32)).seal('x'))).toBe('x');
  });
});
