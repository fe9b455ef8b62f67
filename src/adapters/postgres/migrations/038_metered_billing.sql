-- Metered prices and billing in arrears (issue 18, points 3–5).

-- A metered price bills the aggregate of a meter's events over a closed period, in arrears. Its
-- charge model is the catalog's own (per-unit, package, graduated, volume) or `percentage`: a
-- share of each event's value plus a fixed fee per event (the model's settings in `percentage`).
ALTER TABLE prices
  ADD COLUMN usage_type text NOT NULL DEFAULT 'licensed' CHECK (usage_type IN ('licensed', 'metered')),
  ADD COLUMN meter_id text,
  ADD COLUMN percentage jsonb,
  ADD CONSTRAINT prices_metered_has_meter CHECK ((usage_type = 'metered') = (meter_id IS NOT NULL)),
  ADD CONSTRAINT prices_percentage_is_metered CHECK (billing_scheme <> 'percentage' OR (usage_type = 'metered' AND percentage IS NOT NULL));
ALTER TABLE prices DROP CONSTRAINT prices_billing_scheme_check;
ALTER TABLE prices ADD CONSTRAINT prices_billing_scheme_check CHECK (billing_scheme IN ('per_unit', 'tiered', 'percentage'));

-- A usage line's quantity is an aggregate: possibly fractional, possibly beyond 2^31. It is kept
-- exact here; `quantity` holds it too when it is a whole number that fits, else 0.
ALTER TABLE invoice_lines ADD COLUMN quantity_decimal numeric;
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_kind_check
  CHECK (kind IN ('subscription', 'proration', 'invoice_item', 'usage', 'usage_adjustment', 'minimum_true_up'));

-- Commitments and thresholds of a subscription, in its currency's minor units.
ALTER TABLE subscriptions
  ADD COLUMN minimum_amount bigint CHECK (minimum_amount > 0),
  ADD COLUMN billing_threshold_amount bigint CHECK (billing_threshold_amount > 0);

-- What happens to usage that lands in a period already invoiced.
ALTER TABLE accounts
  ADD COLUMN late_usage_policy text NOT NULL DEFAULT 'next_invoice' CHECK (late_usage_policy IN ('next_invoice', 'credit_note'));

-- The ledger of usage billed: per metered item and period, each document that billed part of it
-- (the period-end invoice, a threshold invoice mid-period, an adjustment on a later invoice, a
-- correction invoice or credit note). What a period has been billed is the sum of its rows; the
-- next bill of that period is what its usage costs now minus that sum, so nothing is billed twice
-- and nothing late is lost. A period stays open to late events for 35 days after it ends (the
-- ingestion window); `settled` marks a period checked after that, never to be looked at again.
CREATE TABLE usage_billings (
  account_id           text NOT NULL,
  id                   text NOT NULL,
  subscription_id      text NOT NULL,
  subscription_item_id text NOT NULL,
  price_id             text NOT NULL,
  period_start         timestamptz NOT NULL,
  period_end           timestamptz NOT NULL,
  quantity             numeric NOT NULL,
  amount               bigint NOT NULL,
  invoice_id           text,
  credit_note_id       text,
  kind                 text NOT NULL CHECK (kind IN ('period', 'threshold', 'adjustment', 'correction_invoice', 'correction_credit_note')),
  settled              boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions (account_id, id)
);
CREATE INDEX usage_billings_item_period_idx ON usage_billings (account_id, subscription_item_id, period_start);
CREATE INDEX usage_billings_open_idx ON usage_billings (account_id, subscription_id) WHERE NOT settled;

-- Canceled events: the event stays in meter_events (its identifier keeps deduplicating retries)
-- and aggregation leaves it out. Kept apart so the hot table and its covering index stay as they are.
CREATE TABLE meter_event_adjustments (
  account_id   text NOT NULL,
  id           text NOT NULL,
  identifier   text NOT NULL,
  type         text NOT NULL CHECK (type IN ('cancel')),
  meter_id     text NOT NULL,
  customer_id  text NOT NULL,
  "timestamp"  timestamptz NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id)
);
CREATE UNIQUE INDEX meter_event_adjustments_identifier_idx ON meter_event_adjustments (account_id, identifier);
CREATE INDEX meter_event_adjustments_lookup_idx ON meter_event_adjustments (account_id, meter_id, customer_id, "timestamp");
