-- Failover (issue 16, point 6): an attempt opened on another gateway because the one it replaces
-- failed there with the processor's own error names that attempt. The chain of these links tells
-- which gateways an invoice's charge has already been through, so it never goes back to one.
ALTER TABLE payment_attempts ADD COLUMN failover_of text;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_failover_of_fkey
  FOREIGN KEY (account_id, failover_of) REFERENCES payment_attempts (account_id, id);
