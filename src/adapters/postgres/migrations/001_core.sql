-- Rebill core schema: accounts, catalog, customers, subscriptions, invoices, payments,
-- test clocks, the outbound event outbox and the append-only audit log.
--
-- Every tenant table leads its keys with account_id so the schema can later be distributed by
-- account. Settled amounts are bigint minor units; fractional unit prices are numeric.

CREATE TABLE accounts (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  account_id   text NOT NULL REFERENCES accounts(id),
  id           text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'finance', 'support', 'read_only', 'agent')),
  -- sha256 of the secret; the secret itself is shown once and never stored.
  secret_hash  text NOT NULL UNIQUE,
  secret_hint  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  PRIMARY KEY (account_id, id)
);

CREATE TABLE test_clocks (
  account_id   text NOT NULL REFERENCES accounts(id),
  id           text NOT NULL,
  name         text,
  frozen_time  timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('ready', 'advancing', 'internal_failure')),
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id)
);

CREATE TABLE customers (
  account_id                 text NOT NULL REFERENCES accounts(id),
  id                         text NOT NULL,
  email                      text,
  name                       text,
  metadata                   jsonb NOT NULL DEFAULT '{}',
  test_clock_id              text,
  default_payment_method_id  text,
  created_at                 timestamptz NOT NULL,
  updated_at                 timestamptz NOT NULL,
  version                    integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, test_clock_id) REFERENCES test_clocks(account_id, id)
);

CREATE TABLE products (
  account_id   text NOT NULL REFERENCES accounts(id),
  id           text NOT NULL,
  name         text NOT NULL,
  description  text,
  active       boolean NOT NULL DEFAULT true,
  metadata     jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id)
);

CREATE TABLE prices (
  account_id                text NOT NULL REFERENCES accounts(id),
  id                        text NOT NULL,
  product_id                text NOT NULL,
  currency                  text NOT NULL,
  billing_scheme            text NOT NULL CHECK (billing_scheme IN ('per_unit', 'tiered')),
  unit_amount               bigint CHECK (unit_amount >= 0),
  unit_amount_decimal       numeric(30, 12) CHECK (unit_amount_decimal >= 0),
  tiers_mode                text CHECK (tiers_mode IN ('graduated', 'volume')),
  -- tiers keep amounts as strings so bigint values survive JSON.
  tiers                     jsonb,
  transform_quantity        jsonb,
  recurring_interval        text CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
  recurring_interval_count  integer CHECK (recurring_interval_count > 0),
  active                    boolean NOT NULL DEFAULT true,
  nickname                  text,
  metadata                  jsonb NOT NULL DEFAULT '{}',
  created_at                timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, product_id) REFERENCES products(account_id, id)
);

CREATE TABLE payment_methods (
  account_id     text NOT NULL REFERENCES accounts(id),
  id             text NOT NULL,
  customer_id    text NOT NULL,
  gateway        text NOT NULL,
  -- the gateway's reusable token; card numbers never reach this table.
  gateway_token  text NOT NULL,
  brand          text,
  last4          text,
  exp_month      integer,
  exp_year       integer,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);

CREATE TABLE subscriptions (
  account_id            text NOT NULL REFERENCES accounts(id),
  id                    text NOT NULL,
  customer_id           text NOT NULL,
  -- copied from the customer (which never changes clock) so due work is found without a join.
  test_clock_id         text,
  status                text NOT NULL CHECK (status IN ('incomplete', 'trialing', 'active', 'past_due',
                          'paused', 'unpaid', 'canceled', 'incomplete_expired')),
  currency              text NOT NULL,
  recurring_interval    text NOT NULL,
  recurring_interval_count integer NOT NULL,
  billing_cycle_anchor  timestamptz NOT NULL,
  current_period_start  timestamptz NOT NULL,
  current_period_end    timestamptz NOT NULL,
  trial_start           timestamptz,
  trial_end             timestamptz,
  cancel_at_period_end  boolean NOT NULL DEFAULT false,
  canceled_at           timestamptz,
  ended_at              timestamptz,
  latest_invoice_id     text,
  default_payment_method_id text,
  metadata              jsonb NOT NULL DEFAULT '{}',
  -- when the billing engine must next look at this subscription (trial end, renewal,
  -- scheduled cancel, incomplete expiry); null when nothing is scheduled.
  next_action_at        timestamptz,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  version               integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
CREATE INDEX subscriptions_due_idx ON subscriptions (next_action_at)
  WHERE next_action_at IS NOT NULL AND test_clock_id IS NULL;
CREATE INDEX subscriptions_clock_due_idx ON subscriptions (account_id, test_clock_id, next_action_at)
  WHERE next_action_at IS NOT NULL AND test_clock_id IS NOT NULL;
CREATE INDEX subscriptions_customer_idx ON subscriptions (account_id, customer_id);

CREATE TABLE subscription_items (
  account_id       text NOT NULL,
  id               text NOT NULL,
  subscription_id  text NOT NULL,
  price_id         text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity >= 0),
  created_at       timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions(account_id, id),
  FOREIGN KEY (account_id, price_id) REFERENCES prices(account_id, id)
);
CREATE INDEX subscription_items_sub_idx ON subscription_items (account_id, subscription_id);

CREATE TABLE invoices (
  account_id        text NOT NULL REFERENCES accounts(id),
  id                text NOT NULL,
  customer_id       text NOT NULL,
  subscription_id   text,
  status            text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
  billing_reason    text NOT NULL,
  currency          text NOT NULL,
  subtotal          bigint NOT NULL,
  total             bigint NOT NULL,
  amount_due        bigint NOT NULL,
  amount_paid       bigint NOT NULL DEFAULT 0,
  amount_remaining  bigint NOT NULL,
  period_start      timestamptz NOT NULL,
  period_end        timestamptz NOT NULL,
  attempt_count     integer NOT NULL DEFAULT 0,
  finalized_at      timestamptz,
  paid_at           timestamptz,
  voided_at         timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
-- One invoice per subscription period, enforced here rather than hoped for.
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (account_id, subscription_id, period_start)
  WHERE subscription_id IS NOT NULL;
CREATE INDEX invoices_customer_idx ON invoices (account_id, customer_id);

CREATE TABLE invoice_lines (
  account_id           text NOT NULL,
  id                   text NOT NULL,
  invoice_id           text NOT NULL,
  price_id             text,
  description          text NOT NULL,
  quantity             integer NOT NULL,
  amount               bigint NOT NULL,
  unit_amount_decimal  numeric(40, 12),
  period_start         timestamptz NOT NULL,
  period_end           timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id)
);
CREATE INDEX invoice_lines_invoice_idx ON invoice_lines (account_id, invoice_id);

CREATE TABLE payment_attempts (
  account_id         text NOT NULL,
  id                 text NOT NULL,
  invoice_id         text NOT NULL,
  customer_id        text NOT NULL,
  payment_method_id  text,
  test_clock_id      text,
  gateway            text NOT NULL,
  -- sent to the gateway with the charge; the gateway deduplicates on it.
  idempotency_key    text NOT NULL UNIQUE,
  amount             bigint NOT NULL CHECK (amount > 0),
  currency           text NOT NULL,
  status             text NOT NULL CHECK (status IN ('pending', 'unknown', 'succeeded', 'failed')),
  decline_code       text,
  failure_message    text,
  gateway_charge_id  text,
  -- when recovery should ask the gateway about a pending/unknown attempt.
  recover_at         timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id)
);
CREATE INDEX payment_attempts_recover_idx ON payment_attempts (recover_at)
  WHERE status IN ('pending', 'unknown') AND test_clock_id IS NULL;
CREATE INDEX payment_attempts_clock_recover_idx ON payment_attempts (account_id, test_clock_id, recover_at)
  WHERE status IN ('pending', 'unknown') AND test_clock_id IS NOT NULL;
CREATE INDEX payment_attempts_invoice_idx ON payment_attempts (account_id, invoice_id);
-- At most one attempt in flight per invoice: a second charge cannot start while one is open.
CREATE UNIQUE INDEX payment_attempts_one_open ON payment_attempts (account_id, invoice_id)
  WHERE status IN ('pending', 'unknown');

CREATE TABLE events (
  account_id   text NOT NULL,
  id           text NOT NULL,
  type         text NOT NULL,
  object_id    text NOT NULL,
  data         jsonb NOT NULL,
  request_id   text,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE INDEX events_object_idx ON events (account_id, object_id);

CREATE TABLE audit_log (
  account_id   text NOT NULL,
  id           text NOT NULL,
  actor        text NOT NULL,
  action       text NOT NULL,
  object_type  text NOT NULL,
  object_id    text NOT NULL,
  before       jsonb,
  after        jsonb,
  request_id   text,
  at           timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id)
);
CREATE INDEX audit_log_object_idx ON audit_log (account_id, object_id);

-- The audit log is append-only, enforced by the database itself.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

CREATE TABLE idempotency_keys (
  account_id     text NOT NULL,
  key            text NOT NULL,
  request_hash   text NOT NULL,
  method         text NOT NULL,
  path           text NOT NULL,
  -- null while the first request is still being processed.
  status_code    integer,
  response       text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);

-- The sandbox gateway's own books: what a real processor would remember about charges.
-- Kept apart from Rebill's tables and written outside Rebill's transactions.
CREATE SCHEMA sandbox;
CREATE TABLE sandbox.charges (
  idempotency_key  text PRIMARY KEY,
  id               text NOT NULL UNIQUE,
  token            text NOT NULL,
  amount           bigint NOT NULL,
  currency         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  decline_code     text,
  reference        text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
