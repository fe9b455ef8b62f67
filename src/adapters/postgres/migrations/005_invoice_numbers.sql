-- Invoice numbers as finance teams expect them: each customer has a prefix unique within the
-- account, and each finalized invoice takes the customer's next sequence, with no gaps
-- ("7QK2M4XA-0001", "7QK2M4XA-0002", …). The sequence is bumped in the same transaction that
-- finalizes the invoice, so a rolled-back finalization gives its number back.
ALTER TABLE customers
  ADD COLUMN invoice_prefix text,
  ADD COLUMN next_invoice_sequence integer NOT NULL DEFAULT 1;

-- Customers from before this migration get the end of their id, which is random.
UPDATE customers SET invoice_prefix = upper(right(id, 10));
ALTER TABLE customers ALTER COLUMN invoice_prefix SET NOT NULL;
ALTER TABLE customers ADD CONSTRAINT customers_invoice_prefix_format CHECK (invoice_prefix ~ '^[A-Z0-9]{3,12}$');
CREATE UNIQUE INDEX customers_invoice_prefix ON customers (account_id, invoice_prefix);

ALTER TABLE invoices ADD COLUMN number text;

-- Invoices finalized before this migration are numbered in the order they were finalized.
WITH numbered AS (
  SELECT i.account_id, i.id, c.invoice_prefix, row_number() OVER (
    PARTITION BY i.account_id, i.customer_id ORDER BY i.finalized_at, i.id) AS seq
  FROM invoices i JOIN customers c ON c.account_id = i.account_id AND c.id = i.customer_id
  WHERE i.finalized_at IS NOT NULL
)
UPDATE invoices i
SET number = n.invoice_prefix || '-' || CASE WHEN n.seq < 10000 THEN lpad(n.seq::text, 4, '0') ELSE n.seq::text END
FROM numbered n WHERE i.account_id = n.account_id AND i.id = n.id;

UPDATE customers c SET next_invoice_sequence = 1 + (
  SELECT count(*) FROM invoices i WHERE i.account_id = c.account_id AND i.customer_id = c.id AND i.number IS NOT NULL);

CREATE UNIQUE INDEX invoices_number ON invoices (account_id, number);
