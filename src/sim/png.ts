// The recovery chart as a PNG, with nothing but node:zlib: an RGB raster with gridlines and one
// coloured curve per strategy, encoded by hand (signature, IHDR, one IDAT, IEND). No text is
// drawn; the CLI prints which colour is which strategy and what the gridlines mark.
import { crc32, deflateSync } from 'node:zlib';

const W = 720;
const H = 400;
const PAD = 30;
/** Curve colours, in strategy order; the CLI names them. */
export const COLOURS = [['blue', [31, 119, 180]], ['orange', [255, 127, 14]], ['green', [44, 160, 44]], ['red', [214, 39, 40]]] as const;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes `rgb` (W × H × 3 bytes, rows top to bottom) as a PNG: 8-bit truecolour, no filtering. */
function encode(rgb: Buffer): Buffer {
  const raw = Buffer.alloc((W * 3 + 1) * H);
  for (let y = 0; y < H; y++) rgb.copy(raw, y * (W * 3 + 1) + 1, y * W * 3, (y + 1) * W * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Cumulative recovery curves (`curves[s][d]`: share recovered within d days) on a 0–`top` scale,
 * `top` being the highest share rounded up to 10%. Gridlines: every tenth of the scale, every 7 days.
 */
export function chartPng(curves: readonly (readonly number[])[]): { png: Buffer; top: number } {
  const rgb = Buffer.alloc(W * H * 3, 255);
  const put = (x: number, y: number, c: readonly number[]) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    rgb.set(c, (Math.round(y) * W + Math.round(x)) * 3);
  };
  const days = Math.max(1, ...curves.map((c) => c.length - 1));
  const top = Math.max(0.1, Math.ceil(Math.max(0, ...curves.flat()) * 10) / 10);
  const px = (d: number) => PAD + (d / days) * (W - 2 * PAD);
  const py = (v: number) => H - PAD - (v / top) * (H - 2 * PAD);
  for (let i = 0; i <= 10; i++) for (let x = PAD; x <= W - PAD; x++) put(x, py((top * i) / 10), i === 0 ? [0, 0, 0] : [225, 225, 225]);
  for (let d = 0; d <= days; d += 7) for (let y = PAD; y <= H - PAD; y++) put(px(d), y, d === 0 ? [0, 0, 0] : [225, 225, 225]);
  curves.forEach((c, s) => {
    const colour = COLOURS[s % COLOURS.length]![1];
    for (let d = 1; d < c.length; d++) {
      // A straight segment between consecutive days, three pixels thick.
      const steps = Math.ceil(Math.max(Math.abs(px(d) - px(d - 1)), Math.abs(py(c[d]!) - py(c[d - 1]!))));
      for (let k = 0; k <= steps; k++) {
        const x = px(d - 1) + ((px(d) - px(d - 1)) * k) / steps;
        const y = py(c[d - 1]!) + ((py(c[d]!) - py(c[d - 1]!)) * k) / steps;
        for (const [dx, dy] of [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]]) put(x + dx!, y + dy!, colour);
      }
    }
  });
  return { png: encode(rgb), top };
}
