/**
 * Network and server faults the fake can inject, each for the next `times` matching requests:
 * - `hang`: never answers and does nothing (the client's timeout fires; nothing was charged);
 * - `error`: answers `status` (500) with Stripe's `api_error` body before doing anything
 *   (nothing saved under the idempotency key: a retry with it executes);
 * - `errorAfter`: does the work, then answers the 500, saved under the key as Stripe saves
 *   errors met mid-execution: a retry with the key replays the 500; only search finds the charge;
 * - `delay`: waits `ms` real milliseconds while executing (its idempotency key in flight, so a
 *   concurrent retry meets 409), then does the work and answers;
 * - `lose`: does the work, then destroys the socket without answering (a lost response: the
 *   charge exists). stripe-node retries ECONNRESET once even with maxNetworkRetries 0, with the
 *   same idempotency key, so `times: 1` is healed by the replay; use `times: 2` to lose both;
 * - `hangAfter`: does the work, then never answers (a timeout after the charge was made).
 */
export type FaultKind = 'hang' | 'error' | 'errorAfter' | 'delay' | 'lose' | 'hangAfter';
export type FaultSpec = {
  kind: FaultKind;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Only requests whose path starts with this string (or matches this RegExp). */
  path?: string | RegExp;
  method?: 'GET' | 'POST';
  /** For `error`: the HTTP status (default 500). */
  status?: number;
  /** For `delay`: milliseconds before answering. */
  ms?: number;
  /** For `delay`: also wait for this (a test's gate), so "still executing" does not depend on timing. */
  until?: Promise<unknown>;
};

type Armed = FaultSpec & { left: number };

export class Faults {
  private armed: Armed[] = [];

  add(spec: FaultSpec): void { this.armed.push({ ...spec, left: spec.times ?? 1 }); }
  clear(): void { this.armed = []; }
  get pending(): number { return this.armed.reduce((n, f) => n + f.left, 0); }

  /** The fault the request meets, if any; consumes one of its uses. */
  take(method: string, path: string): FaultSpec | undefined {
    const f = this.armed.find((a) => a.left > 0 && (!a.method || a.method === method) &&
      (a.path === undefined || (typeof a.path === 'string' ? path.startsWith(a.path) : a.path.test(path))));
    if (!f) return undefined;
    f.left--;
    this.armed = this.armed.filter((a) => a.left > 0);
    return f;
  }
}
