import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestMac, signatureProblem, signRequest } from './gateway-signature.ts';

const secret = 'sign_0123456789abcdef';
const at = new Date('2027-03-01T12:00:00Z');
const req = { method: 'POST', path: '/api/charges', body: '{"amount":"1500","currency":"eur"}' };

describe('custom gateway signatures', () => {
  it('sign t, the method, the path with its query and the body, as the contract documents', () => {
    const header = signRequest(secret, at, req);
    const t = Math.floor(at.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${requestMac(secret, t, req)}`);
    // The documented formula, computed independently of requestMac.
    const mac = createHmac('sha256', secret).update(`${t}.POST./api/charges.${req.body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${mac}`);
    expect(signatureProblem(secret, header, req, at)).toBeNull();
  });

  it('refuse a missing, malformed, stale, tampered or wrongly keyed signature', () => {
    const header = signRequest(secret, at, req);
    expect(signatureProblem(secret, undefined, req, at)).toBe('missing');
    expect(signatureProblem(secret, 'v1=abc', req, at)).toBe('malformed');
    expect(signatureProblem(secret, header, req, new Date(at.getTime() + 301_000))).toBe('stale');
    expect(signatureProblem(secret, header, req, new Date(at.getTime() - 301_000))).toBe('stale');
    expect(signatureProblem(secret, header, req, new Date(at.getTime() + 299_000))).toBeNull();
    expect(signatureProblem(secret, header, { ...req, method: 'GET' }, at)).toBe('mismatch');
    expect(signatureProblem(secret, header, { ...req, path: '/api/refunds' }, at)).toBe('mismatch');
    expect(signatureProblem(secret, header, { ...req, body: req.body.replace('1500', '1501') }, at)).toBe('mismatch');
    expect(signatureProblem('sign_other_secret', header, req, at)).toBe('mismatch');
  });

  it('accept any one of several v1 entries (a secret rotation)', () => {
    const t = Math.floor(at.getTime() / 1000);
    const header = `t=${t},v1=${requestMac('sign_old_secret', t, req)},v1=${requestMac(secret, t, req)}`;
    expect(signatureProblem(secret, header, req, at)).toBeNull();
    expect(signatureProblem('sign_old_secret', header, req, at)).toBeNull();
    expect(signatureProblem('sign_third_one', header, req, at)).toBe('mismatch');
  });

  it('round-trip any body, path and time; fail on any change of the body or an old timestamp (property)', () => {
    fc.assert(fc.property(
      fc.string({ minLength: 8, maxLength: 64 }), fc.string({ maxLength: 300 }), fc.webPath(),
      fc.integer({ min: 0, max: 4_000_000_000 }), fc.constantFrom('GET', 'POST'), fc.string({ minLength: 1, maxLength: 5 }),
      fc.integer({ min: 301, max: 100_000_000 }),
      (key, body, path, seconds, method, extra, late) => {
        const when = new Date(seconds * 1000);
        const r = { method, path: path || '/', body };
        const header = signRequest(key, when, r);
        expect(signatureProblem(key, header, r, when)).toBeNull();
        expect(signatureProblem(key, header, { ...r, body: body + extra }, when)).toBe('mismatch');
        expect(signatureProblem(key, header, r, new Date((seconds + late) * 1000))).toBe('stale');
      }));
  });
});
