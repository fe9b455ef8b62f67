-- Where an account's events are delivered. The signing secret is stored sealed (AES-256-GCM,
-- src/adapters/secret-box.ts), never in clear; during a rotation the previous one signs too
-- until it expires. A deleted endpoint is kept (its deliveries refer to it) but no longer shown.
CREATE TABLE webhook_endpoints (
  account_id                 text NOT NULL REFERENCES accounts(id),
  id                         text NOT NULL,
  url                        text NOT NULL,
  description                text,
  enabled_events             text[] NOT NULL CHECK (cardinality(enabled_events) > 0),
  disabled                   boolean NOT NULL DEFAULT false,
  secret_sealed              text NOT NULL,
  previous_secret_sealed     text,
  previous_secret_expires_at timestamptz,
  -- The first failure since the last success; five days of it disables the endpoint.
  failing_since              timestamptz,
  metadata                   jsonb NOT NULL DEFAULT '{}',
  deleted_at                 timestamptz,
  created_at                 timestamptz NOT NULL,
  updated_at                 timestamptz NOT NULL,
  version                    integer NOT NULL DEFAULT 1,
  PRIMARY KEY (account_id, id),
  CHECK ((previous_secret_sealed IS NULL) = (previous_secret_expires_at IS NULL))
);
-- The endpoints an event fans out to: the live ones of its account.
CREATE INDEX webhook_endpoints_live_idx ON webhook_endpoints (account_id) WHERE deleted_at IS NULL AND NOT disabled;
