-- Normalized declines on every failed attempt (src/domain/declines.ts, docs/declines.md):
-- `decline_code` now holds the normalized code, the processor's own code is kept beside it,
-- with the category (soft, hard, fraud, config), whether the card must not be charged again
-- for this payment, and what the card network advised. Dunning reads these.
ALTER TABLE payment_attempts
  ADD COLUMN gateway_decline_code text,
  ADD COLUMN decline_category text CHECK (decline_category IN ('soft', 'hard', 'fraud', 'config')),
  ADD COLUMN do_not_retry boolean NOT NULL DEFAULT false,
  ADD COLUMN network_advice jsonb;
