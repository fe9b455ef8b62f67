// Gateway health (issue 16, point 6): whether a processor is failing on its own side, judged from
// Rebill's recent calls to it. Pure: the calls in, figures and a verdict out. docs/failover.md
// explains the rule; the app reads the calls (src/app/gateways/health.ts).

/** What one charge call got: the gateway's own failure (5xx, timeout, processing_error) is `gateway_error`. */
export const GATEWAY_RESULTS = ['succeeded', 'declined', 'gateway_error', 'pending'] as const;
export type GatewayResult = (typeof GATEWAY_RESULTS)[number];

export type GatewayCall = { at: Date; ms: number; result: GatewayResult };

/**
 * The breaker's settings. A gateway is unhealthy while, over the last `windowMs`, it took at least
 * `minCalls` charges, at least `errorRate` of them failed on the gateway's side, and the latest of
 * them did too. Five minutes: long enough to see a pattern at a few charges a minute, short
 * enough that an outage is noticed before a billing run has sent most of its charges into it.
 * Five calls: fewer would let two unlucky timeouts of a quiet account move its traffic. Half:
 * card declines are the card's fault and do not count, so a processor failing every other call
 * on its own is broken, not unlucky. `coolDownMs`: after a minute without calls an unhealthy
 * gateway may take one charge again (a probe, half-open); if that succeeds it is healthy at once,
 * if it fails the minute starts again. With no probe, the errors age out of the window.
 */
export const HEALTH_RULE = { windowMs: 5 * 60_000, minCalls: 5, errorRate: 0.5, coolDownMs: 60_000 } as const;
/** How far back the health report looks. */
export const REPORT_MS = 60 * 60_000;

/** The window's calls, as one grouped query can count them. */
export type WindowSummary = { calls: number; errors: number; lastAt: Date | null; lastResult: GatewayResult | null };

export const tripped = (w: WindowSummary): boolean =>
  w.calls >= HEALTH_RULE.minCalls && w.errors >= w.calls * HEALTH_RULE.errorRate && w.lastResult === 'gateway_error';

/** Routing: skip the gateway, or let one charge probe it (half-open), or use it as usual. */
export function routingVerdict(w: WindowSummary, now: Date): 'use' | 'probe' | 'skip' {
  if (!tripped(w)) return 'use';
  return w.lastAt && now.getTime() - w.lastAt.getTime() >= HEALTH_RULE.coolDownMs ? 'probe' : 'skip';
}

export type HealthReport = {
  attempts: number; succeeded: number; declined: number; gateway_errors: number; pending: number;
  success_rate: number | null; latency_ms: { p50: number | null; p95: number | null };
  status: 'healthy' | 'unhealthy'; since: Date | null;
};

/** Nearest rank: the smallest value with at least p of the values at or below it. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/**
 * The report at `now` from the calls since `now - REPORT_MS - windowMs`, oldest first (the extra
 * window lets the status at the start of the hour be judged). `since`: when the current status
 * began, or null when it held for the whole hour.
 */
export function healthReport(calls: readonly GatewayCall[], now: Date): HealthReport {
  const from = now.getTime() - REPORT_MS;
  const hour = calls.filter((c) => c.at.getTime() > from && c.at.getTime() <= now.getTime());
  const count = (r: GatewayResult) => hour.filter((c) => c.result === r).length;
  const succeeded = count('succeeded');
  const ms = hour.map((c) => c.ms).sort((a, b) => a - b);
  const statusAt = statusOver(calls);
  const current = statusAt(now.getTime());
  // The status only changes when a call enters the window or leaves it.
  const points = [...new Set(calls.flatMap((c) => [c.at.getTime(), c.at.getTime() + HEALTH_RULE.windowMs]))]
    .filter((t) => t > from && t <= now.getTime()).sort((a, b) => a - b);
  let since: Date | null = null;
  for (let i = points.length - 1; i >= 0; i--) {
    if (statusAt(points[i]!) !== current) { since = i + 1 < points.length ? new Date(points[i + 1]!) : now; break; }
  }
  if (since === null && points.length > 0 && statusAt(from) !== current) since = new Date(points[0]!);
  return {
    attempts: hour.length, succeeded, declined: count('declined'), gateway_errors: count('gateway_error'), pending: count('pending'),
    success_rate: hour.length ? Math.round((succeeded / hour.length) * 10_000) / 10_000 : null,
    latency_ms: { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) }, status: current, since,
  };
}

/** The status at any time T, judged on the calls in (T - windowMs, T]; `calls` oldest first. */
function statusOver(calls: readonly GatewayCall[]): (t: number) => 'healthy' | 'unhealthy' {
  const times = calls.map((c) => c.at.getTime());
  const errorsBefore = [0];
  for (const c of calls) errorsBefore.push(errorsBefore.at(-1)! + (c.result === 'gateway_error' ? 1 : 0));
  // Index of the first call after t.
  const after = (t: number) => { let lo = 0, hi = times.length; while (lo < hi) { const m = (lo + hi) >> 1; if (times[m]! <= t) lo = m + 1; else hi = m; } return lo; };
  return (t) => {
    const start = after(t - HEALTH_RULE.windowMs), end = after(t);
    const last = end > start ? calls[end - 1]! : null;
    const w: WindowSummary = { calls: end - start, errors: errorsBefore[end]! - errorsBefore[start]!, lastAt: last?.at ?? null, lastResult: last?.result ?? null };
    return tripped(w) ? 'unhealthy' : 'healthy';
  };
}
