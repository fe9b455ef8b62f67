-- Coupons an account offers, the discounts that apply them to subscriptions, and the discount
-- amounts invoices and their lines carry.
CREATE TABLE coupons (
  account_id          text NOT NULL REFERENCES accounts(id),
  id                  text NOT NULL,
  name                text,
  -- parts per million of the amount (12.5% is 125000), or a fixed amount in `currency`
  percent_off         bigint CHECK (percent_off BETWEEN 1 AND 1000000),
  amount_off          bigint CHECK (amount_off > 0),
  currency            text,
  duration            text NOT NULL CHECK (duration IN ('once', 'repeating', 'forever')),
  duration_in_months  integer CHECK (duration_in_months BETWEEN 1 AND 120),
  max_redemptions     integer CHECK (max_redemptions > 0),
  times_redeemed      integer NOT NULL DEFAULT 0,
  redeem_by           timestamptz,
  applies_to_products text[],
  metadata            jsonb NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  version             integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
  CHECK ((amount_off IS NULL) = (currency IS NULL)),
  CHECK ((duration = 'repeating') = (duration_in_months IS NOT NULL)),
  CHECK (max_redemptions IS NULL OR times_redeemed <= max_redemptions)
);

-- A coupon applied to a subscription. `ends_at` bounds a repeating one (invoices whose period
-- starts before it); `used_at` marks a once-only one as spent.
CREATE TABLE discounts (
  account_id       text NOT NULL REFERENCES accounts(id),
  id               text NOT NULL,
  coupon_id        text NOT NULL,
  customer_id      text NOT NULL,
  subscription_id  text NOT NULL,
  starts_at        timestamptz NOT NULL,
  ends_at          timestamptz,
  used_at          timestamptz,
  created_at       timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, coupon_id) REFERENCES coupons(account_id, id),
  FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions(account_id, id)
);
CREATE INDEX discounts_subscription_idx ON discounts (account_id, subscription_id);

-- Which discounts a subscription has, so billing looks them up only for subscriptions that do.
ALTER TABLE subscriptions ADD COLUMN discount_ids text[] NOT NULL DEFAULT '{}';

ALTER TABLE invoices
  ADD COLUMN discounts text[] NOT NULL DEFAULT '{}',
  ADD COLUMN total_discount_amounts jsonb NOT NULL DEFAULT '[]';
ALTER TABLE invoice_lines ADD COLUMN discount_amounts jsonb NOT NULL DEFAULT '[]';
