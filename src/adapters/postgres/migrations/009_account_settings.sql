-- The merchant's own details, printed on its invoices (PDF). The address is one jsonb value:
-- it is always read and written whole, and its shape is held by the API schema.

ALTER TABLE accounts
  ADD COLUMN email      text,
  ADD COLUMN address    jsonb,
  ADD COLUMN tax_id     text,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
