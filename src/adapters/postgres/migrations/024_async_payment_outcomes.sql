-- Outcomes a processor gives later: `processing` (a bank debit, UPI, an e-mandate: settled by the
-- processor's webhook or a later status query) and `requires_action` (3-D Secure: the customer must
-- authenticate at `action_url`). Both are open: the invoice may not be charged again or voided
-- while one stands, exactly like `pending` and `unknown`.
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check
  CHECK (status IN ('pending', 'unknown', 'processing', 'requires_action', 'succeeded', 'failed'));

-- Where the customer completes the payment (requires_action), as the processor gave it.
ALTER TABLE payment_attempts ADD COLUMN action_url text;
-- How many times recovery asked the processor about this attempt: the wait before the next
-- question of an asynchronous one doubles with each, so a debit that takes days is not polled
-- every minute.
ALTER TABLE payment_attempts ADD COLUMN lookups integer NOT NULL DEFAULT 0 CHECK (lookups >= 0);

DROP INDEX payment_attempts_recover_idx;
CREATE INDEX payment_attempts_recover_idx ON payment_attempts (recover_at)
  WHERE status IN ('pending', 'unknown', 'processing', 'requires_action') AND test_clock_id IS NULL;
DROP INDEX payment_attempts_clock_recover_idx;
CREATE INDEX payment_attempts_clock_recover_idx ON payment_attempts (account_id, test_clock_id, recover_at)
  WHERE status IN ('pending', 'unknown', 'processing', 'requires_action') AND test_clock_id IS NOT NULL;
DROP INDEX payment_attempts_one_open;
CREATE UNIQUE INDEX payment_attempts_one_open ON payment_attempts (account_id, invoice_id)
  WHERE status IN ('pending', 'unknown', 'processing', 'requires_action');

-- The sandbox models both: `tok_processing` clears on the first status query after the charge,
-- `tok_threeDSecureRequired` waits for the customer until its charge is authenticated.
ALTER TABLE sandbox.charges DROP CONSTRAINT charges_status_check;
ALTER TABLE sandbox.charges ADD CONSTRAINT charges_status_check
  CHECK (status IN ('succeeded', 'failed', 'processing', 'requires_action'));
