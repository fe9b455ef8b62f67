-- What credit grants paid of an invoice (issue 18, point 5): consumed by its usage lines before
-- payment, taken off the amount due like the customer's balance, and given back if it is voided.
ALTER TABLE invoices ADD COLUMN credit_grants_applied bigint NOT NULL DEFAULT 0 CHECK (credit_grants_applied >= 0);
