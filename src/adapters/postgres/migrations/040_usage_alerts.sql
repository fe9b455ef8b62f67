-- Usage threshold alerts and the usage-check queue (issue 18, point 6).

-- Whether anything watches this customer's usage (an active alert; later a billing threshold).
-- Ingestion reads it with the customers it loads anyway, so a batch whose customers nobody
-- watches pays nothing more. Kept by watchCustomer / refreshWatch (src/app/usage/watch.ts).
ALTER TABLE customers ADD COLUMN usage_watched boolean NOT NULL DEFAULT false;

-- Customers whose usage changed since it was last checked: one row per customer, whatever the
-- number of events, due at check_at (business time: the customer's test clock's, if any).
-- `claim` marks a row a check is running for; ingestion clears it when more usage arrives
-- meanwhile, so the check's final DELETE (which needs its claim) leaves the row for another run.
CREATE TABLE usage_checks (
  account_id     text NOT NULL,
  customer_id    text NOT NULL,
  test_clock_id  text,
  check_at       timestamptz NOT NULL,
  claim          text,
  PRIMARY KEY (account_id, customer_id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
CREATE INDEX usage_checks_due_idx ON usage_checks (check_at) WHERE test_clock_id IS NULL;
CREATE INDEX usage_checks_clock_due_idx ON usage_checks (account_id, test_clock_id, check_at) WHERE test_clock_id IS NOT NULL;

-- Stripe's billing alert: a usage threshold on one meter for one customer. `gte` is exact.
CREATE TABLE billing_alerts (
  account_id   text NOT NULL REFERENCES accounts(id),
  id           text NOT NULL,
  title        text NOT NULL,
  alert_type   text NOT NULL CHECK (alert_type IN ('usage_threshold')),
  meter_id     text NOT NULL,
  customer_id  text NOT NULL,
  gte          numeric NOT NULL CHECK (gte > 0),
  recurrence   text NOT NULL CHECK (recurrence IN ('one_time', 'per_period')),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'archived')),
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, meter_id) REFERENCES meters(account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
-- A check reads the active alerts of one customer.
CREATE INDEX billing_alerts_customer_idx ON billing_alerts (account_id, customer_id) WHERE status = 'active';

-- One row per alert and period it fired in: the key is what makes a retried check, or two
-- workers checking one customer at once, emit billing.alert.triggered once. A one_time alert
-- fires once ever, whatever the period: the partial unique index says so.
CREATE TABLE alert_triggers (
  account_id    text NOT NULL,
  alert_id      text NOT NULL,
  period_start  timestamptz NOT NULL,
  period_end    timestamptz NOT NULL,
  one_time      boolean NOT NULL,
  value         numeric NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (account_id, alert_id, period_start),
  FOREIGN KEY (account_id, alert_id) REFERENCES billing_alerts(account_id, id)
);
CREATE UNIQUE INDEX alert_triggers_one_time_idx ON alert_triggers (account_id, alert_id) WHERE one_time;
