-- Credit grants (issue 18, point 5): prepaid or promotional credit a merchant gives a customer,
-- consumed by the metered lines of the customer's invoices before payment.
--
-- `balance` is what is left: amount − debits + credits of the grant's transactions. It is kept
-- on the row, not summed at each use, so that consuming credit is "lock the grants, read their
-- balances, write them back" (src/app/usage/credits.ts) and the CHECK below makes an overdraft
-- impossible even for code that forgot the lock. A test holds the column to its ledger.
CREATE TABLE credit_grants (
  account_id     text NOT NULL REFERENCES accounts(id),
  id             text NOT NULL,
  customer_id    text NOT NULL,
  currency       text NOT NULL,
  amount         bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
  balance        bigint NOT NULL,
  name           text,
  category       text NOT NULL CHECK (category IN ('paid', 'promotional')),
  -- {"scope": {"price_type": "metered"}}, the only scope for now.
  applicability  jsonb NOT NULL,
  priority       integer NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 100),
  effective_at   timestamptz NOT NULL,
  expires_at     timestamptz,
  voided_at      timestamptz,
  metadata       jsonb NOT NULL DEFAULT '{}',
  -- The customer's clock, copied: "effective" and "expired" are read in its business time.
  test_clock_id  text,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id),
  CHECK (balance >= 0 AND balance <= amount),
  CHECK (expires_at IS NULL OR expires_at > effective_at)
);
-- Consumption locks one customer's grants in one currency; listing reads one customer's.
CREATE INDEX credit_grants_customer_idx ON credit_grants (account_id, customer_id, currency, id);

-- The ledger of each grant: `debit` is credit an invoice consumed, `credit` gives it back (the
-- invoice was voided or credited). Rows are never changed. The invoice reference is checked at
-- commit (DEFERRABLE): finalization may write the debits before it writes the invoice row.
CREATE TABLE credit_grant_transactions (
  account_id   text NOT NULL REFERENCES accounts(id),
  id           text NOT NULL,
  grant_id     text NOT NULL,
  customer_id  text NOT NULL,
  type         text NOT NULL CHECK (type IN ('debit', 'credit')),
  amount       bigint NOT NULL CHECK (amount > 0),
  invoice_id   text NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, grant_id) REFERENCES credit_grants(account_id, id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX credit_grant_transactions_grant_idx ON credit_grant_transactions (account_id, grant_id);
CREATE INDEX credit_grant_transactions_invoice_idx ON credit_grant_transactions (account_id, invoice_id);
