import { describe, expect, it } from 'vitest';
import { ok } from '../builders.ts';
import { harness } from '../support.ts';
import { buildServer } from '../../src/http/server.ts';

const PASSWORD = 'a long enough passphrase';

/**
 * The login limit per client address (20 failures in 15 minutes) keys on the client as the
 * trusted proxies name it (REBILL_TRUST_PROXY), and on the socket's peer when none is trusted:
 * then X-Forwarded-For is the client's own say and changes nothing.
 */
describe('client addresses behind a proxy', async () => {
  const h = await harness();
  await ok(h, 'POST', '/v1/users', { email: 'pat@example.com', password: PASSWORD, role: 'admin' });

  async function scenario(trustProxy: string[] | false) {
    h.clock.advanceMs(16 * 60_000);
    const app = await buildServer(h.deps, { logLevel: 'silent', trustProxy });
    try {
      const signIn = async (client: string, email: string, password: string) => (await app.inject({
        method: 'POST', url: '/v1/sessions', remoteAddress: '127.0.0.1',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, payload: { email, password },
      })).statusCode;
      for (let i = 0; i < 20; i++) expect(await signIn('203.0.113.7', `guess${i}@example.com`, 'wrong password')).toBe(401);
      return { guesser: await signIn('203.0.113.7', 'pat@example.com', PASSWORD), other: await signIn('198.51.100.9', 'pat@example.com', PASSWORD) };
    } finally {
      await app.close();
    }
  }

  it('behind a trusted proxy, one client\'s failures hold back that client only', async () => {
    expect(await scenario(['127.0.0.1'])).toEqual({ guesser: 429, other: 200 });
  });

  it('with no proxy trusted, a client cannot name another address to get past the limit', async () => {
    expect(await scenario(false)).toEqual({ guesser: 429, other: 429 });
  });
});
