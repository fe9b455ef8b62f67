-- Credit notes: money given back on a finalized invoice (lowering what is due, refunded through
-- the gateway, credited to the customer's balance, or returned outside Rebill), and refunds.
CREATE TABLE credit_notes (
  account_id          text NOT NULL REFERENCES accounts(id),
  id                  text NOT NULL,
  number              text NOT NULL,
  invoice_id          text NOT NULL,
  customer_id         text NOT NULL,
  currency            text NOT NULL,
  status              text NOT NULL CHECK (status IN ('issued', 'void')),
  type                text NOT NULL CHECK (type IN ('pre_payment', 'post_payment')),
  -- whole = the note credits a share of the whole invoice (`amount`), not named lines
  whole               boolean NOT NULL,
  subtotal            bigint NOT NULL,
  discount_amount     bigint NOT NULL,
  total_discount_amounts jsonb NOT NULL DEFAULT '[]',
  tax                 bigint NOT NULL,
  total_taxes         jsonb NOT NULL DEFAULT '[]',
  total_excluding_tax bigint NOT NULL,
  total               bigint NOT NULL CHECK (total > 0),
  lines               jsonb NOT NULL,
  refund_amount       bigint NOT NULL CHECK (refund_amount >= 0),
  credit_amount       bigint NOT NULL CHECK (credit_amount >= 0),
  out_of_band_amount  bigint NOT NULL CHECK (out_of_band_amount >= 0),
  refund_id           text,
  balance_transaction_id text,
  reason              text CHECK (reason IN ('duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory')),
  memo                text,
  metadata            jsonb NOT NULL DEFAULT '{}',
  voided_at           timestamptz,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  version             integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, number),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id),
  CHECK (type = 'pre_payment' OR refund_amount + credit_amount + out_of_band_amount = total)
);
CREATE INDEX credit_notes_invoice_idx ON credit_notes (account_id, invoice_id);
CREATE INDEX credit_notes_customer_idx ON credit_notes (account_id, customer_id);

-- A refund of a charge, written before the gateway is asked (like payment attempts) so a crash
-- in between is healed by asking the gateway about its key.
CREATE TABLE refunds (
  account_id         text NOT NULL REFERENCES accounts(id),
  id                 text NOT NULL,
  credit_note_id     text,
  invoice_id         text NOT NULL,
  payment_attempt_id text NOT NULL,
  customer_id        text NOT NULL,
  gateway            text NOT NULL,
  gateway_charge_id  text NOT NULL,
  idempotency_key    text NOT NULL UNIQUE,
  amount             bigint NOT NULL CHECK (amount > 0),
  currency           text NOT NULL,
  status             text NOT NULL CHECK (status IN ('pending', 'unknown', 'succeeded', 'failed')),
  gateway_refund_id  text,
  failure_message    text,
  recover_at         timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id)
);
CREATE INDEX refunds_invoice_idx ON refunds (account_id, invoice_id);
CREATE INDEX refunds_open_idx ON refunds (recover_at) WHERE status IN ('pending', 'unknown');

-- A credit note's credit lands on the customer's balance as its own kind of transaction.
ALTER TABLE customer_balance_transactions DROP CONSTRAINT customer_balance_transactions_type_check;
ALTER TABLE customer_balance_transactions ADD CONSTRAINT customer_balance_transactions_type_check
  CHECK (type IN ('applied_to_invoice', 'invoice_credit', 'adjustment', 'credit_note', 'credit_note_void'));

-- The sandbox processor's refunds: once per key, never more than the charge in all.
CREATE TABLE sandbox.refunds (
  idempotency_key  text PRIMARY KEY,
  id               text NOT NULL UNIQUE,
  charge_id        text NOT NULL REFERENCES sandbox.charges(id),
  amount           bigint NOT NULL CHECK (amount > 0),
  currency         text NOT NULL,
  reference        text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_refunds_charge_idx ON sandbox.refunds (charge_id);
