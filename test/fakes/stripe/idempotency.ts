/**
 * Stripe's v1 idempotency (docs.stripe.com/api/idempotent_requests, docs.stripe.com/idempotency):
 * the status and body of the first request with a key are saved once the endpoint starts
 * executing and replayed for the same key (with `Idempotent-Replayed: true`), including 402s
 * and 500s; a request that fails validation saves nothing; the same key with other parameters
 * (or on another endpoint) is refused with 400 `idempotency_error`; a key still executing gets
 * 409 `idempotency_key_in_use`; keys can be pruned once 24 hours old, after which the key
 * starts a new request. Keys are at most 255 characters.
 */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000;

export type Saved = { endpoint: string; fingerprint: string; at: number; requestId: string; status?: number; body?: string };

export class IdempotencyStore {
  private readonly keys = new Map<string, Saved>();

  constructor(private readonly now: () => number) {}

  /** The live entry for a key, forgetting it when older than 24 h. */
  find(key: string): Saved | undefined {
    const e = this.keys.get(key);
    if (e && this.now() - e.at >= KEY_TTL_MS) { this.keys.delete(key); return undefined; }
    return e;
  }

  begin(key: string, endpoint: string, fingerprint: string, requestId: string): void {
    this.keys.set(key, { endpoint, fingerprint, at: this.now(), requestId });
  }

  finish(key: string, status: number, body: string): void {
    const e = this.keys.get(key);
    if (e) Object.assign(e, { status, body });
  }

  /** Nothing began (validation failed, the request was cut off first): the key stays free. */
  abandon(key: string): void { this.keys.delete(key); }

  get size(): number { return this.keys.size; }
}
