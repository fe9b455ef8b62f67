-- Disputes (chargebacks) reported by gateway webhooks (issue 16). One row per processor dispute;
-- `status` is Rebill's vocabulary (src/domain/dispute-status.ts), `gateway_status` the
-- processor's own word, and `occurred_at` the processor time of the event last applied, so an
-- older event arriving late changes nothing.
CREATE TABLE disputes (
  account_id         text NOT NULL REFERENCES accounts(id),
  id                 text NOT NULL,
  gateway            text NOT NULL,
  gateway_dispute_id text NOT NULL,
  gateway_charge_id  text NOT NULL,
  payment_attempt_id text NOT NULL,
  invoice_id         text NOT NULL,
  customer_id        text NOT NULL,
  amount             bigint NOT NULL CHECK (amount >= 0),
  currency           text NOT NULL,
  status             text NOT NULL CHECK (status IN ('needs_response', 'under_review', 'won', 'lost', 'closed')),
  gateway_status     text NOT NULL,
  reason             text,
  occurred_at        timestamptz NOT NULL,
  closed_at          timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, gateway, gateway_dispute_id),
  FOREIGN KEY (account_id, invoice_id) REFERENCES invoices(account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
CREATE INDEX disputes_customer_idx ON disputes (account_id, customer_id);
CREATE INDEX disputes_invoice_idx ON disputes (account_id, invoice_id);

-- The marks finance sees on the invoice and the customer: how many of their disputes are open.
ALTER TABLE invoices ADD COLUMN open_disputes integer NOT NULL DEFAULT 0 CHECK (open_disputes >= 0);
ALTER TABLE customers ADD COLUMN open_disputes integer NOT NULL DEFAULT 0 CHECK (open_disputes >= 0);
