-- Dunning (issue 17): policies that say how a failed renewal is recovered, and one case per
-- invoice in recovery. The policy's rules are the pure core's (src/domain/dunning/policy.ts);
-- the columns hold them as the API names them.
CREATE TABLE dunning_policies (
  account_id           text NOT NULL REFERENCES accounts(id),
  id                   text NOT NULL,
  name                 text NOT NULL,
  -- The account's default (at most one); without one, Rebill's built-in default applies.
  is_default           boolean NOT NULL DEFAULT false,
  retry_schedule_days  integer[] NOT NULL CHECK (cardinality(retry_schedule_days) BETWEEN 1 AND 15),
  preferred_hour       integer CHECK (preferred_hour BETWEEN 0 AND 23),
  max_retries          integer NOT NULL CHECK (max_retries BETWEEN 0 AND 15),
  -- {soft, hard, fraud, config} → follow_schedule | request_new_card | alert_merchant
  category_actions     jsonb NOT NULL,
  grace_period_days    integer NOT NULL CHECK (grace_period_days BETWEEN 0 AND 90),
  end_action           text NOT NULL CHECK (end_action IN ('cancel', 'mark_unpaid', 'leave_past_due')),
  mark_uncollectible   boolean NOT NULL DEFAULT false,
  metadata             jsonb NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  version              integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id)
);
CREATE UNIQUE INDEX dunning_policies_one_default ON dunning_policies (account_id) WHERE is_default;

-- Overrides: a subscription's policy wins over its customer's, which wins over the account's.
-- The customer's time zone places retries at the policy's preferred hour of their day.
ALTER TABLE customers ADD COLUMN dunning_policy_id text, ADD COLUMN time_zone text;
ALTER TABLE subscriptions ADD COLUMN dunning_policy_id text;

CREATE TABLE dunning_cases (
  account_id        text NOT NULL REFERENCES accounts(id),
  id                text NOT NULL,
  invoice_id        text NOT NULL,
  customer_id       text NOT NULL,
  subscription_id   text,
  test_clock_id     text,
  -- The policy as it was when the case opened (a later edit does not change a running case),
  -- and where it came from (null: Rebill's built-in default).
  policy_id         text,
  policy            jsonb NOT NULL,
  strategy          text NOT NULL,
  status            text NOT NULL CHECK (status IN ('active', 'recovered', 'exhausted', 'canceled')),
  -- What the case waits for: its next retry, a new card from the customer, the merchant's fix.
  awaiting          text CHECK (awaiting IN ('retry', 'new_payment_method', 'merchant')),
  first_failure_at  timestamptz NOT NULL,
  grace_ends_at     timestamptz NOT NULL,
  retries           integer NOT NULL DEFAULT 0 CHECK (retries >= 0),
  -- Due column of the dunning duty (business time, like every due column); null when not retrying.
  next_attempt_at   timestamptz,
  -- [{payment, at, decline_code, decline_category, ...}] oldest first.
  declines          jsonb NOT NULL DEFAULT '[]',
  ended_at          timestamptz,
  end_reason        text,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id)
);
-- One case in recovery per invoice.
CREATE UNIQUE INDEX dunning_cases_one_active ON dunning_cases (account_id, invoice_id) WHERE status = 'active';
CREATE INDEX dunning_cases_due_idx ON dunning_cases (next_attempt_at) WHERE status = 'active' AND test_clock_id IS NULL;
CREATE INDEX dunning_cases_clock_due_idx ON dunning_cases (account_id, test_clock_id, next_attempt_at) WHERE status = 'active' AND test_clock_id IS NOT NULL;
CREATE INDEX dunning_cases_customer_idx ON dunning_cases (account_id, customer_id);
