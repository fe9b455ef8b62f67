-- Entitlements (issue 17, point 3): features, the products that grant them, manual overrides,
-- and per customer the last set announced in an `entitlements.updated` event. What a customer
-- may use is derived from state (src/domain/entitlements.ts), never stored as the truth; the
-- snapshot only lets Rebill tell when the derived set has changed.
CREATE TABLE features (
  account_id  text NOT NULL REFERENCES accounts(id),
  id          text NOT NULL,
  -- A stable machine name (`api_access`), what the merchant's code checks.
  lookup_key  text NOT NULL,
  name        text NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  metadata    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  version     integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, lookup_key)
);

CREATE TABLE product_features (
  account_id  text NOT NULL REFERENCES accounts(id),
  product_id  text NOT NULL,
  feature_id  text NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (account_id, product_id, feature_id),
  FOREIGN KEY (account_id, product_id) REFERENCES products(account_id, id),
  FOREIGN KEY (account_id, feature_id) REFERENCES features(account_id, id)
);
CREATE INDEX product_features_feature_idx ON product_features (account_id, feature_id);

-- A grant adds a feature, a revoke removes it, until expires_at (business time: the customer's
-- test clock, if any). Overrides are never edited; a later one for the same feature wins.
CREATE TABLE entitlement_overrides (
  account_id     text NOT NULL REFERENCES accounts(id),
  id             text NOT NULL,
  customer_id    text NOT NULL,
  feature_id     text NOT NULL,
  is_grant       boolean NOT NULL,
  expires_at     timestamptz NOT NULL,
  test_clock_id  text,
  reason         text,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id),
  FOREIGN KEY (account_id, feature_id) REFERENCES features(account_id, id)
);
CREATE INDEX entitlement_overrides_customer_idx ON entitlement_overrides (account_id, customer_id, expires_at);

-- The last announced set, and when time alone may change it next (a grace period ending, an
-- override expiring): recheck_at is a due column in business time, like dunning's next attempt.
CREATE TABLE customer_entitlements (
  account_id     text NOT NULL REFERENCES accounts(id),
  customer_id    text NOT NULL,
  test_clock_id  text,
  entitlements   jsonb NOT NULL DEFAULT '[]',
  recheck_at     timestamptz,
  updated_at     timestamptz,
  PRIMARY KEY (account_id, customer_id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)
);
CREATE INDEX customer_entitlements_due_idx ON customer_entitlements (recheck_at) WHERE test_clock_id IS NULL;
CREATE INDEX customer_entitlements_clock_due_idx ON customer_entitlements (account_id, test_clock_id, recheck_at)
  WHERE test_clock_id IS NOT NULL;

-- Customers whose set may have changed: appended by the causes below, in their own transaction,
-- consumed (deleted) when the set is recomputed. Append-only on purpose: a cause never waits on
-- a lock here, so two billing batches changing the statuses of the same customers cannot block
-- or deadlock each other over it. created_at is bookkeeping (transaction time), never read.
CREATE TABLE entitlement_changes (
  account_id     text NOT NULL REFERENCES accounts(id),
  id             bigint GENERATED ALWAYS AS IDENTITY,
  customer_id    text NOT NULL,
  test_clock_id  text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, id)
);
CREATE INDEX entitlement_changes_customer_idx ON entitlement_changes (account_id, customer_id);
CREATE INDEX entitlement_changes_clock_idx ON entitlement_changes (account_id, test_clock_id) WHERE test_clock_id IS NOT NULL;
CREATE INDEX entitlement_changes_order_idx ON entitlement_changes (id);

-- An account that has defined no feature has nothing to announce: one index probe, no row.
CREATE FUNCTION rebill_entitlements_changed(acct text, cust text, clock text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO entitlement_changes (account_id, customer_id, test_clock_id)
  SELECT acct, cust, clock WHERE EXISTS (SELECT 1 FROM features f WHERE f.account_id = acct)
$$;

CREATE FUNCTION rebill_entitlements_changed_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM rebill_entitlements_changed(NEW.account_id, NEW.customer_id, NEW.test_clock_id);
  RETURN NULL;
END $$;

CREATE FUNCTION rebill_entitlements_changed_item() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  PERFORM rebill_entitlements_changed(s.account_id, s.customer_id, s.test_clock_id)
    FROM subscriptions s WHERE s.account_id = r.account_id AND s.id = r.subscription_id AND s.status IN ('active', 'trialing', 'past_due');
  RETURN NULL;
END $$;

-- The causes of a change Rebill cannot see from one place, noted where they happen, in their
-- own transaction: every path that changes a subscription's status (renewal, payment, pause,
-- cancel, dunning's end action, ...), a plan change's items, a new dunning case (its grace
-- period), an open invoice of a subscription voided or written off. Each trigger fires only on
-- an actual change: a renewal that keeps its status pays nothing but the WHEN test.
CREATE TRIGGER subscriptions_entitlements_status AFTER UPDATE OF status ON subscriptions FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION rebill_entitlements_changed_row();
CREATE TRIGGER subscriptions_entitlements_new AFTER INSERT ON subscriptions FOR EACH ROW
  WHEN (NEW.status IN ('active', 'trialing', 'past_due')) EXECUTE FUNCTION rebill_entitlements_changed_row();
CREATE TRIGGER subscription_items_entitlements AFTER INSERT OR DELETE OR UPDATE OF price_id ON subscription_items FOR EACH ROW
  EXECUTE FUNCTION rebill_entitlements_changed_item();
CREATE TRIGGER dunning_cases_entitlements AFTER INSERT ON dunning_cases FOR EACH ROW
  EXECUTE FUNCTION rebill_entitlements_changed_row();
CREATE TRIGGER invoices_entitlements AFTER UPDATE OF status ON invoices FOR EACH ROW
  WHEN (OLD.status = 'open' AND NEW.status IN ('void', 'uncollectible') AND NEW.subscription_id IS NOT NULL)
  EXECUTE FUNCTION rebill_entitlements_changed_row();
