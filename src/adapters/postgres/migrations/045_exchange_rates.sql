-- Exchange rates the merchant uploads (issue 19, point 1): revenue analytics shows amounts in
-- several currencies in one reporting currency with these, never by mixing them silently.
--
-- A rate says how many `quote` units one `base` unit is worth, exactly (numeric, at most 12
-- decimals), from 00:00 UTC of `effective_date` until the next rate of the same pair. Rates
-- are history: one per pair and day, never changed or deleted (a correction is a rate of a
-- later day), so a report computed yesterday computes the same today.
CREATE TABLE exchange_rates (
  account_id      text NOT NULL REFERENCES accounts(id),
  id              text NOT NULL,
  base_currency   text NOT NULL CHECK (base_currency ~ '^[a-z]{3}$'),
  quote_currency  text NOT NULL CHECK (quote_currency ~ '^[a-z]{3}$'),
  rate            numeric NOT NULL CHECK (rate > 0 AND scale(rate) <= 12 AND rate < 1000000000000),
  effective_date  date NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  CHECK (base_currency <> quote_currency),
  -- Also the index the lookups use: one account's rates of a pair, by day.
  UNIQUE (account_id, base_currency, quote_currency, effective_date)
);
