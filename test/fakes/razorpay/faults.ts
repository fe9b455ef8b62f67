/**
 * Network and server trouble, one request at a time. Each fault applies to the next `times`
 * requests that match it (method and path), then is used up; faults are tried in the order given.
 * - `hang`: the request is read and never answered (nothing is done);
 * - `fail`: answered `status` (default 500, Razorpay's SERVER_ERROR body; `html: true` sends a
 *   load balancer's page instead) before anything is done;
 * - `slow`: the work is done and answered after `delayMs`;
 * - `lose`: the work is done, then the connection is destroyed without an answer (a response
 *   lost on the wire: the caller cannot know the payment exists).
 */
export type Fault = {
  kind: 'hang' | 'fail' | 'slow' | 'lose';
  times?: number;
  method?: string;
  /** A path prefix (`/v1/payments/create/recurring`) or a pattern. */
  path?: string | RegExp;
  status?: number;
  html?: boolean;
  delayMs?: number;
};

export class Faults {
  private readonly queue: (Fault & { left: number })[] = [];

  add(f: Fault): void { this.queue.push({ ...f, left: f.times ?? 1 }); }

  clear(): void { this.queue.length = 0; }

  /** The fault that applies to this request, consuming one of its uses. */
  take(method: string, path: string): Fault | null {
    const i = this.queue.findIndex((f) => (!f.method || f.method.toUpperCase() === method)
      && (!f.path || (typeof f.path === 'string' ? path.startsWith(f.path) : f.path.test(path))));
    if (i < 0) return null;
    const f = this.queue[i]!;
    if (--f.left <= 0) this.queue.splice(i, 1);
    return f;
  }

  get pending(): number { return this.queue.reduce((n, f) => n + f.left, 0); }
}
