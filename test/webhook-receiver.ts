import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = {
  id: string; type: string; object: string; sequence: number; status: number;
  /** For each secret the receiver knows, whether the official package accepted the delivery with it. */
  verified: boolean[];
  body: any; headers: http.IncomingHttpHeaders;
};

/**
 * A merchant's endpoint on a loopback port: it verifies every delivery with the official
 * `standardwebhooks` package against each secret it is given, and answers `answer()` (503 while
 * "down"). What it received is kept in order of arrival.
 */
export async function startReceiver(opts: { secrets?: () => string[]; answer?: () => number } = {}) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const verified = (opts.secrets?.() ?? []).map((s) => {
        try { new Webhook(s).verify(raw, req.headers as Record<string, string>); return true; } catch { return false; }
      });
      const status = opts.answer?.() ?? 200;
      const body = JSON.parse(raw);
      received.push({ id: body.id, type: body.type, object: body.data?.object?.id, sequence: body.sequence, status, verified, body, headers: req.headers });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    /** Deliveries answered 2xx, in arrival order. */
    accepted: () => received.filter((r) => r.status < 300),
    /** Drops kept-alive connections: the next delivery has to connect (and resolve) again. */
    closeIdle: () => server.closeIdleConnections(),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
