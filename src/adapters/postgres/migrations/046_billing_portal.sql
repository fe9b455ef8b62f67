-- The customer billing portal (issue 19, point 3).
--
-- A configuration says which features the portal offers (features: the normalized JSON the API
-- answers with, checked by src/app/billing-portal/configurations.ts). At most one per account is
-- the default; a session made without a configuration takes it, or the built-in one.
CREATE TABLE billing_portal_configurations (
  account_id   text NOT NULL REFERENCES accounts (id),
  id           text NOT NULL,
  is_default   boolean NOT NULL DEFAULT false,
  features     jsonb NOT NULL,
  metadata     jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id)
);
CREATE UNIQUE INDEX billing_portal_configurations_default ON billing_portal_configurations (account_id) WHERE is_default;

-- One portal session: the customer's short-lived credential. As for card-update links, the token
-- is `<account>.<session>.<signature>` signed with a key derived from REBILL_SECRET_KEY and never
-- stored; this row is what makes it expire (in the customer's business time) or be revoked.
-- configuration_id null: the built-in configuration (the account had no default when it was made).
CREATE TABLE billing_portal_sessions (
  account_id        text NOT NULL REFERENCES accounts (id),
  id                text NOT NULL,
  customer_id       text NOT NULL,
  configuration_id  text,
  return_url        text,
  expires_at        timestamptz NOT NULL,
  revoked_at        timestamptz,
  created_at        timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
  FOREIGN KEY (account_id, configuration_id) REFERENCES billing_portal_configurations (account_id, id)
);
CREATE INDEX billing_portal_sessions_customer ON billing_portal_sessions (account_id, customer_id, created_at);

-- Why a subscription was canceled, as the customer said in the portal: {reason, feedback, comment}.
ALTER TABLE subscriptions ADD COLUMN cancellation_details jsonb;
