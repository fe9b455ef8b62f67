import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { Agent, request } from 'undici';
import type { WebhookRequest, WebhookResponse, WebhookSender } from '../app/ports.ts';
import { addressAllowed, type UrlPolicy } from '../domain/webhook-url.ts';

/** How a host name is resolved: every address it has (node:dns `lookup` with `all: true`). */
export type Resolve = (host: string) => Promise<LookupAddress[]>;

export type SenderOptions = {
  policy: UrlPolicy;
  /** The whole request, connection to last byte read. */
  timeoutMs?: number;
  /** Read at most this much of an answer; the rest is not waited for. */
  maxResponseBytes?: number;
  /** Open connections per receiving origin. */
  connectionsPerOrigin?: number;
  /** The resolver (tests put a changing DNS here); the system's by default. */
  resolve?: Resolve;
};

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Open connections per receiving origin, per process, unless told otherwise. */
export const CONNECTIONS_PER_ORIGIN = 64;
const MAX_ERROR = 300;

const systemResolve: Resolve = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/** Refused by the address policy: no connection was made. */
class AddressNotAllowed extends Error {
  readonly code = 'EADDRNOTALLOWED';
}

/**
 * Webhook deliveries over undici. The address check sits in the connection's own DNS lookup, so
 * the address judged is the address connected to (a name cannot resolve to a public address
 * for the check and to 169.254.169.254 for the connection), and it runs for every new
 * connection: a DNS change after the endpoint was saved is caught. Redirects are not followed
 * (a 3xx is not a 2xx, so it is retried like any failure).
 */
export function createWebhookSender(opts: SenderOptions): WebhookSender {
  const resolve = opts.resolve ?? systemResolve;
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const maxBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;

  function lookup(host: string, options: LookupOneOptions | LookupAllOptions, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) {
    resolve(host).then((all) => {
      const refused = all.find((a) => !addressAllowed(a.address, opts.policy));
      if (all.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
      if (refused) throw new AddressNotAllowed(`${host} resolves to ${refused.address}, which deliveries may not reach (private, loopback, link-local or metadata range)`);
      if ((options as LookupAllOptions).all) cb(null, all);
      else cb(null, all[0]!.address, all[0]!.family);
    }).catch((err: Error) => cb(err, ''));
  }

  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? CONNECTIONS_PER_ORIGIN,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs, lookup: lookup as never },
  });

  // An IP literal never goes through `lookup`: it is judged here, once per URL.
  const refusedLiteral = new Map<string, string | null>();
  function literalRefused(url: string): string | null {
    let refused = refusedLiteral.get(url);
    if (refused === undefined) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      refused = /^[\d.]+$|:/.test(host) && !addressAllowed(host, opts.policy) ? host : null;
      if (refusedLiteral.size >= 10_000) refusedLiteral.clear();
      refusedLiteral.set(url, refused);
    }
    return refused;
  }

  return {
    deadline: () => AbortSignal.timeout(timeoutMs),
    async send(req: WebhookRequest): Promise<WebhookResponse> {
      const start = performance.now();
      const took = () => Math.round(performance.now() - start);
      try {
        const refused = literalRefused(req.url);
        if (refused) return { status: null, durationMs: took(), error: `address not allowed: ${refused}` };
        const res = await request(req.url, {
          method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', 'user-agent': 'Rebill-Webhooks/1', ...req.headers },
          body: req.body, signal: req.signal ?? AbortSignal.timeout(timeoutMs),
        });
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        // A delivered answer's body is not kept: read past (up to the cap), never decoded.
        if (ok) { await res.body.dump({ limit: maxBytes }); return { status: res.statusCode, durationMs: took(), error: null }; }
        const excerpt = await readUpTo(res.body, maxBytes);
        return { status: res.statusCode, durationMs: took(), error: `HTTP ${res.statusCode}${excerpt ? `: ${excerpt}` : ''}`.slice(0, MAX_ERROR) };
      } catch (err) {
        return { status: null, durationMs: took(), error: describe(err) };
      }
    },
    close: () => agent.close(),
  };
}

/** The start of an answer's body as text (kept for the delivery's error), the rest discarded unread. */
async function readUpTo(body: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= max) { body.destroy(); break; }
  }
  return Buffer.concat(parts).subarray(0, Math.min(size, max)).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 200);
}

function describe(err: unknown): string {
  let e = err as (Error & { code?: string; cause?: unknown }) | undefined;
  // undici wraps the socket's error; the innermost one says what happened.
  while (e?.cause instanceof Error) e = e.cause as Error & { code?: string };
  if (e instanceof AddressNotAllowed || e?.code === 'EADDRNOTALLOWED') return `address not allowed: ${e.message}`;
  if (e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return 'timed out';
  }
  const msg = e?.message ?? String(err);
  return (e?.code ? `${e.code}: ${msg}` : msg).slice(0, MAX_ERROR);
}
