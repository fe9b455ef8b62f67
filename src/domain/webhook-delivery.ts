// When webhook deliveries are tried again, and which events an endpoint takes. Pure: the
// delivery engine asks, given what happened so far, when the next attempt is due.

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/**
 * Wait before each attempt after the first failure: quick retries for a blip, then hours apart
 * for an outage, spanning just over three days in all (77 h 35 min 5 s) before the delivery is
 * given up on.
 */
export const RETRY_DELAYS_MS: readonly number[] = [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H, 10 * H, 10 * H, 10 * H, 10 * H, 10 * H];

/** An endpoint that has failed every delivery for this long (and succeeded at none) is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * H;

/** When attempt number `attempts + 1` is due after `attempts` failed ones ending at `at`; null: no more. */
export function nextAttemptAt(attempts: number, at: Date): Date | null {
  if (attempts < 1) return at;
  const wait = RETRY_DELAYS_MS[attempts - 1];
  return wait === undefined ? null : new Date(at.getTime() + wait);
}

/** Whether an endpoint failing since `failingSince` (no success after it) is to be disabled at `now`. */
export function shouldDisable(failingSince: Date | null, now: Date): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_MS;
}

/** `*` takes every event; otherwise exact types only. */
export function takesEvent(enabledEvents: readonly string[], type: string): boolean {
  return enabledEvents.includes('*') || enabledEvents.includes(type);
}

/** A 2xx answer is a delivery; anything else (other statuses, timeouts, refused connections) is retried. */
export const delivered = (status: number | null): boolean => status !== null && status >= 200 && status < 300;
