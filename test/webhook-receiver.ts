import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';

export type Received = {
  id: string; type: string; object: string; sequence: number; status: number;
  /** For each secret the receiver knows, whether the official package accepted the delivery with it. */
  verified: boolean[];
  /** The sender hung up (timed out, or its process died) before the answer was written: it never saw `status`. */
  interrupted: boolean;
  body: any; headers: http.IncomingHttpHeaders;
};

/**
 * A merchant's endpoint on a loopback port: it verifies every delivery with the official
 * `standardwebhooks` package against each secret it is given, and answers `answer()` (503 while
 * "down"), after `delayMs()` when given (a slow receiver, so that a sender can die with requests
 * in flight). What it received is kept in order of answer; `onArrival` hears of each delivery
 * as soon as its body is in, before it is answered.
 */
export async function startReceiver(opts: { secrets?: () => string[]; answer?: () => number; delayMs?: () => number; onArrival?: (id: string) => void } = {}) {
  const received: Received[] = [];
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    // The answer's stream closes before it was written only when the connection went away.
    let hungUp = false;
    res.on('close', () => { if (!res.writableFinished) hungUp = true; });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const verified = (opts.secrets?.() ?? []).map((s) => {
        try { new Webhook(s).verify(raw, req.headers as Record<string, string>); return true; } catch { return false; }
      });
      const body = JSON.parse(raw);
      inFlight++;
      opts.onArrival?.(body.id);
      const delay = opts.delayMs?.() ?? 0;
      if (delay > 0) await sleep(delay);
      inFlight--;
      const status = opts.answer?.() ?? 200;
      const interrupted = hungUp || req.socket.destroyed;
      received.push({ id: body.id, type: body.type, object: body.data?.object?.id, sequence: body.sequence, status, verified, interrupted, body, headers: req.headers });
      if (!interrupted) res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    /** Deliveries whose body is in and whose answer is not yet written. */
    inFlight: () => inFlight,
    /** Deliveries answered 2xx to a sender still listening, in answer order. */
    accepted: () => received.filter((r) => r.status < 300 && !r.interrupted),
    /** Drops kept-alive connections: the next delivery has to connect (and resolve) again. */
    closeIdle: () => server.closeIdleConnections(),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
