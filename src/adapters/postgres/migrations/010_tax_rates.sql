-- Tax rates an account registers and applies to subscriptions; invoices and their lines carry
-- the taxes computed on them.
CREATE TABLE tax_rates (
  account_id    text NOT NULL REFERENCES accounts(id),
  id            text NOT NULL,
  display_name  text NOT NULL,
  description   text,
  -- parts per million of the amount: 8.875% is 88750
  percentage    bigint NOT NULL CHECK (percentage BETWEEN 0 AND 1000000),
  inclusive     boolean NOT NULL,
  country       text,
  state         text,
  jurisdiction  text,
  tax_type      text,
  active        boolean NOT NULL DEFAULT true,
  metadata      jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  version       integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id)
);

ALTER TABLE subscriptions ADD COLUMN default_tax_rates text[] NOT NULL DEFAULT '{}';

ALTER TABLE invoices
  ADD COLUMN tax bigint NOT NULL DEFAULT 0,
  ADD COLUMN total_excluding_tax bigint,
  ADD COLUMN total_taxes jsonb NOT NULL DEFAULT '[]';
UPDATE invoices SET total_excluding_tax = total;
ALTER TABLE invoices ALTER COLUMN total_excluding_tax SET NOT NULL;

ALTER TABLE invoice_lines ADD COLUMN tax_amounts jsonb NOT NULL DEFAULT '[]';
