-- Where a customer is and how it is taxed: its address (one jsonb value, read and written whole,
-- shaped by the API schema), its exemption and its tax ids. Automatic tax matches the address
-- against the account's registered rates.
ALTER TABLE customers
  ADD COLUMN address    jsonb,
  ADD COLUMN tax_exempt text NOT NULL DEFAULT 'none' CHECK (tax_exempt IN ('none', 'exempt', 'reverse')),
  ADD COLUMN tax_ids    jsonb NOT NULL DEFAULT '[]';

ALTER TABLE subscriptions ADD COLUMN automatic_tax boolean NOT NULL DEFAULT false;

-- Rates of one item replace the subscription's default or automatic rates on that item's lines.
ALTER TABLE subscription_items ADD COLUMN tax_rates text[] NOT NULL DEFAULT '{}';
ALTER TABLE invoice_items ADD COLUMN tax_rates text[] NOT NULL DEFAULT '{}';

-- What the invoice was addressed to, recorded at finalization so a later edit of the customer
-- does not change an issued invoice; and whether its tax was computed automatically.
ALTER TABLE invoices
  ADD COLUMN customer_name       text,
  ADD COLUMN customer_address    jsonb,
  ADD COLUMN customer_tax_ids    jsonb,
  ADD COLUMN customer_tax_exempt text,
  ADD COLUMN automatic_tax       jsonb NOT NULL DEFAULT '{"enabled": false, "status": null}';
