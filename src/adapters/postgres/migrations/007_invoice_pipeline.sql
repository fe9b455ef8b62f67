-- The staged invoice pipeline: typed invoice lines, pending invoice items (one-off charges and
-- prorations), draft and send_invoice invoices, and the customer's credit balance.

-- Every line says what produced it. Lines from before this migration all came from a
-- subscription's period.
ALTER TABLE invoice_lines
  ADD COLUMN kind text NOT NULL DEFAULT 'subscription' CHECK (kind IN ('subscription', 'proration', 'invoice_item')),
  ADD COLUMN proration boolean NOT NULL DEFAULT false,
  ADD COLUMN subscription_item_id text,
  ADD COLUMN invoice_item_id text,
  -- the order the pipeline produced the lines in; ids minted in one millisecond do not sort
  ADD COLUMN position integer NOT NULL DEFAULT 0;
ALTER TABLE invoice_lines ALTER COLUMN kind DROP DEFAULT;

-- A one-off charge or a proration, pending until an invoice takes it (invoice_id set then).
CREATE TABLE invoice_items (
  account_id            text NOT NULL REFERENCES accounts(id),
  id                    text NOT NULL,
  customer_id           text NOT NULL,
  subscription_id       text,
  subscription_item_id  text,
  invoice_id            text,
  proration             boolean NOT NULL DEFAULT false,
  price_id              text,
  quantity              integer NOT NULL CHECK (quantity >= 0),
  -- the amount is fixed when the item is created (a proration may be negative: a credit)
  amount                bigint NOT NULL,
  unit_amount_decimal   numeric(40, 12),
  currency              text NOT NULL,
  description           text NOT NULL,
  period_start          timestamptz NOT NULL,
  period_end            timestamptz NOT NULL,
  metadata              jsonb NOT NULL DEFAULT '{}',
  test_clock_id         text,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  version               integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id),
  FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions(account_id, id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id)
);
CREATE INDEX invoice_items_pending_idx ON invoice_items (account_id, customer_id) WHERE invoice_id IS NULL;
CREATE INDEX invoice_items_invoice_idx ON invoice_items (account_id, invoice_id) WHERE invoice_id IS NOT NULL;

-- Invoices can be drafts that are edited, sent for payment by bank transfer (send_invoice) with a
-- due date, and carry the customer's balance from before and after them.
ALTER TABLE invoices
  ADD COLUMN collection_method text NOT NULL DEFAULT 'charge_automatically'
    CHECK (collection_method IN ('charge_automatically', 'send_invoice')),
  ADD COLUMN days_until_due integer CHECK (days_until_due BETWEEN 0 AND 3650),
  ADD COLUMN due_date timestamptz,
  ADD COLUMN auto_advance boolean NOT NULL DEFAULT true,
  ADD COLUMN description text,
  ADD COLUMN starting_balance bigint NOT NULL DEFAULT 0,
  ADD COLUMN ending_balance bigint,
  ADD COLUMN marked_uncollectible_at timestamptz,
  ADD COLUMN test_clock_id text;
UPDATE invoices SET ending_balance = 0 WHERE finalized_at IS NOT NULL;
UPDATE invoices i SET test_clock_id = c.test_clock_id FROM customers c
  WHERE c.account_id = i.account_id AND c.id = i.customer_id AND c.test_clock_id IS NOT NULL;

-- One invoice per subscription period holds for the periods billing opens; an invoice for a
-- mid-period change may share its start with nothing and is not part of the rule.
DROP INDEX invoices_one_per_period;
CREATE UNIQUE INDEX invoices_one_per_period ON invoices (account_id, subscription_id, period_start)
  WHERE subscription_id IS NOT NULL AND billing_reason IN ('subscription_create', 'subscription_cycle');

-- The customer's balance in minor units of `balance_currency`: negative is credit the customer
-- holds (consumed by the next invoices), positive is an amount owed (added to the next one).
ALTER TABLE customers
  ADD COLUMN balance bigint NOT NULL DEFAULT 0,
  ADD COLUMN balance_currency text;

-- Every change of a customer's balance, for finance: what changed it and what it left.
CREATE TABLE customer_balance_transactions (
  account_id      text NOT NULL REFERENCES accounts(id),
  id              text NOT NULL,
  customer_id     text NOT NULL,
  type            text NOT NULL CHECK (type IN ('applied_to_invoice', 'invoice_credit', 'adjustment')),
  amount          bigint NOT NULL,
  currency        text NOT NULL,
  ending_balance  bigint NOT NULL,
  invoice_id      text,
  description     text,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
CREATE INDEX customer_balance_transactions_customer_idx ON customer_balance_transactions (account_id, customer_id);

-- Pausing collection: invoices are still produced but handled per `behavior` and never charged.
ALTER TABLE subscriptions
  ADD COLUMN pause_collection jsonb,
  ADD COLUMN trial_settings jsonb;
