/**
 * What a payment attempt (a Payment in the API) can be; the payment_attempts table's CHECK
 * constraint holds the same list. `unknown`: the gateway did not answer, and recovery asks it.
 * `processing`: the processor accepted it and settles it later (bank debits, UPI).
 * `requires_action`: the customer must authenticate (3-D Secure) at the attempt's action URL.
 */
export const PAYMENT_ATTEMPT_STATUSES = ['pending', 'unknown', 'processing', 'requires_action', 'succeeded', 'failed'] as const;
export type PaymentAttemptStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];

/**
 * An attempt whose outcome is not recorded yet: the gateway may still charge it, so nothing may
 * start another charge for its invoice, or void it, until it settles. The partial indexes of
 * open attempts on payment_attempts name the same list.
 */
export const OPEN_ATTEMPT_STATUSES = ['pending', 'unknown', 'processing', 'requires_action'] as const satisfies readonly PaymentAttemptStatus[];

export function isOpenAttempt(status: string): boolean {
  return (OPEN_ATTEMPT_STATUSES as readonly string[]).includes(status);
}

/** Open because the processor said so (not because it said nothing): recovery asks less and less often. */
export const ASYNC_ATTEMPT_STATUSES = ['processing', 'requires_action'] as const satisfies readonly PaymentAttemptStatus[];
