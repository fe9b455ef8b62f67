-- Promotion codes: customer-facing codes that redeem a coupon, with limits of their own.
CREATE TABLE promotion_codes (
  account_id               text NOT NULL REFERENCES accounts(id),
  id                       text NOT NULL,
  coupon_id                text NOT NULL,
  code                     text NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
  active                   boolean NOT NULL DEFAULT true,
  max_redemptions          integer CHECK (max_redemptions > 0),
  times_redeemed           integer NOT NULL DEFAULT 0,
  expires_at               timestamptz,
  -- only this customer may redeem it
  customer_id              text,
  first_time_transaction   boolean NOT NULL DEFAULT false,
  minimum_amount           bigint CHECK (minimum_amount > 0),
  minimum_amount_currency  text,
  metadata                 jsonb NOT NULL DEFAULT '{}',
  created_at               timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL,
  version                  integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, coupon_id) REFERENCES coupons(account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id),
  CHECK ((minimum_amount IS NULL) = (minimum_amount_currency IS NULL)),
  CHECK (max_redemptions IS NULL OR times_redeemed <= max_redemptions)
);
-- A code is typed by people: "SPRING" and "spring" are the same code.
CREATE UNIQUE INDEX promotion_codes_code_idx ON promotion_codes (account_id, lower(code));
CREATE INDEX promotion_codes_coupon_idx ON promotion_codes (account_id, coupon_id);

-- The promotion code a discount was redeemed with, if any.
ALTER TABLE discounts ADD COLUMN promotion_code_id text;
ALTER TABLE discounts ADD FOREIGN KEY (account_id, promotion_code_id) REFERENCES promotion_codes(account_id, id);

-- A discount belongs to a subscription, to a customer (for all its invoices without discounts of
-- their own), to one invoice item (its line only) or to one invoice made by hand.
ALTER TABLE discounts ALTER COLUMN subscription_id DROP NOT NULL;
ALTER TABLE discounts ADD COLUMN invoice_item_id text, ADD COLUMN invoice_id text;
CREATE INDEX discounts_customer_idx ON discounts (account_id, customer_id) WHERE subscription_id IS NULL;

-- The customer's current discounts, in order (a change replaces them).
ALTER TABLE customers ADD COLUMN discount_ids text[] NOT NULL DEFAULT '{}';
-- An item's own discounts as the discount step needs them, fixed when it is created (coupon
-- terms never change), so pricing a pending item needs no second read.
ALTER TABLE invoice_items ADD COLUMN discounts jsonb NOT NULL DEFAULT '[]';
