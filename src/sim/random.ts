// Seeded, keyed randomness for the simulation: every draw is a pure function of the seed and the
// draw's name (customer, what, which attempt), so a figure does not depend on the order in which
// the engine happens to ask — the two strategies see the very same customers and the same luck.

/** A 32-bit hash of a string (FNV-1a followed by a murmur-style finalizer, for good low bits). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) named by `seed` and `keys`: the same names always give the same number. */
export function draw(seed: number, ...keys: (string | number)[]): number {
  return hash32(`${seed}|${keys.join('|')}`) / 2 ** 32;
}

/** A whole number from `min` to `max` (both included), named like `draw`. */
export function drawInt(min: number, max: number, seed: number, ...keys: (string | number)[]): number {
  return min + Math.floor(draw(seed, ...keys) * (max - min + 1));
}

/** One of `items`, by weight, named like `draw`. */
export function pick<T>(items: readonly (readonly [T, number])[], seed: number, ...keys: (string | number)[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = draw(seed, ...keys) * total;
  for (const [item, w] of items) {
    if (x < w) return item;
    x -= w;
  }
  return items.at(-1)![0];
}
