-- Which gateway a charge goes to when the customer has payment methods on several (issue 16).
-- Rules are tried in `position` order; the first whose conditions all hold and for which the
-- customer has a payment method on the rule's gateway (of the rule's brand and card country,
-- when given) decides. No rule matching: the customer's default payment method, as before.
CREATE TABLE routing_rules (
  account_id        text NOT NULL REFERENCES accounts(id),
  id                text NOT NULL,
  position          integer NOT NULL CHECK (position >= 0),
  -- `sandbox` or a gateway id of the account.
  gateway           text NOT NULL,
  currency          text,
  amount_gte        bigint CHECK (amount_gte >= 0),
  amount_lte        bigint CHECK (amount_lte >= 0),
  brand             text,
  card_country      text,
  customer_country  text,
  -- Every pair must be in the customer's metadata.
  customer_metadata jsonb NOT NULL DEFAULT '{}',
  active            boolean NOT NULL DEFAULT true,
  description       text,
  deleted_at        timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  CHECK (amount_gte IS NULL OR amount_lte IS NULL OR amount_gte <= amount_lte)
);
-- What a billing batch reads: the live rules of its accounts, in order.
CREATE INDEX routing_rules_live_idx ON routing_rules (account_id, position) WHERE active AND deleted_at IS NULL;
