import { describe, expect, it } from 'vitest';
import { containsCardNumber } from './card-number.ts';
import { MAX_INPUT_DEPTH, isWellFormed, scanInput } from './input-scan.ts';

const card = (text: string) => (containsCardNumber(text) ? 'card' : null);

/** `levels` arrays, one inside the other, built without recursion. */
function nested(levels: number, inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe('scanning request input', () => {
  it('names where in the input the refused text was, without echoing it', () => {
    expect(scanInput({ metadata: { note: 'pay 4242 4242 4242 4242' } }, card)).toEqual({ problem: 'card', param: 'metadata[note]' });
    expect(scanInput({ items: [{ price: 'price_1' }, { price: '5555-5555-5555-4444' }] }, card)?.param).toBe('items[1][price]');
    expect(scanInput({ metadata: { '4242424242424242': 'x' } }, card)?.param).toBe('metadata');
    expect(scanInput({ amount: 4242424242424242 }, card)?.param).toBe('amount');
    expect(scanInput('4242424242424242', card)?.param).toBe('body');
    expect(scanInput({ name: 'Ada', amount: 2000, ok: true, none: null }, card)).toBeNull();
  });

  it('looks at values in document order', () => {
    const problem = (t: string) => (t.startsWith('bad') ? 'bad' : null);
    expect(scanInput({ a: ['ok', { b: 'bad1' }], c: 'bad2' }, problem)?.param).toBe('a[1][b]');
  });

  it(`refuses input nested deeper than ${MAX_INPUT_DEPTH} levels without using the JS stack`, () => {
    expect(scanInput(nested(MAX_INPUT_DEPTH), card)).toBeNull();
    expect(scanInput(nested(MAX_INPUT_DEPTH + 1), card)).toEqual({ problem: 'too_deep', param: 'body' });
    expect(scanInput({ metadata: nested(MAX_INPUT_DEPTH) }, card)).toEqual({ problem: 'too_deep', param: 'metadata' });
    // 8,000 levels, as in the request that used to overflow the stack; and far more.
    expect(scanInput(JSON.parse('['.repeat(8_000) + ']'.repeat(8_000)), card)?.problem).toBe('too_deep');
    expect(scanInput(nested(200_000), card, Infinity)).toBeNull();
  });

  it('tells well-formed text from text holding half a surrogate pair', () => {
    for (const t of ['', 'plain', 'emoji 😀', 'e\u0301', '\u{10ffff}']) expect(isWellFormed(t), t).toBe(true);
    for (const t of ['\ud800', 'a\udc00b', '\ud83d', '😀'.slice(1), '\udc00\ud800']) expect(isWellFormed(t), JSON.stringify(t)).toBe(false);
  });
});
