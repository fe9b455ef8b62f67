-- Work that a crash can interrupt is resumable by another process.
--
-- A test clock's advance holds a lease: the process running it renews `lease_until` (real time)
-- at every step. If that process dies, the lease runs out and a worker (or a repeated advance
-- call) takes the advance over and carries it on to `advance_target`.
ALTER TABLE test_clocks
  ADD COLUMN advance_target timestamptz,
  ADD COLUMN lease_owner    text,
  ADD COLUMN lease_until    timestamptz;
CREATE INDEX test_clocks_stalled_idx ON test_clocks (lease_until) WHERE status = 'advancing';

-- A payment attempt of a test-clock customer is recovered in the clock's time when the gateway
-- gave no answer. But when the process that opened it died before asking the gateway at all, the
-- clock may never reach its `recover_at`: `rescue_at` (real time) lets a worker settle it anyway.
ALTER TABLE payment_attempts ADD COLUMN rescue_at timestamptz;
CREATE INDEX payment_attempts_rescue_idx ON payment_attempts (rescue_at)
  WHERE status = 'pending' AND test_clock_id IS NOT NULL;

-- Billing a subscription that fails for an unexpected reason is retried a few times, then the
-- subscription is parked (next_action_at NULL) and listed here until an operator retries it.
ALTER TABLE subscriptions ADD COLUMN billing_failure_count integer NOT NULL DEFAULT 0;

CREATE TABLE billing_failures (
  account_id       text NOT NULL,
  id               text NOT NULL,
  subscription_id  text NOT NULL,
  test_clock_id    text,
  status           text NOT NULL CHECK (status IN ('failed', 'retried')),
  -- business time at which the parked action was due, and how often it failed
  due_at           timestamptz NOT NULL,
  attempts         integer NOT NULL,
  error_message    text NOT NULL,
  failed_at        timestamptz NOT NULL,
  retried_at       timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions(account_id, id)
);
CREATE INDEX billing_failures_subscription_idx ON billing_failures (account_id, subscription_id);
CREATE INDEX billing_failures_status_idx ON billing_failures (status, failed_at);
