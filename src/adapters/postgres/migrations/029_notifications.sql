-- Customer notifications (issue 17, point 5): templates per account, the customer's channels,
-- and one message row per (subject, channel).

-- Where a customer is reached and which channels they accept: email on, sms off unless asked.
ALTER TABLE customers ADD COLUMN phone text;
ALTER TABLE customers ADD COLUMN notification_preferences jsonb NOT NULL DEFAULT '{"email": true, "sms": false}';

-- An account's own wording of a message kind; a kind without a row uses the built-in default.
CREATE TABLE notification_templates (
  account_id text NOT NULL REFERENCES accounts (id),
  kind       text NOT NULL,
  subject    text NOT NULL,
  text_body  text NOT NULL,
  html_body  text NOT NULL,
  sms_body   text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, kind)
);

-- One message to one customer over one channel. Written by the event sequencer in the
-- transaction that gives the causing event its place in the stream, with its send job.
-- dedupe_key names what the message is about (`receipt:in_…`, `payment_failed:pay_…`): a
-- duplicated event finds the row already there and makes no second message.
-- pending: waiting for its job; sending: a worker is handing it to the server (committed before
-- the call); sent; failed: refused for good; skipped: channel opted out or unsubscribed, or no
-- address; unknown: a worker died between `sending` and the answer: an operator resends or drops.
CREATE TABLE notifications (
  account_id   text NOT NULL REFERENCES accounts (id),
  id           text NOT NULL,
  customer_id  text NOT NULL,
  kind         text NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- the event that caused it; null for a reminder made by business time (renewal, trial end, card expiry)
  event_id     text,
  dedupe_key   text NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'unknown', 'dropped')),
  recipient    text,
  -- Everything the template needs, captured when the message is made, so a resend says the same.
  variables    jsonb NOT NULL,
  -- invoice whose PDF a receipt carries
  invoice_id   text,
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  sent_at      timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (account_id, id),
  FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
  UNIQUE (account_id, dedupe_key, channel)
);
CREATE INDEX notifications_customer ON notifications (account_id, customer_id, id);
CREATE INDEX notifications_status ON notifications (account_id, status, id);
