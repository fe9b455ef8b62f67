import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { secretKey, secretOf, signedHeaders } from './webhook-signature.ts';

const key = (byte: number) => new Uint8Array(32).fill(byte);

describe('webhook signatures (Standard Webhooks)', () => {
  const now = new Date();

  it('verify with the official standardwebhooks package, and fail on a changed body, id or secret', () => {
    const secret = secretOf(key(7));
    const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { amount_paid: 1999 } } });
    const headers = signedHeaders([secret], 'msg_1', now, body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace('1999', '1998'), headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    expect(() => new Webhook(secretOf(key(8))).verify(body, headers)).toThrow();
  });

  it('sign with both secrets during a rotation, so a receiver holding either accepts', () => {
    const [fresh, old] = [secretOf(key(1)), secretOf(key(2))];
    const body = '{"id":"evt_2"}';
    const headers = signedHeaders([fresh, old], 'msg_2', now, body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const s of [fresh, old]) expect(new Webhook(s).verify(body, headers)).toEqual({ id: 'evt_2' });
    expect(() => new Webhook(secretOf(key(3))).verify(body, headers)).toThrow();
  });

  it('agree with the package on any body, id and key (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/\s/.test(s)), fc.jsonValue(),
      (bytes, id, value) => {
        const secret = secretOf(bytes);
        const body = JSON.stringify(value) ?? 'null';
        const ours = signedHeaders([secret], id, now, body);
        expect(ours['webhook-signature']).toBe(new Webhook(secret).sign(id, now, body));
      }));
  });

  it('refuse a malformed secret', () => {
    expect(() => secretKey('sk_abc')).toThrow();
    expect(() => secretKey(`whsec_${Buffer.from('short').toString('base64')}`)).toThrow();
    expect(() => signedHeaders([], 'msg', now, '{}')).toThrow();
  });
});
