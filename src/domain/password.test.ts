import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, parseHash, verifyPassword } from './password.ts';

describe('password hashes', () => {
  it('are scrypt strings with their parameters, a 16-byte salt and a 32-byte key, never the password', async () => {
    const password = 'correct horse battery';
    const stored = await hashPassword(password);
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(stored).not.toContain(password);
    const parsed = parseHash(stored)!;
    expect([parsed.salt.length, parsed.key.length]).toEqual([16, 32]);
    expect(await verifyPassword(password, stored)).toBe(true);
    expect(await verifyPassword('correct horse battery ', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery', stored)).toBe(false);
  });

  it('take a fresh salt each time: the same password hashes differently', async () => {
    const [a, b] = [await hashPassword('same password!'), await hashPassword('same password!')];
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password!', b)).toBe(true);
  });

  it('are checked with the parameters written in them, so older (weaker) hashes still sign in and are marked for rehashing', async () => {
    const old = await hashPassword('an older password', { ln: 14, r: 8, p: 1 });
    expect(old.startsWith('$scrypt$ln=14,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('an older password', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('a current password'))).toBe(false);
  });

  it('refuse what is not a hash of theirs, or one edited to ask for absurd parameters', async () => {
    const stored = await hashPassword('tampered with?');
    for (const bad of ['', 'plain text', stored.replace('ln=15', 'ln=30'), stored.replace('p=3', 'p=0'), stored.replace(/\$[^$]+$/, '$AAAA')]) {
      expect(await verifyPassword('tampered with?', bad), bad).toBe(false);
    }
  });
});
