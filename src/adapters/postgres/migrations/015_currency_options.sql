-- Prices in several currencies, and the one currency each customer is billed in.
-- `currency_options` holds, per extra currency, the amounts of the price's charge model:
-- {"eur": {"unit_amount": "900", "unit_amount_decimal": null, "tiers": null}}; amounts are
-- strings so values beyond 2^53 survive JSON.
ALTER TABLE prices ADD COLUMN currency_options jsonb;

-- Fixed by the customer's first finalized invoice; later subscriptions and invoices of the
-- customer bill in it. NULL until then.
ALTER TABLE customers ADD COLUMN currency text;
