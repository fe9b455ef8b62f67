-- A merchant's own adjustment of a customer's balance carries their key-value pairs, as other
-- objects do; the transactions finalization writes have none.
ALTER TABLE customer_balance_transactions ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}';

-- The customer's transactions newest first is how the API lists them.
CREATE INDEX customer_balance_transactions_by_customer ON customer_balance_transactions (account_id, customer_id, id DESC);
