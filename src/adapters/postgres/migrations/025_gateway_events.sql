-- Inbound gateway webhooks (issue 16): each processor event stored once, by the processor's own
-- event id, per account and gateway. A duplicate delivery hits the unique key and is ignored; a
-- stored event is processed by a `gateway_event.process` job enqueued in the same transaction.
-- `subject` is the adapter's normalized reading of the event (never the raw body, which may
-- carry personal data Rebill does not need); `occurred_at` is the processor's time of the event.
CREATE TABLE gateway_events (
  account_id    text NOT NULL REFERENCES accounts(id),
  id            text NOT NULL,
  gateway       text NOT NULL,
  event_id      text NOT NULL,
  type          text NOT NULL,
  subject       jsonb NOT NULL,
  occurred_at   timestamptz NOT NULL,
  status        text NOT NULL CHECK (status IN ('received', 'applied', 'ignored', 'unmatched')),
  -- Why an event changed nothing: already settled, older than what is stored, no such charge.
  note          text,
  created_at    timestamptz NOT NULL,
  processed_at  timestamptz,
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, gateway, event_id),
  FOREIGN KEY (account_id, gateway) REFERENCES gateways(account_id, id)
);

-- The webhook route knows only the gateway id from its path (the processor holds no API key):
-- the id (gw_…, unique by construction) finds its account.
CREATE UNIQUE INDEX gateways_id_idx ON gateways (id);

-- A refund made in the processor's dashboard, not by a credit note, is recorded as it happened
-- (`origin = 'gateway'`, no credit note). Its processor id keeps it from being recorded twice.
ALTER TABLE refunds ADD COLUMN origin text NOT NULL DEFAULT 'rebill' CHECK (origin IN ('rebill', 'gateway'));
CREATE UNIQUE INDEX refunds_gateway_refund_idx ON refunds (account_id, gateway, gateway_refund_id) WHERE gateway_refund_id IS NOT NULL;
-- Webhooks find a charge by the processor's id of it.
CREATE INDEX payment_attempts_gateway_charge_idx ON payment_attempts (account_id, gateway, gateway_charge_id) WHERE gateway_charge_id IS NOT NULL;
