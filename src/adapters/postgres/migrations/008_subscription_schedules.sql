-- Subscription schedules: a subscription's future changes planned as phases, each phase's items
-- applied at its start like an update at that instant (Stripe's subscription schedules).

CREATE TABLE subscription_schedules (
  account_id              text NOT NULL REFERENCES accounts(id),
  id                      text NOT NULL,
  customer_id             text NOT NULL,
  -- null until a not_started schedule starts and creates its subscription
  subscription_id         text,
  -- copied from the customer (which never changes clock) so due boundaries are found without a join
  test_clock_id           text,
  status                  text NOT NULL CHECK (status IN ('not_started', 'active', 'completed', 'released', 'canceled')),
  end_behavior            text NOT NULL CHECK (end_behavior IN ('release', 'cancel')),
  -- every phase with the start_date and end_date computed when it was set: the phases tile time
  phases                  jsonb NOT NULL,
  -- index into phases while active, else null
  current_phase           integer,
  -- business time of the next boundary (the start, a phase's end); null once nothing is left to do
  next_phase_at           timestamptz,
  -- a boundary whose application failed: how often, and (real time) when it may be tried again
  failure_count           integer NOT NULL DEFAULT 0,
  retry_at                timestamptz,
  released_subscription_id text,
  released_at             timestamptz,
  canceled_at             timestamptz,
  completed_at            timestamptz,
  metadata                jsonb NOT NULL DEFAULT '{}',
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL,
  version                 integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id),
  FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions(account_id, id),
  FOREIGN KEY (account_id, test_clock_id) REFERENCES test_clocks(account_id, id)
);
-- Workers claim real-time boundaries; a test clock's advance looks up its own.
CREATE INDEX subscription_schedules_due_idx ON subscription_schedules (next_phase_at)
  WHERE next_phase_at IS NOT NULL AND test_clock_id IS NULL;
CREATE INDEX subscription_schedules_clock_due_idx ON subscription_schedules (account_id, test_clock_id, next_phase_at)
  WHERE next_phase_at IS NOT NULL AND test_clock_id IS NOT NULL;
CREATE INDEX subscription_schedules_customer_idx ON subscription_schedules (account_id, customer_id);
-- A subscription follows at most one schedule at a time.
CREATE UNIQUE INDEX subscription_schedules_one_active ON subscription_schedules (account_id, subscription_id)
  WHERE status = 'active';

-- The schedule a subscription follows, while it follows one.
ALTER TABLE subscriptions ADD COLUMN schedule_id text;
