/**
 * What a payment attempt (a Payment in the API) can be; the payment_attempts table's CHECK
 * constraint holds the same list. `unknown`: the gateway did not answer, and recovery asks it.
 */
export const PAYMENT_ATTEMPT_STATUSES = ['pending', 'unknown', 'succeeded', 'failed'] as const;
export type PaymentAttemptStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];

/**
 * An attempt whose outcome is not recorded yet: the gateway may still charge it, so nothing may
 * start another charge for its invoice, or void it, until it settles. The partial indexes of
 * open attempts on payment_attempts name the same list.
 */
export const OPEN_ATTEMPT_STATUSES = ['pending', 'unknown'] as const satisfies readonly PaymentAttemptStatus[];

export function isOpenAttempt(status: string): boolean {
  return (OPEN_ATTEMPT_STATUSES as readonly string[]).includes(status);
}
