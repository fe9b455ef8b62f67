-- One row per (event, endpoint): what was sent where, and what came back. Written by the event
-- sequencer (src/app/events/sequencer.ts) in the transaction that gives the event its place in
-- the stream, so an event is fanned out exactly once, to the endpoints live at that moment, and
-- in commit order. A worker claims due rows in batches with FOR UPDATE SKIP LOCKED and holds
-- them in its transaction while it sends (src/app/webhooks/deliver.ts): if it dies, the rows
-- are free again when its connection drops, and are sent again (at least once).
CREATE TABLE webhook_deliveries (
  account_id       text NOT NULL,
  id               text NOT NULL,
  endpoint_id      text NOT NULL,
  event_id         text NOT NULL,
  -- Copied from the event: the claim keeps deliveries of one object in stream order.
  event_sequence   bigint NOT NULL,
  event_type       text NOT NULL,
  object_id        text NOT NULL,
  -- pending: due at next_attempt_at (first try or a retry); succeeded: a 2xx came back;
  -- failed: the schedule ran out, or the endpoint was disabled or deleted (a replay sends it again).
  status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  -- Failed tries since the delivery was last (re)scheduled; it picks the next wait.
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  -- Every try, oldest first: {at, status_code, duration_ms, error}.
  history          jsonb NOT NULL DEFAULT '[]',
  last_status_code integer,
  last_error       text,
  last_attempt_at  timestamptz,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  UNIQUE (account_id, endpoint_id, event_id),
  FOREIGN KEY (account_id, endpoint_id) REFERENCES webhook_endpoints (account_id, id),
  -- Retention deletes an event with its deliveries (a delivery is given up long before).
  FOREIGN KEY (account_id, event_id) REFERENCES events (account_id, id) ON DELETE CASCADE,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
-- The claim's work list, in the order deliveries fall due.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, event_sequence) WHERE status = 'pending';
-- "Is an earlier delivery of this object to this endpoint still pending?"
CREATE INDEX webhook_deliveries_object_idx ON webhook_deliveries (account_id, endpoint_id, object_id, event_sequence) WHERE status = 'pending';
-- GET /v1/webhook_endpoints/:id/deliveries, newest first.
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (account_id, endpoint_id, id);
-- `rebill webhooks tail`: what changed lately.
CREATE INDEX webhook_deliveries_updated_idx ON webhook_deliveries (updated_at);
