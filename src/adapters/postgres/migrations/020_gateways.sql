-- Payment gateways as account configuration (issue 16). `payment_methods.gateway`,
-- `payment_attempts.gateway` and `refunds.gateway` name either one of these rows by id
-- (`gw_…`) or `sandbox`, the built-in sandbox every account has without configuring anything.
-- Credentials are stored sealed (AES-256-GCM under REBILL_SECRET_KEY, src/adapters/secret-box.ts):
-- one JSON object per gateway, never returned, logged or audited in clear.
CREATE TABLE gateways (
  account_id         text NOT NULL REFERENCES accounts(id),
  id                 text NOT NULL,
  type               text NOT NULL CHECK (type IN ('sandbox', 'stripe', 'razorpay', 'custom_http')),
  name               text NOT NULL,
  -- The processor's base URL; NULL means its public one.
  api_base           text,
  credentials_sealed text,
  active             boolean NOT NULL DEFAULT true,
  metadata           jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  version            integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id)
);

-- The processor's customer id, which off-session charges of a saved method need (Stripe
-- `cus_…`, Razorpay `cust_…`); and the card's issuing country as the processor reports it,
-- which routing rules can match.
ALTER TABLE payment_methods
  ADD COLUMN gateway_customer text,
  ADD COLUMN country text;
