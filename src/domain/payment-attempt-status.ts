/**
 * What a payment attempt (a Payment in the API) can be; the payment_attempts table's CHECK
 * constraint holds the same list. `unknown`: the gateway did not answer, and recovery asks it.
 */
export const PAYMENT_ATTEMPT_STATUSES = ['pending', 'unknown', 'succeeded', 'failed'] as const;
export type PaymentAttemptStatus = (typeof PAYMENT_ATTEMPT_STATUSES)[number];
